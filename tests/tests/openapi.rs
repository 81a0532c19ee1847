//! Generated OpenAPI documents, parsed: a protected operation carries its security
//! requirement, a public one has none, and the schemes that say how to send the token are
//! declared. aide's routes are also served, to show the documented handlers are the protected
//! ones.

use aide::axum::ApiRouter;
use aide::axum::routing::{get, get_with};
use aide::openapi::OpenApi;
use scw_private::openapi::aide_0_15::protected;
use scw_private::openapi::{BEARER, X_AUTH_TOKEN};
use scw_private::{Access, Claims, OptionalClaims, Policy, Scope, scw_private};
use serde_json::{Value, json};
use tests::{Token, get as http_get, serve_axum};
use utoipa::OpenApi as _;

#[scw_private]
async fn private(claims: Claims) -> String {
    format!("{:?}", claims.kind())
}

#[scw_private(container)]
async fn container_only(claims: Claims) -> String {
    format!("{:?}", claims.kind())
}

#[scw_private(public_if_env)]
async fn maybe_public(OptionalClaims(claims): OptionalClaims) -> String {
    format!("{:?}", claims.map(|c| c.kind()))
}

#[scw_private(platform_iam)]
async fn platform(access: Access) -> &'static str {
    access.as_str()
}

#[scw_private(header = "X-Admin-Token")]
async fn admin() -> &'static str {
    "admin"
}

#[scw_private(header = "X-Auth-Token")]
async fn x_auth_token_only() -> &'static str {
    "x-auth-token only"
}

/// No attribute: the extractor checks the request (with the default policy).
async fn by_extractor(claims: Claims) -> String {
    format!("{:?}", claims.kind())
}

async fn public() -> &'static str {
    "public"
}

fn aide_app() -> (axum::Router, Value) {
    let mut api = OpenApi::default();
    let app = ApiRouter::new()
        .api_route("/private", get(private))
        .api_route("/container-only", get(container_only))
        .api_route("/maybe-public", get(maybe_public))
        .api_route("/platform-iam", get(platform))
        .api_route("/admin", get(admin))
        .api_route("/x-auth-token-only", get(x_auth_token_only))
        .api_route(
            "/by-extractor",
            get_with(by_extractor, protected(Policy::new())),
        )
        .api_route(
            "/by-layer",
            get_with(
                public,
                protected(Policy::new().scope(Scope::ContainerToken)),
            )
            .layer(
                scw_private::layer::ScwPrivateLayer::new(
                    Policy::new().scope(Scope::ContainerToken),
                )
                .verifier(tests::verifier(false)),
            ),
        )
        .api_route("/public", get(public))
        .finish_api_with(&mut api, scw_private::openapi::aide_0_15::security_schemes)
        .layer(axum::Extension(tests::verifier(false)));
    (app, serde_json::to_value(&api).unwrap())
}

fn schemes() -> Value {
    json!([{ X_AUTH_TOKEN: [] }, { BEARER: [] }])
}

fn assert_declares_the_schemes(document: &Value) {
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes[X_AUTH_TOKEN]["type"], "apiKey", "{schemes}");
    assert_eq!(schemes[X_AUTH_TOKEN]["in"], "header");
    assert_eq!(schemes[X_AUTH_TOKEN]["name"], "X-Auth-Token");
    assert_eq!(schemes[BEARER]["type"], "http", "{schemes}");
    assert_eq!(schemes[BEARER]["scheme"], "bearer");
    assert_eq!(schemes[BEARER]["bearerFormat"], "JWT");
}

#[test]
fn aide_documents_each_protected_operation_with_no_code_of_the_user() {
    let (_, document) = aide_app();
    assert_declares_the_schemes(&document);
    let operation = |path: &str| document["paths"][path]["get"].clone();

    for path in [
        "/private",
        "/container-only",
        "/platform-iam",
        "/by-extractor",
        "/by-layer",
    ] {
        let op = operation(path);
        assert_eq!(op["security"], schemes(), "{path}: {op}");
        for status in ["400", "401", "403", "500"] {
            assert!(op["responses"][status].is_object(), "{path} {status}: {op}");
        }
        assert_eq!(
            op["x-scw-private"]["anonymous_when_public"], false,
            "{path}"
        );
    }
    assert_eq!(
        operation("/private")["x-scw-private"],
        json!({"accepts": ["jwt"], "token_scope": "namespace_or_container", "header": null,
               "anonymous_when_public": false})
    );
    assert_eq!(
        operation("/container-only")["x-scw-private"]["token_scope"],
        "container"
    );
    // platform_iam says that the platform's edge may have checked an IAM secret key instead.
    assert_eq!(
        operation("/platform-iam")["x-scw-private"]["accepts"],
        json!(["jwt", "iam_secret_key_checked_by_the_platform"])
    );
    // public_if_env: anyone, when the container is public, is one of the alternatives.
    let maybe = operation("/maybe-public");
    assert_eq!(
        maybe["security"],
        json!([{ X_AUTH_TOKEN: [] }, { BEARER: [] }, {}]),
        "{maybe}"
    );
    assert_eq!(maybe["x-scw-private"]["anonymous_when_public"], true);
    // A header of its own requires a scheme for that header, declared with the others: a
    // protected route is never documented as public.
    let admin = operation("/admin");
    assert_eq!(
        admin["security"],
        json!([{"scw_header.x-admin-token": []}]),
        "{admin}"
    );
    assert_eq!(admin["x-scw-private"]["header"], "X-Admin-Token");
    let declared = &document["components"]["securitySchemes"]["scw_header.x-admin-token"];
    assert_eq!(
        (&declared["type"], &declared["in"], &declared["name"]),
        (&json!("apiKey"), &json!("header"), &json!("x-admin-token"))
    );
    // `header = "X-Auth-Token"` is that header's scheme alone (no Bearer alternative).
    assert_eq!(
        operation("/x-auth-token-only")["security"],
        json!([{ X_AUTH_TOKEN: [] }])
    );
    // Every scheme any operation names is declared.
    assert_every_named_scheme_is_declared(&document);
    // A public operation has no requirement and no extension.
    let public = operation("/public");
    assert!(public.get("security").is_none(), "{public}");
    assert!(public.get("x-scw-private").is_none(), "{public}");
}

