//! Real HTTP round-trips through axum 0.8.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use scw_private::{Claims, Rejection, Verifier, scw_private};
use serde_json::{Value, json};
use tests::{
    CT, NS, Response, Token, check_route_matrix, get as http_get, platform_token, scenarios,
    serve_axum, verifier,
};

fn body(claims: &Claims) -> Json<Value> {
    Json(serde_json::to_value(claims).unwrap())
}

#[scw_private]
async fn any(claims: Claims) -> Json<Value> {
    body(&claims)
}

#[scw_private(container)]
async fn container(claims: Claims) -> Json<Value> {
    body(&claims)
}

#[scw_private(namespace)]
async fn namespace(claims: Claims) -> Json<Value> {
    body(&claims)
}

#[scw_private(namespace_id = "ns-explicit")]
async fn explicit_namespace(claims: Claims) -> Json<Value> {
    body(&claims)
}

#[scw_private(container, container_id = "ct-explicit")]
async fn explicit_container(claims: Claims) -> Json<Value> {
    body(&claims)
}

#[scw_private(header = "X-Token")]
async fn custom_header(claims: Claims) -> Json<Value> {
    body(&claims)
}

#[scw_private(public_if_env)]
async fn maybe_public(claims: Option<Claims>) -> Json<Value> {
    match claims {
        Some(claims) => body(&claims),
        None => Json(json!({"public": true})),
    }
}

/// Handlers as associated functions, routed as `get(Handlers::any)`: a policy of flags puts
/// nothing beside the handler, so the attribute works inside an `impl` block.
struct Handlers;

impl Handlers {
    #[scw_private]
    async fn any(claims: Claims) -> Json<Value> {
        body(&claims)
    }

    #[scw_private(container)]
    async fn container(claims: Claims) -> Json<Value> {
        body(&claims)
    }

    #[scw_private(namespace)]
    async fn namespace(claims: Claims) -> Json<Value> {
        body(&claims)
    }
}

fn teapot(rejection: Rejection) -> AxumResponse {
    (
        StatusCode::IM_A_TEAPOT,
        format!("{}: {}", rejection.kind(), rejection.reason()),
    )
        .into_response()
}

#[scw_private(on_reject = teapot)]
async fn custom_rejection() -> &'static str {
    "ok"
}

/// An `on_reject` written for actix-web: on an axum handler it cannot render, so the request
/// is still refused, with a 500.
fn actix_teapot(_: Rejection) -> actix_web::HttpResponse {
    actix_web::HttpResponse::ImATeapot().finish()
}

#[scw_private(on_reject = actix_teapot)]
async fn wrong_framework_rejection() -> &'static str {
    "the handler ran"
}

#[derive(Clone, Default)]
struct AppState {
    bodies_read: Arc<AtomicUsize>,
}

/// A body extractor that counts how often a body was actually read.
struct CountedBody(String);

impl FromRequest<AppState> for CountedBody {
    type Rejection = StatusCode;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        state.bodies_read.fetch_add(1, Ordering::SeqCst);
        let text = String::from_request(req, state)
            .await
            .map_err(|_| StatusCode::BAD_REQUEST)?;
        Ok(Self(text))
    }
}

#[scw_private]
async fn counted(State(_): State<AppState>, CountedBody(text): CountedBody) -> String {
    text
}

/// Extractors in the orders axum allows, state, path and a JSON body, and the claims.
#[scw_private]
async fn extractors(
    State(state): State<AppState>,
    Path(id): Path<u32>,
    claims: Claims,
    Json(payload): Json<Value>,
) -> Json<Value> {
    let _ = state;
    Json(json!({"id": id, "kind": claims.kind(), "payload": payload}))
}

