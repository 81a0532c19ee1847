//! The same request gets the same answer in every framework: a forged, expired or
//! out-of-scope token is refused through axum, actix-web and the tower layer, by every
//! extractor (`Claims`, `Option<Claims>`, `OptionalClaims`, `Access`), behind the attribute
//! or without it. Only a request without any token differs, and only where the handler says
//! a token is optional.

use std::net::SocketAddr;

use actix_web::{HttpResponse, get, web};
use axum::routing::get as axum_get;
use axum::{Extension, Router};
use scw_private::layer::ScwPrivateLayer;
use scw_private::{Access, Claims, OptionalClaims, Policy, scw_private};
use tests::{Token, get as http_get, serve_actix, serve_axum};

/// What a handler answers: the granting token's kind, `none`, or how else it got in.
fn body(claims: Option<&Claims>) -> String {
    claims.map_or("none".to_owned(), |claims| format!("{:?}", claims.kind()))
}

fn access_body(access: &Access) -> String {
    match access.claims() {
        Some(claims) => body(Some(claims)),
        None => access.as_str().to_owned(),
    }
}

mod axum_routes {
    use super::*;

    #[scw_private]
    pub async fn attr_claims(claims: Claims) -> String {
        body(Some(&claims))
    }
    #[scw_private]
    pub async fn attr_option(claims: Option<Claims>) -> String {
        body(claims.as_ref())
    }
    #[scw_private]
    pub async fn attr_optional(OptionalClaims(claims): OptionalClaims) -> String {
        body(claims.as_ref())
    }
    #[scw_private]
    pub async fn attr_access(access: Access) -> String {
        access_body(&access)
    }
    pub async fn bare_claims(claims: Claims) -> String {
        body(Some(&claims))
    }
    pub async fn bare_option(claims: Option<Claims>) -> String {
        body(claims.as_ref())
    }
    pub async fn bare_optional(OptionalClaims(claims): OptionalClaims) -> String {
        body(claims.as_ref())
    }
    pub async fn bare_access(access: Access) -> String {
        access_body(&access)
    }
}

mod actix_routes {
    use super::*;

    fn ok(body: String) -> HttpResponse {
        HttpResponse::Ok().body(body)
    }

    #[get("/attr/claims")]
    #[scw_private]
    async fn attr_claims(claims: Claims) -> HttpResponse {
        ok(body(Some(&claims)))
    }
    #[get("/attr/option")]
    #[scw_private]
    async fn attr_option(claims: Option<Claims>) -> HttpResponse {
        ok(body(claims.as_ref()))
    }
    #[get("/attr/optional")]
    #[scw_private]
    async fn attr_optional(OptionalClaims(claims): OptionalClaims) -> HttpResponse {
        ok(body(claims.as_ref()))
    }
    #[get("/attr/access")]
    #[scw_private]
    async fn attr_access(access: Access) -> HttpResponse {
        ok(access_body(&access))
    }
    #[get("/bare/claims")]
    async fn bare_claims(claims: Claims) -> HttpResponse {
        ok(body(Some(&claims)))
    }
    // No `/bare/option`: actix-web's `Option<T>` turns every error into `None`, which is why
    // `OptionalClaims` exists (see its documentation).
    #[get("/bare/optional")]
    async fn bare_optional(OptionalClaims(claims): OptionalClaims) -> HttpResponse {
        ok(body(claims.as_ref()))
    }
    #[get("/bare/access")]
    async fn bare_access(access: Access) -> HttpResponse {
        ok(access_body(&access))
    }

    pub fn configure(config: &mut web::ServiceConfig) {
        config
            .service(attr_claims)
            .service(attr_option)
            .service(attr_optional)
            .service(attr_access)
            .service(bare_claims)
            .service(bare_optional)
            .service(bare_access);
    }
}

/// Every (server, path) pair, and whether the route lets a request without a token in.
async fn routes() -> Vec<(String, SocketAddr, &'static str, bool)> {
    use axum_routes::*;
    let verifier = tests::verifier(false);
    let layered = Router::new()
        .route("/claims", axum_get(bare_claims))
        .route("/option", axum_get(bare_option))
        .route("/optional", axum_get(bare_optional))
        .route("/access", axum_get(bare_access))
        .layer(ScwPrivateLayer::new(Policy::new()).verifier(verifier.clone()));
    let axum = Router::new()
        .route("/attr/claims", axum_get(attr_claims))
        .route("/attr/option", axum_get(attr_option))
        .route("/attr/optional", axum_get(attr_optional))
        .route("/attr/access", axum_get(attr_access))
        .route("/bare/claims", axum_get(bare_claims))
        .route("/bare/option", axum_get(bare_option))
        .route("/bare/optional", axum_get(bare_optional))
        .route("/bare/access", axum_get(bare_access))
        .nest("/layer", layered)
        .layer(Extension(verifier.clone()));
    let axum = serve_axum(axum).await;
    let actix = serve_actix(actix_routes::configure, Some(verifier));
    let mut routes = Vec::new();
    for path in [
        "/attr/claims",
        "/attr/option",
        "/attr/optional",
        "/attr/access",
        "/bare/claims",
        "/bare/option",
        "/bare/optional",
        "/bare/access",
        "/layer/claims",
        "/layer/option",
        "/layer/optional",
        "/layer/access",
    ] {
        let optional = path == "/bare/option" || path == "/bare/optional";
        routes.push(("axum".to_owned(), axum, path, optional));
        if !path.starts_with("/layer") && path != "/bare/option" {
            routes.push(("actix-web".to_owned(), actix, path, optional));
        }
    }
    routes
}

#[tokio::test(flavor = "multi_thread")]
async fn every_framework_and_extractor_refuses_the_same_tokens_the_same_way() {
    let valid = Token::Container.value().unwrap();
    // The valid token with its signature's last character changed.
    let mut forged = valid.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let cases: Vec<(&str, Option<String>)> = vec![
        ("valid", Some(valid)),
        ("forged", Some(forged)),
        ("badly signed", Token::Bad.value()),
        ("expired", Token::Expired.value()),
        ("out of scope", Token::Sibling.value()),
        ("none", None),
    ];
    let routes = routes().await;
    assert_eq!(routes.len(), 19);
    for (what, token) in &cases {
        for header in ["X-Auth-Token", "Authorization"] {
            let value = token.as_ref().map(|token| match header {
                "Authorization" => format!("Bearer {token}"),
                _ => token.clone(),
            });
            let headers: Vec<(&str, &str)> = value.iter().map(|v| (header, v.as_str())).collect();
            for (framework, addr, path, optional) in &routes {
                let response = http_get(*addr, path, &headers).await;
                let context = format!("{framework} {path}, {what} token in {header}");
                match *what {
                    "valid" => {
                        assert_eq!(response.status, 200, "{context}: {response:?}");
                        assert_eq!(response.body, "Container", "{context}");
                    }
                    "forged" | "badly signed" | "expired" => {
                        response.assert_refusal(401, "invalid_token");
                    }
                    "out of scope" => response.assert_refusal(403, "insufficient_scope"),
                    _ if *optional => {
                        assert_eq!(response.status, 200, "{context}: {response:?}");
                        assert_eq!(response.body, "none", "{context}");
                    }
                    _ => response.assert_refusal(401, "missing_token"),
                }
            }
        }
    }
}
