//! The global verifier reads the platform's environment, as injected into a container.
//!
//! One test per binary: the environment is set before anything else runs, so no thread reads
//! it concurrently, and no other test sees it.

use axum::Router;
use axum::routing::get;
use scw_private::{Claims, scw_private};
use tests::{CT, NS, PUBLIC_KEY, Token, get as http_get};

#[scw_private]
async fn private(claims: Claims) -> String {
    format!("{:?}", claims.kind())
}

#[scw_private(public_if_env)]
async fn maybe_public(claims: Option<Claims>) -> String {
    format!("{:?}", claims.map(|c| c.kind()))
}

#[test]
fn the_global_verifier_reads_the_platform_environment_once() {
    // The key the way a console or `.env` file hands it over: quoted, newlines escaped.
    let escaped = format!("\"{}\"", PUBLIC_KEY.trim().replace('\n', "\\n"));
    // SAFETY: the first statement of the only test in this binary; no other thread exists that
    // could read the environment at the same time.
    unsafe {
        std::env::set_var("SCW_PUBLIC_KEY", escaped);
        std::env::set_var("SCW_NAMESPACE_ID", NS);
        std::env::set_var("SCW_APPLICATION_ID", CT);
        std::env::set_var("SCW_PUBLIC", " TRUE ");
    }
    scw_private::Verifier::global()
        .preflight(&scw_private::Policy::new())
        .expect("the environment is complete");
    assert!(scw_private::Verifier::global().is_public());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let router = Router::new()
            .route("/private", get(private))
            .route("/maybe-public", get(maybe_public));
        let addr = tests::serve_axum(router).await;

        assert_eq!(http_get(addr, "/maybe-public", &[]).await.body, "None");
        http_get(addr, "/private", &[])
            .await
            .assert_refusal(401, "missing_token");
        let token = Token::Container.value().unwrap();
        assert_eq!(
            http_get(addr, "/private", &[("X-Auth-Token", &token)])
                .await
                .body,
            "Container"
        );
        let sibling = Token::Sibling.value().unwrap();
        http_get(addr, "/private", &[("X-Auth-Token", &sibling)])
            .await
            .assert_refusal(403, "insufficient_scope");
    });

    // Read once per process: later changes are not seen.
    // SAFETY: the server's threads never read the environment.
    unsafe { std::env::remove_var("SCW_PUBLIC_KEY") };
    assert!(
        scw_private::Verifier::global()
            .preflight(&scw_private::Policy::new())
            .is_ok()
    );
}
