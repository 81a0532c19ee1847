//! The peer in the load comparison (`scripts/load.sh`): `GET /private` protected the way many
//! services do it today, with a tower middleware that calls `jsonwebtoken::decode` on every
//! request. It serves the same bodies and logs the same line per request as the quickstart, so
//! the difference measured is the protection. Not an example to copy: it has none of
//! scw-private's checks on the key, the headers or the claims.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Clone, Deserialize)]
struct PeerClaims {
    #[serde(default)]
    application_claim: Vec<PeerEntry>,
}

#[derive(Clone, Deserialize)]
struct PeerEntry {
    namespace_id: Option<String>,
    application_id: Option<String>,
}

struct Auth {
    key: DecodingKey,
    validation: Validation,
    namespace_id: String,
    container_id: String,
}

async fn authenticate(State(auth): State<Arc<Auth>>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let token = headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            headers
                .get("authorization")?
                .to_str()
                .ok()?
                .strip_prefix("Bearer ")
        });
    let Some(token) = token else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match jsonwebtoken::decode::<PeerClaims>(token, &auth.key, &auth.validation) {
        // "namespace or container", as the platform's own runtime checks.
        Ok(data)
            if data.claims.application_claim.iter().any(|e| {
                e.namespace_id.as_deref() == Some(&auth.namespace_id)
                    || e.application_id.as_deref() == Some(&auth.container_id)
            }) =>
        {
            request.extensions_mut().insert(data.claims);
            next.run(request).await
        }
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn private(Extension(claims): Extension<PeerClaims>) -> Json<Value> {
    let entry = &claims.application_claim[0];
    let kind = if entry.application_id.is_some() {
        "container"
    } else {
        "namespace"
    };
    Json(
        json!({"namespace_id": entry.namespace_id, "container_id": entry.application_id, "kind": kind}),
    )
}

async fn log(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let response = next.run(request).await;
    examples::log_request(method.as_str(), &path, response.status().as_u16(), None);
    response
}

fn main() {
    let _mode = examples::start();
    // What a careful peer does: pick the backend, or a unified build with both panics.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let pem = std::env::var("SCW_PUBLIC_KEY").expect("SCW_PUBLIC_KEY");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.set_audience(&["functions"]);
    let auth = Arc::new(Auth {
        key: DecodingKey::from_rsa_pem(pem.as_bytes()).expect("a PEM public key"),
        validation,
        namespace_id: std::env::var("SCW_NAMESPACE_ID").unwrap_or_default(),
        container_id: std::env::var("SCW_APPLICATION_ID").unwrap_or_default(),
    });
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let protected = Router::new()
            .route("/private", get(private))
            .layer(middleware::from_fn_with_state(auth, authenticate));
        let app = Router::new()
            .route("/", get(|| async { Json(examples::index()) }))
            .merge(protected)
            .layer(middleware::from_fn(log));
        let listener = tokio::net::TcpListener::bind(examples::listen_addr())
            .await
            .expect("the port is free");
        println!(
            "peer listening on http://{}",
            listener.local_addr().expect("a bound address")
        );
        axum::serve(listener, app).await.expect("the server runs");
    });
}
