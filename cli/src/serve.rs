//! `scw-jwt serve`: a local stand-in for the platform's `GET /issue-jwt`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use scw_private::testing::KeyPair;
use serde_json::{Value, json};

use crate::{Failure, issue, time};

pub(crate) fn run(keys: KeyPair, host: IpAddr, port: u16) -> Result<(), Failure> {
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| Failure::Usage(format!("cannot start: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(host, port))
            .await
            .map_err(|e| Failure::Usage(format!("cannot listen on {host}:{port}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::Usage(e.to_string()))?;
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
            .map_err(|e| Failure::Usage(format!("server error: {e}")))
    })
}

type Reply = (StatusCode, Json<Value>);

async fn issue_jwt(
    State(keys): State<Arc<KeyPair>>,
    Query(query): Query<HashMap<String, String>>,
) -> Reply {
    match token_for(&keys, &query) {
        Ok(token) => (StatusCode::OK, Json(json!({"token": token}))),
        Err(message) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_request", "error_description": message})),
        ),
    }
}

fn token_for(keys: &KeyPair, query: &HashMap<String, String>) -> Result<String, String> {
    if let Some(unknown) = query
        .keys()
        .find(|k| !["namespace_id", "container_id", "expires_at"].contains(&k.as_str()))
    {
        return Err(format!(
            "unknown parameter `{unknown}`; expected namespace_id, container_id, expires_at"
        ));
    }
    let id = |name: &str| match query.get(name).map(String::as_str) {
        Some("") => Err(format!("`{name}` is empty")),
        other => Ok(other),
    };
    let (namespace_id, container_id) = (id("namespace_id")?, id("container_id")?);
    if namespace_id.is_none() && container_id.is_none() {
        return Err("give `namespace_id` or `container_id`".to_owned());
    }
    let exp = query
        .get("expires_at")
        .map(|date| time::parse_rfc3339(date))
        .transpose()?;
    Ok(issue(keys, namespace_id, container_id, exp))
}