#[scw_private]
#[axum::debug_handler(state = AppState)]
async fn debugged(State(_): State<AppState>, Path(id): Path<u32>) -> String {
    id.to_string()
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/any", get(any))
        .route("/associated/any", get(Handlers::any))
        .route("/associated/container", get(Handlers::container))
        .route("/associated/namespace", get(Handlers::namespace))
        .route("/container", get(container))
        .route("/namespace", get(namespace))
        .route("/explicit-namespace", get(explicit_namespace))
        .route("/explicit-container", get(explicit_container))
        .route("/custom-header", get(custom_header))
        .route("/maybe-public", get(maybe_public))
        .route("/custom-rejection", get(custom_rejection))
        .route("/wrong-framework-rejection", get(wrong_framework_rejection))
        .route("/counted", post(counted))
        .route("/extractors/{id}", post(extractors))
        .route("/debugged/{id}", get(debugged))
        .with_state(state)
}

async fn app(public: bool) -> (SocketAddr, AppState) {
    let state = AppState::default();
    (
        serve_axum(router(state.clone()).layer(Extension(verifier(public)))).await,
        state,
    )
}

#[tokio::test]
async fn every_argument_form_against_every_token_in_both_header_forms() {
    let (addr, _) = app(false).await;
    let checked = check_route_matrix(addr).await;
    assert_eq!(checked, 7 * (10 * 2 + 1));
}

