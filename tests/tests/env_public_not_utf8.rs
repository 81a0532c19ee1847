//! A `SCW_PUBLIC` that is not UTF-8 trusts nothing, through the global verifier (which reads
//! the real environment), in axum, the tower layer and actix-web.
//!
//! One test per binary: the environment is set before anything else runs, so no thread reads
//! it concurrently, and no other test sees it.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt as _;

use actix_web::{HttpResponse, get, web};
use axum::Router;
use axum::routing::get as axum_get;
use scw_private::layer::ScwPrivateLayer;
use scw_private::{Access, ConfigError, Policy, Verifier, scw_private};
use tests::{CT, NS, PUBLIC_KEY, Token, get as http_get, serve_actix, serve_axum};

#[scw_private(platform_iam)]
async fn platform(access: Access) -> &'static str {
    access.as_str()
}

#[scw_private(public_if_env)]
async fn public(access: Access) -> &'static str {
    access.as_str()
}

async fn layered(access: Access) -> &'static str {
    access.as_str()
}

#[get("/platform")]
#[scw_private(platform_iam)]
async fn actix_platform(access: Access) -> HttpResponse {
    HttpResponse::Ok().body(access.as_str())
}

#[get("/public")]
#[scw_private(public_if_env)]
async fn actix_public(access: Access) -> HttpResponse {
    HttpResponse::Ok().body(access.as_str())
}

fn configure(config: &mut web::ServiceConfig) {
    config.service(actix_platform).service(actix_public);
}

#[test]
fn a_scw_public_that_is_not_utf8_trusts_nothing() {
    // SAFETY: the first statement of the only test in this binary; no other thread exists that
    // could read the environment at the same time.
    unsafe {
        std::env::set_var("SCW_PUBLIC_KEY", PUBLIC_KEY);
        std::env::set_var("SCW_NAMESPACE_ID", NS);
        std::env::set_var("SCW_APPLICATION_ID", CT);
        // `false` followed by a byte that is not UTF-8.
        std::env::set_var("SCW_PUBLIC", OsString::from_vec(b"false\xff".to_vec()));
    }
    for policy in [
        Policy::new().platform_iam(true),
        Policy::new().public_if_env(true),
    ] {
        let problem = Verifier::global().preflight(&policy).unwrap_err();
        assert!(
            matches!(
                problem,
                ConfigError::NotUnicode {
                    variable: "SCW_PUBLIC",
                    ..
                }
            ),
            "{problem:?}"
        );
    }
    // A policy that does not read the variable does not care.
    Verifier::global().preflight(&Policy::new()).unwrap();
    assert!(!Verifier::global().is_public());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let router = Router::new()
            .route("/platform", axum_get(platform))
            .route("/public", axum_get(public))
            .nest(
                "/layer",
                Router::new()
                    .route("/platform", axum_get(layered))
                    .layer(ScwPrivateLayer::new(Policy::new().platform_iam(true))),
            )
            .nest(
                "/layer",
                Router::new()
                    .route("/public", axum_get(layered))
                    .layer(ScwPrivateLayer::new(Policy::new().public_if_env(true))),
            );
        let axum = serve_axum(router).await;
        let actix = serve_actix(configure, None);
        let token = Token::Container.value().unwrap();
        for (addr, prefix) in [(axum, ""), (axum, "/layer"), (actix, "")] {
            for route in ["/platform", "/public"] {
                let path = format!("{prefix}{route}");
                http_get(addr, &path, &[])
                    .await
                    .assert_refusal(401, "missing_token");
                let response = http_get(addr, &path, &[("X-Auth-Token", &token)]).await;
                assert_eq!(
                    (response.status, response.body.as_str()),
                    (200, "token"),
                    "{path}"
                );
            }
        }
    });
}
