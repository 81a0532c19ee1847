//! The quickstart: an axum service with every kind of protected route.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Without `SCW_PUBLIC_KEY` it runs in development mode and prints tokens and `curl` commands
//! to try. On Scaleway (or with `SCW_PUBLIC_KEY`, `SCW_NAMESPACE_ID` and `SCW_APPLICATION_ID`
//! set) it takes the environment exactly as the platform injects it.

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use examples::Caller;
use scw_private::{Access, Claims, RejectionKind, scw_private};
use serde_json::{Value, json};

async fn index() -> Json<Value> {
    Json(examples::index())
}

/// A namespace token for this namespace or a container token for this container.
#[scw_private]
async fn private(claims: Claims) -> Json<Caller> {
    Json(claims.into())
}

/// Only a container token for this very container.
#[scw_private(container)]
async fn container_only(claims: Claims) -> Json<Caller> {
    Json(claims.into())
}

/// Only a namespace token for this namespace.
#[scw_private(namespace)]
async fn namespace_only(claims: Claims) -> Json<Caller> {
    Json(claims.into())
}

/// Open when the container is public (`SCW_PUBLIC=true`), protected otherwise.
#[scw_private(public_if_env)]
async fn maybe_public(claims: Option<Claims>) -> Json<Value> {
    match claims {
        Some(claims) => Json(json!(Caller::from(claims))),
        None => Json(json!({"public": true})),
    }
}

/// The IAM era: on a private container the platform's edge authenticated the call (with an IAM
/// key or a JWT); a JWT that reaches the container is still verified here.
#[scw_private(platform_iam)]
async fn platform_iam(access: Access) -> Json<Value> {
    Json(examples::platform_iam_caller(access))
}

/// The token is checked before the body is read: a refused request's body never is.
#[scw_private]
async fn echo(Json(body): Json<Value>) -> Json<Value> {
    Json(body)
}

async fn log(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let response = next.run(request).await;
    let refusal = response.extensions().get::<RejectionKind>().copied();
    examples::log_request(method.as_str(), &path, response.status().as_u16(), refusal);
    response
}

fn main() {
    let mode = examples::start();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let app = Router::new()
            .route("/", get(index))
            .route("/private", get(private))
            .route("/container-only", get(container_only))
            .route("/namespace-only", get(namespace_only))
            .route("/maybe-public", get(maybe_public))
            .route("/platform-iam", get(platform_iam))
            .route("/echo", post(echo))
            .layer(middleware::from_fn(log));
        let listener = tokio::net::TcpListener::bind(examples::listen_addr())
            .await
            .expect("the port is free");
        examples::announce(
            &mode,
            "quickstart (axum)",
            listener.local_addr().expect("a bound address"),
            &[],
        );
        examples::serve(listener, app).await;
    });
}