#[tokio::test]
async fn associated_functions_answer_as_free_functions_do() {
    let (addr, _) = app(false).await;
    let mut checked = 0;
    for route in [
        tests::Route::Any,
        tests::Route::Container,
        tests::Route::Namespace,
    ] {
        let associated = format!("/associated{}", route.path());
        for token in Token::ALL {
            let headers: Vec<(&str, String)> = token
                .value()
                .map(|value| ("X-Auth-Token", value))
                .into_iter()
                .collect();
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let free = http_get(addr, route.path(), &headers).await;
            let response = http_get(addr, &associated, &headers).await;
            assert_eq!(
                response.status,
                route.expected(token),
                "{associated} {token:?}"
            );
            assert_eq!(
                (response.status, response.body),
                (free.status, free.body),
                "{associated} {token:?}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 3 * Token::ALL.len());
    // Recorded like any handler, under the fn's name and module.
    let recorded = scw_private::registry::ProtectedHandler::all()
        .iter()
        .filter(|handler| handler.module_path() == "axum" && handler.name() == "container")
        .count();
    assert_eq!(
        recorded, 2,
        "the free `container` and `Handlers::container`"
    );
}

#[tokio::test]
async fn the_handler_receives_the_verified_claims() {
    let (addr, _) = app(false).await;
    let token = tests::mint(&json!({
        "application_claim": [{"namespace_id": NS, "application_id": CT}],
        "exp": tests::now() + 600, "iat": 1_700_000_000, "nbf": 1_700_000_000, "jti": "id-1", "iss": "SCALEWAY", "sub": "s"
    }));
    let response = http_get(addr, "/any", &[("X-Auth-Token", &token)]).await;
    let claims = response.json();
    assert_eq!(claims["namespace_id"], NS);
    assert_eq!(claims["container_id"], CT);
    assert_eq!(claims["kind"], "container");
    assert_eq!(claims["iat"], 1_700_000_000);
    assert_eq!(claims["nbf"], 1_700_000_000);
    assert_eq!(claims["jti"], "id-1");
    assert_eq!(claims["iss"], "SCALEWAY");
    assert!(claims["exp"].as_i64().unwrap() > tests::now());

    let namespace = http_get(
        addr,
        "/any",
        &[("X-Auth-Token", &platform_token(Some(NS), None))],
    )
    .await
    .json();
    assert_eq!(namespace["kind"], "namespace");
    assert_eq!(namespace["container_id"], Value::Null);
    assert_eq!(namespace["exp"], Value::Null);
}

#[tokio::test]
async fn public_if_env_when_public_lets_requests_through_without_a_token() {
    let (addr, _) = app(true).await;
    let response = http_get(addr, "/maybe-public", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), json!({"public": true}));
    // Other routes stay protected on a public container.
    http_get(addr, "/any", &[])
        .await
        .assert_refusal(401, "missing_token");
}

#[tokio::test]
async fn public_if_env_when_private_is_protected() {
    let (addr, _) = app(false).await;
    http_get(addr, "/maybe-public", &[])
        .await
        .assert_refusal(401, "missing_token");
    let token = Token::Namespace.value().unwrap();
    assert_eq!(
        http_get(addr, "/maybe-public", &[("X-Auth-Token", &token)])
            .await
            .json()["kind"],
        "namespace"
    );
}

#[tokio::test]
async fn on_reject_renders_the_refusal() {
    scenarios::on_reject_renders(app(false).await.0).await;
}

#[tokio::test]
async fn a_refused_request_never_has_its_body_read() {
    let (addr, state) = app(false).await;
    scenarios::body_never_read(addr, "/counted").await;
    // Of the two requests, only the accepted one had its body read.
    assert_eq!(state.bodies_read.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refusal_comes_before_the_other_extractors_reject() {
    scenarios::refusal_precedes_extractors(app(false).await.0).await;
}

#[tokio::test]
async fn works_under_debug_handler() {
    let (addr, _) = app(false).await;
    http_get(addr, "/debugged/5", &[])
        .await
        .assert_refusal(401, "missing_token");
    let token = Token::Namespace.value().unwrap();
    assert_eq!(
        http_get(addr, "/debugged/5", &[("X-Auth-Token", &token)])
            .await
            .body,
        "5"
    );
}

#[tokio::test]
async fn two_different_tokens_are_an_invalid_request() {
    scenarios::two_tokens_refused(app(false).await.0).await;
}

#[tokio::test]
async fn without_an_app_verifier_the_environment_is_used_and_this_one_has_no_key() {
    // This test process never sets `SCW_PUBLIC_KEY`: the global verifier is misconfigured,
    // which must answer 500 whatever the request carries, and reveal nothing.
    let addr = serve_axum(router(AppState::default())).await;
    let token = Token::Namespace.value().unwrap();
    for headers in [vec![], vec![("X-Auth-Token", token.as_str())]] {
        let response: Response = http_get(addr, "/any", &headers).await;
        response.assert_refusal(500, "server_error");
        assert!(
            !response.body.contains("SCW_PUBLIC_KEY"),
            "{}",
            response.body
        );
    }
}

#[tokio::test]
async fn claims_work_as_a_plain_extractor_on_unprotected_handlers() {
    async fn plain(claims: Claims) -> String {
        format!("{:?}", claims.kind())
    }
    async fn optional(claims: Option<Claims>) -> String {
        format!("{:?}", claims.map(|c| c.kind()))
    }
    let router = Router::new()
        .route("/plain", get(plain))
        .route("/optional", get(optional))
        .layer(Extension(verifier(false)));
    let addr = serve_axum(router).await;
    let token = Token::Namespace.value().unwrap();
    http_get(addr, "/plain", &[])
        .await
        .assert_refusal(401, "missing_token");
    assert_eq!(
        http_get(addr, "/plain", &[("X-Auth-Token", &token)])
            .await
            .body,
        "Namespace"
    );
    assert_eq!(http_get(addr, "/optional", &[]).await.body, "None");
    assert_eq!(
        http_get(addr, "/optional", &[("X-Auth-Token", &token)])
            .await
            .body,
        "Some(Namespace)"
    );
    http_get(addr, "/optional", &[("X-Auth-Token", "a.b.c")])
        .await
        .assert_refusal(401, "invalid_token");
    let sibling = Token::Sibling.value().unwrap();
    http_get(addr, "/optional", &[("X-Auth-Token", &sibling)])
        .await
        .assert_refusal(403, "insufficient_scope");
}

#[tokio::test]
async fn an_app_verifier_with_its_own_header_set() {
    let custom = Verifier::builder()
        .public_key_pem(tests::PUBLIC_KEY)
        .namespace_id(NS)
        .container_id(CT)
        .headers(["SCW-Functions-Token"])
        .build()
        .unwrap();
    let addr = serve_axum(router(AppState::default()).layer(Extension(custom))).await;
    let token = Token::Namespace.value().unwrap();
    http_get(addr, "/any", &[("X-Auth-Token", &token)])
        .await
        .assert_refusal(401, "missing_token");
    assert_eq!(
        http_get(addr, "/any", &[("SCW-Functions-Token", &token)])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn an_on_reject_for_the_other_framework_still_refuses() {
    scenarios::on_reject_for_the_other_framework_refuses(app(false).await.0).await;
}
