//! Every refusal can be traced to its route and to the platform's request id: real requests
//! through axum, actix-web, the tower layer and a protected tonic service, and the refusal
//! events they leave in the log.

use actix_web::{HttpResponse, get, web};
use axum::routing::get as axum_get;
use scw_private::layer::ScwPrivateLayer;
use scw_private::{Claims, Policy, scw_private};
use tests::grpc::{Form, call_route, grpc_client, serve_grpc};
use tests::{Route, blocking, serve_actix, serve_axum, verifier};

#[path = "../../runtime/tests/support/captured_logs.rs"]
mod captured_logs;

fn logs() -> &'static captured_logs::CapturedLogs {
    captured_logs::CapturedLogs::global()
}

/// A GET of `path` with `X-Request-ID: request_id`, from a blocking client off the runtime.
async fn get(addr: std::net::SocketAddr, path: &'static str, request_id: &str) -> tests::Response {
    let request_id = request_id.to_owned();
    tokio::task::spawn_blocking(move || {
        blocking::send(
            addr,
            "GET",
            path,
            &[("X-Request-ID", request_id.as_str())],
            "",
        )
    })
    .await
    .unwrap()
}

/// The one refusal event that carries `request_id` (each test sends ids of its own).
fn refusal_of(request_id: &str) -> String {
    let text = logs().text();
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("request refused") && line.contains(request_id))
        .collect();
    assert_eq!(lines.len(), 1, "{request_id}: {text}");
    lines[0].to_owned()
}

#[scw_private]
async fn user(claims: Claims) -> String {
    format!("{:?}", claims.kind())
}

#[get("/orders/{id}")]
#[scw_private]
async fn order(claims: Claims) -> HttpResponse {
    HttpResponse::Ok().body(format!("{:?}", claims.kind()))
}

fn actix_routes(config: &mut web::ServiceConfig) {
    config.service(order);
}

#[tokio::test]
async fn axum_names_the_matched_template_and_the_request_id() {
    logs();
    let router = axum::Router::new()
        .route("/users/{id}", axum_get(user))
        .layer(axum::Extension(verifier(false)));
    let addr = serve_axum(router).await;
    let id = "axum-6f1c2b7e-1d4a-4c55-9a8b-0e3f5d7c9a21";
    let response = get(addr, "/users/42?page=2", id).await;
    assert_eq!(response.status, 401, "{response:?}");
    let event = refusal_of(id);
    assert!(event.contains(r#"route="/users/{id}""#), "{event}");
    assert!(event.contains(&format!(r#"request_id="{id}""#)), "{event}");
    assert!(!event.contains("42") && !event.contains("page"), "{event}");
}

#[tokio::test]
async fn actix_web_names_the_resource_pattern() {
    logs();
    let addr = serve_actix(actix_routes, Some(verifier(false)));
    let id = "actix-2b9d7c51-8e0f-4a3b-b6c1-5d4e3f2a1b0c";
    let response = get(addr, "/orders/7?x=1", id).await;
    assert_eq!(response.status, 401, "{response:?}");
    let event = refusal_of(id);
    assert!(event.contains(r#"route="/orders/{id}""#), "{event}");
}

#[tokio::test]
async fn the_layer_names_the_path_without_its_query() {
    logs();
    let router = axum::Router::new()
        .route("/reports/{year}", axum_get(|| async { "report" }))
        .layer(ScwPrivateLayer::new(Policy::new()).verifier(verifier(false)));
    let addr = serve_axum(router).await;
    let id = "layer-9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b";
    let response = get(addr, "/reports/2026?token=abc", id).await;
    assert_eq!(response.status, 401, "{response:?}");
    let event = refusal_of(id);
    assert!(event.contains(r#"route="/reports/2026""#), "{event}");
    assert!(!event.contains("token=abc"), "{event}");
}

#[tokio::test]
async fn a_protected_grpc_method_names_its_route() {
    logs();
    let (addr, _) = serve_grpc(Form::Attribute, Some(verifier(false))).await;
    let mut client = grpc_client(addr).await;
    let id = "grpc-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    let refused = call_route(&mut client, Route::Container, &[("x-request-id", id)])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    let event = refusal_of(id);
    assert!(
        event.contains(r#"route="/scw.test.Probe/Container""#),
        "{event}"
    );
}

#[tokio::test]
async fn a_named_interceptor_names_its_service() {
    logs();
    let (addr, _) = serve_grpc(Form::Interceptor(Policy::new()), Some(verifier(false))).await;
    let mut client = grpc_client(addr).await;
    let id = "interceptor-7c6b5a49-3f2e-4d1c-8b0a-9f8e7d6c5b4a";
    let refused = call_route(&mut client, Route::Any, &[("x-request-id", id)])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    let event = refusal_of(id);
    assert!(event.contains(r#"route="/scw.test.Probe""#), "{event}");
}

/// A request id is logged only when it is short visible ASCII: what the platform sends. A
/// client's longer one, or one with a space, is left out, and the refusal logged without it.
#[tokio::test]
async fn only_a_short_visible_request_id_is_logged() {
    logs();
    let router = axum::Router::new()
        .route("/only/{what}", axum_get(user))
        .layer(axum::Extension(verifier(false)));
    let addr = serve_axum(router).await;
    let long = format!("long-{}", "x".repeat(60));
    let spaced = "spaced request id";
    for id in [long.clone(), spaced.to_owned()] {
        let response = get(addr, "/only/this", &id).await;
        assert_eq!(response.status, 401, "{response:?}");
    }
    let text = logs().text();
    let events: Vec<&str> = text
        .lines()
        .filter(|line| line.contains(r#"route="/only/{what}""#))
        .collect();
    assert_eq!(events.len(), 2, "{text}");
    for event in events {
        assert!(!event.contains("request_id"), "{event}");
    }
    assert!(!text.contains(&long) && !text.contains(spaced), "{text}");
}
