//! A container whose environment holds the wrong key: every protected request answers 500,
//! never 2xx, and `preflight` says what is wrong. One test per binary, for the environment.

use axum::Router;
use axum::routing::get;
use scw_private::{ConfigError, KeyError, scw_private};
use tests::{CT, NS, Token, get as http_get};

#[scw_private]
async fn private() -> &'static str {
    "must never be seen"
}

#[scw_private(public_if_env)]
async fn maybe_public() -> &'static str {
    "must never be seen either: SCW_PUBLIC is not `true`"
}

#[test]
fn a_private_key_in_scw_public_key_fails_closed() {
    // SAFETY: the first statement of the only test in this binary; no other thread exists.
    unsafe {
        std::env::set_var(
            "SCW_PUBLIC_KEY",
            include_str!("../../runtime/test-keys/rsa2048-a.private.pem"),
        );
        std::env::set_var("SCW_NAMESPACE_ID", NS);
        std::env::set_var("SCW_APPLICATION_ID", CT);
        std::env::set_var("SCW_PUBLIC", "yes");
    }
    let problem = scw_private::Verifier::global()
        .preflight(&scw_private::Policy::new())
        .unwrap_err();
    assert!(
        matches!(
            problem,
            ConfigError::Key {
                origin: scw_private::Origin::Environment,
                error: KeyError::PrivateKey,
                ..
            }
        ),
        "{problem:?}"
    );
    assert_eq!(
        problem.to_string(),
        "`SCW_PUBLIC_KEY` cannot be used: this is a private key; give the public key \
         (`BEGIN RSA PUBLIC KEY` or `BEGIN PUBLIC KEY`)"
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let router = Router::new()
            .route("/private", get(private))
            .route("/maybe-public", get(maybe_public));
        let addr = tests::serve_axum(router).await;

        let token = Token::Container.value().unwrap();
        for path in ["/private", "/maybe-public"] {
            for headers in [
                vec![],
                vec![("X-Auth-Token", token.as_str())],
                vec![("X-Auth-Token", "junk")],
            ] {
                let response = http_get(addr, path, &headers).await;
                response.assert_refusal(500, "server_error");
                assert!(!response.body.contains("private key"), "{}", response.body);
            }
        }
    });
}
