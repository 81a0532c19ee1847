//! Real HTTP round-trips through actix-web 4.

use actix_web::{HttpResponse, get, post, web};
use scw_private::{Claims, Rejection, scw_private};
use serde_json::{Value, json};
use tests::{CT, NS, Token, check_route_matrix, get as http_get, scenarios, serve_actix, verifier};

fn body(claims: &Claims) -> HttpResponse {
    HttpResponse::Ok().json(claims)
}

#[get("/any")]
#[scw_private]
async fn any(claims: Claims) -> HttpResponse {
    body(&claims)
}

#[get("/container")]
#[scw_private(container)]
async fn container(claims: Claims) -> HttpResponse {
    body(&claims)
}

#[get("/namespace")]
#[scw_private(namespace)]
async fn namespace(claims: Claims) -> HttpResponse {
    body(&claims)
}

// Registered with `App::route` instead of a route attribute.
#[scw_private(namespace_id = "ns-explicit")]
async fn explicit_namespace(claims: Claims) -> HttpResponse {
    body(&claims)
}

// The attribute above the route attribute works too.
#[scw_private(container, container_id = "ct-explicit")]
#[get("/explicit-container")]
async fn explicit_container(claims: Claims) -> HttpResponse {
    body(&claims)
}

#[get("/custom-header")]
#[scw_private(header = "X-Token")]
async fn custom_header(claims: Claims) -> HttpResponse {
    body(&claims)
}

#[get("/maybe-public")]
#[scw_private(public_if_env)]
async fn maybe_public(claims: Option<Claims>) -> HttpResponse {
    match claims {
        Some(claims) => body(&claims),
        None => HttpResponse::Ok().json(json!({"public": true})),
    }
}

fn teapot(rejection: Rejection) -> HttpResponse {
    HttpResponse::ImATeapot().body(format!("{}: {}", rejection.kind(), rejection.reason()))
}

#[get("/custom-rejection")]
#[scw_private(on_reject = teapot)]
async fn custom_rejection() -> &'static str {
    "ok"
}

/// An `on_reject` written for axum: on an actix-web handler it cannot render, so the request
/// is still refused, with a 500.
fn axum_teapot(_: Rejection) -> axum::response::Response {
    axum::response::IntoResponse::into_response(axum::http::StatusCode::IM_A_TEAPOT)
}

#[get("/wrong-framework-rejection")]
#[scw_private(on_reject = axum_teapot)]
async fn wrong_framework_rejection() -> &'static str {
    "the handler ran"
}

#[post("/extractors/{id}")]
#[scw_private]
async fn extractors(
    path: web::Path<u32>,
    claims: Claims,
    payload: web::Json<Value>,
) -> HttpResponse {
    HttpResponse::Ok().json(
        json!({"id": path.into_inner(), "kind": claims.kind(), "payload": payload.into_inner()}),
    )
}

#[post("/echo")]
#[scw_private]
async fn echo(text: String) -> String {
    text
}

fn configure(config: &mut web::ServiceConfig) {
    config
        .service(any)
        .service(container)
        .service(namespace)
        .route("/explicit-namespace", web::get().to(explicit_namespace))
        .service(explicit_container)
        .service(custom_header)
        .service(maybe_public)
        .service(custom_rejection)
        .service(wrong_framework_rejection)
        .service(extractors)
        .service(echo);
}

#[actix_web::test]
async fn every_argument_form_against_every_token_in_both_header_forms() {
    let addr = serve_actix(configure, Some(verifier(false)));
    let checked = check_route_matrix(addr).await;
    assert_eq!(checked, 7 * (10 * 2 + 1));
}

#[actix_web::test]
async fn the_handler_receives_the_verified_claims() {
    let addr = serve_actix(configure, Some(verifier(false)));
    let token = tests::mint(&json!({
        "application_claim": [{"namespace_id": NS, "container_id": CT}],
        "exp": tests::now() + 600, "jti": "id-2"
    }));
    let claims = http_get(
        addr,
        "/any",
        &[("Authorization", &format!("bearer {token}"))],
    )
    .await
    .json();
    assert_eq!(claims["namespace_id"], NS);
    assert_eq!(claims["container_id"], CT);
    assert_eq!(claims["kind"], "container");
    assert_eq!(claims["jti"], "id-2");
}

#[actix_web::test]
async fn public_if_env_follows_the_verifier() {
    let public = serve_actix(configure, Some(verifier(true)));
    assert_eq!(
        http_get(public, "/maybe-public", &[]).await.json(),
        json!({"public": true})
    );
    http_get(public, "/any", &[])
        .await
        .assert_refusal(401, "missing_token");

    let private = serve_actix(configure, Some(verifier(false)));
    http_get(private, "/maybe-public", &[])
        .await
        .assert_refusal(401, "missing_token");
}

#[actix_web::test]
async fn on_reject_renders_the_refusal() {
    scenarios::on_reject_renders(serve_actix(configure, Some(verifier(false)))).await;
}

#[actix_web::test]
async fn a_refused_request_never_has_its_body_read() {
    scenarios::body_never_read(serve_actix(configure, Some(verifier(false))), "/echo").await;
}

#[actix_web::test]
async fn a_refusal_comes_before_the_other_extractors_reject() {
    scenarios::refusal_precedes_extractors(serve_actix(configure, Some(verifier(false)))).await;
}

#[actix_web::test]
async fn the_verifier_may_also_be_web_data() {
    fn configure_with_data(config: &mut web::ServiceConfig) {
        configure(config);
        config.app_data(web::Data::new(verifier(false)));
    }
    let addr = serve_actix(configure_with_data, None);
    let token = Token::Namespace.value().unwrap();
    assert_eq!(
        http_get(addr, "/any", &[("X-Auth-Token", &token)])
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn without_an_app_verifier_this_keyless_process_answers_500() {
    let addr = serve_actix(configure, None);
    let token = Token::Namespace.value().unwrap();
    http_get(addr, "/any", &[("X-Auth-Token", &token)])
        .await
        .assert_refusal(500, "server_error");
}

#[actix_web::test]
async fn two_different_tokens_are_an_invalid_request() {
    scenarios::two_tokens_refused(serve_actix(configure, Some(verifier(false)))).await;
}

#[actix_web::test]
async fn an_on_reject_for_the_other_framework_still_refuses() {
    scenarios::on_reject_for_the_other_framework_refuses(serve_actix(
        configure,
        Some(verifier(false)),
    ))
    .await;
}
