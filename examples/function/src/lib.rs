//! A Scaleway Serverless Function in Rust, protected by `#[scw_private]`.
//!
//! The platform's Rust runtime calls one handler of this exact shape, on axum 0.8 types:
//! `pub async fn handler(req: Request) -> Response`. Whether it mounts the handler in a router
//! or calls `handler(req).await` itself is not documented, so the attribute keeps that exact
//! signature: for a handler that takes the whole request it checks the token at the top of
//! the body, and an accepted request carries what the check found in its extensions
//! ([`Claims`], and [`scw_private::Access`]).
//!
//! A private Function is already checked by the platform before the handler runs. What the
//! attribute adds: a check where the platform checks nothing (a public Function that accepts
//! tokens you issue yourself, a local run), the per-function scope rule (a token for a sibling
//! function of the namespace is refused), and the claims in the handler.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use scw_private::{Claims, scw_private};

/// Answers who called, in JSON; only a token for this very function gets here.
#[scw_private(container)]
pub async fn handler(req: Request) -> Response {
    // What the check found: the verified token's claims (`container` requires a token).
    let claims = req.extensions().get::<Claims>();
    let body = serde_json::json!({
        "function_id": claims.and_then(Claims::container_id),
        "namespace_id": claims.and_then(Claims::namespace_id),
        "method": req.method().as_str(),
        "path": req.uri().path(),
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("a valid response")
}

/// The same shape with the default policy (a namespace or a container token).
#[scw_private]
pub async fn plain_handler(req: Request) -> Response {
    Response::new(Body::from(format!("hello from {}", req.uri().path())))
}