#[tokio::test]
async fn the_documented_handlers_are_the_protected_ones() {
    let (app, _) = aide_app();
    let addr = serve_axum(app).await;
    http_get(addr, "/private", &[])
        .await
        .assert_refusal(401, "missing_token");
    let token = Token::Namespace.value().unwrap();
    let response = http_get(addr, "/private", &[("X-Auth-Token", &token)]).await;
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, "Namespace")
    );
    http_get(addr, "/container-only", &[("X-Auth-Token", &token)])
        .await
        .assert_refusal(403, "insufficient_scope");
    assert_eq!(http_get(addr, "/public", &[]).await.status, 200);
    // What the document says of the routes without the attribute holds too.
    for path in ["/admin", "/by-extractor", "/by-layer"] {
        http_get(addr, path, &[])
            .await
            .assert_refusal(401, "missing_token");
    }
    let response = http_get(addr, "/admin", &[("X-Admin-Token", &token)]).await;
    assert_eq!(response.status, 200, "{response:?}");
    http_get(addr, "/by-layer", &[("X-Auth-Token", &token)])
        .await
        .assert_refusal(403, "insufficient_scope");
}

fn assert_every_named_scheme_is_declared(document: &Value) {
    let declared = &document["components"]["securitySchemes"];
    let mut named = 0;
    for item in document["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for requirement in operation["security"].as_array().into_iter().flatten() {
                for name in requirement.as_object().unwrap().keys() {
                    assert!(declared.get(name).is_some(), "{name} is not declared");
                    named += 1;
                }
            }
        }
    }
    assert!(named > 0);
}

/// utoipa: the user writes the requirement with the schemes' names, on the protected handler;
/// the addon declares them and adds the refusals.
#[utoipa::path(get, path = "/private", security(("scw_x_auth_token" = []), ("scw_bearer" = [])))]
#[scw_private]
#[allow(dead_code)]
async fn utoipa_private() {}

#[scw_private(header = "X-Admin-Token")]
#[utoipa::path(get, path = "/admin", security(("scw_header.x-admin-token" = [])))]
#[allow(dead_code)]
async fn utoipa_admin() {}

#[utoipa::path(get, path = "/public", responses((status = 200, description = "always")))]
#[allow(dead_code)]
async fn utoipa_public() {}

use scw_private::openapi::utoipa_6::SecuritySchemes;

#[derive(utoipa::OpenApi)]
#[openapi(paths(utoipa_private, utoipa_admin, utoipa_public), modifiers(&SecuritySchemes))]
struct UtoipaApi;

#[test]
fn utoipa_declares_the_schemes_its_operations_name_and_their_refusals() {
    let document: Value = serde_json::from_str(&UtoipaApi::openapi().to_json().unwrap()).unwrap();
    assert_declares_the_schemes(&document);
    assert_every_named_scheme_is_declared(&document);
    assert_eq!(
        document["paths"]["/private"]["get"]["security"],
        schemes(),
        "{document}"
    );
    assert_eq!(
        document["components"]["securitySchemes"]["scw_header.x-admin-token"]["name"],
        "x-admin-token"
    );
    for path in ["/private", "/admin"] {
        let responses = &document["paths"][path]["get"]["responses"];
        for status in ["400", "401", "403", "500"] {
            assert!(
                responses[status].is_object(),
                "{path} {status}: {responses}"
            );
        }
    }
    // A public operation: no requirement, and none of the refusals.
    let public = &document["paths"]["/public"]["get"];
    assert!(public.get("security").is_none(), "{public}");
    assert!(public["responses"].get("401").is_none(), "{public}");
}
