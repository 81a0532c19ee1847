//! `scw-jwt serve`: a local stand-in for the platform's `GET /issue-jwt`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use scw_private::testing::KeyPair;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{Failure, dates, issue};

pub(crate) fn run(keys: KeyPair, host: IpAddr, port: u16) -> Result<(), Failure> {
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| Failure::Runtime(format!("cannot start: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(host, port))
            .await
            .map_err(|e| Failure::Runtime(format!("cannot listen on {host}:{port}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::Runtime(e.to_string()))?;
        // The first line says where, so scripts (and tests) can read the port.
        println!("listening on http://{addr}");
        eprintln!("try: curl 'http://{addr}/issue-jwt?namespace_id=my-namespace'");
        let app = Router::new()
            .route("/issue-jwt", get(issue_jwt))
            .with_state(Arc::new(keys));
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| Failure::Runtime(format!("server error: {e}")))
    })
}

type Reply = (StatusCode, Json<Value>);

/// The query `GET /issue-jwt` takes, as the platform's endpoint does.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueQuery {
    namespace_id: Option<String>,
    container_id: Option<String>,
    expires_at: Option<String>,
}

async fn issue_jwt(
    State(keys): State<Arc<KeyPair>>,
    query: Result<Query<IssueQuery>, QueryRejection>,
) -> Reply {
    let token = query
        .map_err(|rejection| rejection.body_text())
        .and_then(|Query(query)| token_for(&keys, &query));
    match token {
        Ok(token) => (StatusCode::OK, Json(json!({"token": token}))),
        Err(message) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_request", "error_description": message})),
        ),
    }
}

fn token_for(keys: &KeyPair, query: &IssueQuery) -> Result<String, String> {
    let id = |name: &str, value: &Option<String>| match value.as_deref() {
        Some("") => Err(format!("`{name}` is empty")),
        other => Ok(other.map(str::to_owned)),
    };
    let namespace_id = id("namespace_id", &query.namespace_id)?;
    let container_id = id("container_id", &query.container_id)?;
    if namespace_id.is_none() && container_id.is_none() {
        return Err("give `namespace_id` or `container_id`".to_owned());
    }
    let exp = query
        .expires_at
        .as_deref()
        .map(dates::parse_rfc3339)
        .transpose()?;
    Ok(issue(
        keys,
        namespace_id.as_deref(),
        container_id.as_deref(),
        exp,
    ))
}
