//! The IAM era over real HTTP: the platform's edge authenticates calls to a private container
//! with a legacy JWT or the secret key of an IAM API key in `X-Auth-Token`. Every credential
//! kind against a default route and a `platform_iam` route (attribute and layer), through axum
//! and actix-web, under each thing `SCW_PUBLIC` can say; and the logs of it all, which must
//! never hold a token or a key.

use std::net::SocketAddr;

use actix_web::{HttpResponse, get, web};
use axum::routing::get as axum_get;
use axum::{Extension, Json, Router};
use scw_private::layer::ScwPrivateLayer;
use scw_private::{Access, Claims, Policy, Verifier, scw_private};
use serde_json::{Value, json};
use tests::{CT, NS, Response, Token, get as http_get, serve_actix, serve_axum};

/// An IAM secret key (made up): a UUID.
const IAM_KEY: &str = "6d2b8f14-3c9e-4a7b-b5d1-0e8f2a9c7b31";

fn kind(claims: Option<Claims>) -> Value {
    match claims {
        Some(claims) => json!({"kind": claims.kind()}),
        None => json!({"kind": "platform_iam"}),
    }
}

#[scw_private(platform_iam)]
async fn axum_platform(claims: Option<Claims>) -> Json<Value> {
    Json(kind(claims))
}

#[scw_private]
async fn axum_default(claims: Claims) -> Json<Value> {
    Json(kind(Some(claims)))
}

async fn axum_layered(claims: Option<Claims>) -> Json<Value> {
    Json(kind(claims))
}

/// How the request got in, as the handler is told.
fn access_kind(access: Access) -> Value {
    match access {
        Access::Token(claims) => json!({"kind": claims.kind()}),
        other => json!({"kind": other.as_str()}),
    }
}

#[scw_private(public_if_env)]
async fn axum_public(access: Access) -> Json<Value> {
    Json(access_kind(access))
}

async fn axum_layered_public(access: Access) -> Json<Value> {
    Json(access_kind(access))
}

#[get("/public")]
#[scw_private(public_if_env)]
async fn actix_public(access: Access) -> HttpResponse {
    HttpResponse::Ok().json(access_kind(access))
}

#[get("/platform")]
#[scw_private(platform_iam)]
async fn actix_platform(claims: Option<Claims>) -> HttpResponse {
    HttpResponse::Ok().json(kind(claims))
}

#[get("/default")]
#[scw_private]
async fn actix_default(claims: Claims) -> HttpResponse {
    HttpResponse::Ok().json(kind(Some(claims)))
}

fn configure(config: &mut web::ServiceConfig) {
    config
        .service(actix_platform)
        .service(actix_default)
        .service(actix_public);
}

/// The three servers one verifier is served by: axum (attribute and layer) and actix-web,
/// each with its `platform_iam` route and its `public_if_env` route.
async fn servers(
    verifier: &Verifier,
) -> Vec<(&'static str, SocketAddr, &'static str, &'static str)> {
    let layered = Router::new()
        .route("/platform", axum_get(axum_layered))
        .layer(ScwPrivateLayer::new(Policy::new().platform_iam(true)).verifier(verifier.clone()));
    let layered_public = Router::new()
        .route("/public", axum_get(axum_layered_public))
        .layer(ScwPrivateLayer::new(Policy::new().public_if_env(true)).verifier(verifier.clone()));
    // The attribute and the extractors take the verifier from the request; the layers were
    // given theirs when built.
    let axum = Router::new()
        .route("/platform", axum_get(axum_platform))
        .route("/default", axum_get(axum_default))
        .route("/public", axum_get(axum_public))
        .nest("/layer", layered)
        .nest("/layer", layered_public)
        .layer(Extension(verifier.clone()));
    let axum = serve_axum(axum).await;
    let actix = serve_actix(configure, Some(verifier.clone()));
    vec![
        ("axum", axum, "/platform", "/public"),
        ("axum layer", axum, "/layer/platform", "/layer/public"),
        ("actix-web", actix, "/platform", "/public"),
    ]
}

/// What `SCW_PUBLIC` says.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Privacy {
    /// `false`: the edge authenticated the call.
    Private,
    /// `true`: the edge checks nothing.
    Public,
    /// Unset: not on the platform.
    Unset,
}

fn verifier(privacy: Privacy) -> Verifier {
    let builder = Verifier::builder()
        .public_key_pem(tests::PUBLIC_KEY)
        .namespace_id(NS)
        .container_id(CT);
    match privacy {
        Privacy::Private => builder.public(false),
        Privacy::Public => builder.public(true),
        Privacy::Unset => builder,
    }
    .build()
    .unwrap()
}

/// Expected answer: 200 with this `kind`, or a refusal with this status and code.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Ok(&'static str),
    Refused(u16, &'static str),
}

fn check(response: &Response, expect: Expect, context: &str) {
    match expect {
        Expect::Ok(kind) => {
            assert_eq!(response.status, 200, "{context}: {response:?}");
            assert_eq!(response.json()["kind"], kind, "{context}");
        }
        Expect::Refused(status, code) => response.assert_refusal(status, code),
    }
    let everything = format!("{response:?}");
    assert!(!everything.contains(IAM_KEY), "{context}: {everything}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_credential_against_default_and_platform_iam_routes() {
    let logs = capture_logs();
    let namespace = Token::Namespace.value().unwrap();
    let bad = format!("{namespace}x");
    let sibling = Token::Sibling.value().unwrap();
    let bearer = |token: &str| format!("Bearer {token}");
    let (bearer_good, bearer_bad) = (bearer(&namespace), bearer(&bad));
    let iam_upper = IAM_KEY.to_uppercase();
    let credentials: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("nothing", vec![]),
        ("an IAM key", vec![("X-Auth-Token", IAM_KEY)]),
        (
            "an IAM key in upper case",
            vec![("X-Auth-Token", &iam_upper)],
        ),
        (
            "an IAM key and a JWT",
            vec![("X-Auth-Token", IAM_KEY), ("Authorization", &bearer_good)],
        ),
        (
            "an IAM key and a bad JWT",
            vec![("X-Auth-Token", IAM_KEY), ("Authorization", &bearer_bad)],
        ),
        ("a JWT", vec![("X-Auth-Token", &namespace)]),
        ("a sibling's JWT", vec![("X-Auth-Token", &sibling)]),
        (
            "neither a JWT nor an IAM key",
            vec![("X-Auth-Token", "not-a-jwt")],
        ),
    ];
    let missing = Expect::Refused(401, "missing_token");
    let invalid = Expect::Refused(401, "invalid_token");
    for privacy in [Privacy::Private, Privacy::Public, Privacy::Unset] {
        let verifier = verifier(privacy);
        let servers = servers(&verifier).await;
        for (what, headers) in &credentials {
            let edge_trusted = privacy == Privacy::Private;
            let (default, platform) = match *what {
                "nothing" if edge_trusted => (missing, Expect::Ok("platform_iam")),
                "nothing" => (missing, missing),
                "an IAM key" | "an IAM key in upper case" if edge_trusted => {
                    (invalid, Expect::Ok("platform_iam"))
                }
                "an IAM key" | "an IAM key in upper case" => (invalid, invalid),
                "an IAM key and a JWT" | "a JWT" => {
                    (Expect::Ok("namespace"), Expect::Ok("namespace"))
                }
                "a sibling's JWT" => (
                    Expect::Refused(403, "insufficient_scope"),
                    Expect::Refused(403, "insufficient_scope"),
                ),
                _ => (invalid, invalid),
            };
            for (framework, addr, platform_path, _) in &servers {
                let context = format!("{framework}, {privacy:?}, {what}");
                let response = http_get(*addr, platform_path, headers).await;
                check(&response, platform, &format!("{context}, platform_iam"));
                if *framework != "axum layer" {
                    let response = http_get(*addr, "/default", headers).await;
                    check(&response, default, &format!("{context}, default"));
                    if what.starts_with("an IAM key") && !what.contains("JWT") {
                        let description = response.json()["error_description"].to_string();
                        assert!(description.contains("IAM secret key"), "{description}");
                        assert!(description.contains("send a JWT"), "{description}");
                    }
                }
            }
        }
    }
    assert_logs_hold_no_secret(logs, &[IAM_KEY, &iam_upper, &namespace, &sibling]);
}

/// Whether the platform still injects `SCW_PUBLIC_KEY` in the IAM era is not documented: a
/// call let through on the platform's word needs only `SCW_PUBLIC=false`, a JWT still needs
/// the key.
#[tokio::test(flavor = "multi_thread")]
async fn without_a_key_the_platform_s_word_still_works_and_a_jwt_answers_500() {
    let logs = capture_logs();
    let keyless = Verifier::from_variables(|name| match name {
        "SCW_PUBLIC" => Some("false".into()),
        "SCW_NAMESPACE_ID" => Some(NS.into()),
        "SCW_APPLICATION_ID" => Some(CT.into()),
        _ => None,
    });
    let token = Token::Container.value().unwrap();
    for (framework, addr, platform_path, _) in servers(&keyless).await {
        let context = framework.to_owned();
        for headers in [&[][..], &[("X-Auth-Token", IAM_KEY)]] {
            let response = http_get(addr, platform_path, headers).await;
            check(&response, Expect::Ok("platform_iam"), &context);
        }
        let response = http_get(addr, platform_path, &[("X-Auth-Token", &token)]).await;
        check(&response, Expect::Refused(500, "server_error"), &context);
        if framework != "axum layer" {
            let response = http_get(addr, "/default", &[("X-Auth-Token", IAM_KEY)]).await;
            check(&response, Expect::Refused(500, "server_error"), &context);
        }
    }
    assert_logs_hold_no_secret(logs, &[IAM_KEY, &token]);
}

/// `SCW_PUBLIC` is read as `true`, `false` or unknown, and unknown trusts nothing: a typo
/// never lets a `platform_iam` route trust an edge, nor a `public_if_env` route open.
#[tokio::test(flavor = "multi_thread")]
async fn scw_public_is_true_or_false_and_anything_else_trusts_nothing() {
    let logs = capture_logs();
    // (value, what it says): `Some(true)` public, `Some(false)` private, `None` unknown.
    let values: [(Option<&'static str>, Option<bool>); 11] = [
        (None, None),
        (Some(""), None),
        (Some("1"), None),
        (Some("yes"), None),
        (Some("flase"), None),
        (Some("TRUE"), Some(true)),
        (Some(" false "), Some(false)),
        (Some("\u{a0}true"), None),
        (Some("\u{3000}false"), None),
        (Some("\tFalse\n"), Some(false)),
        (Some("true!"), None),
    ];
    let token = Token::Namespace.value().unwrap();
    let forged = Token::Bad.value().unwrap();
    let missing = Expect::Refused(401, "missing_token");
    let before = logs_text(logs)
        .matches("is neither `true` nor `false`")
        .count();
    for (value, says) in values {
        let verifier = Verifier::from_variables(move |name| match name {
            "SCW_PUBLIC" => value.map(Into::into),
            "SCW_PUBLIC_KEY" => Some(tests::PUBLIC_KEY.into()),
            "SCW_NAMESPACE_ID" => Some(NS.into()),
            "SCW_APPLICATION_ID" => Some(CT.into()),
            _ => None,
        });
        let preflight = verifier.preflight(&Policy::new().platform_iam(true));
        let invalid = value.is_some() && says.is_none();
        assert_eq!(preflight.is_err(), invalid, "{value:?}: {preflight:?}");
        if invalid {
            assert!(
                matches!(preflight, Err(scw_private::ConfigError::InvalidPrivacy)),
                "{value:?}"
            );
        }
        let (platform, public) = match says {
            Some(false) => (Expect::Ok("platform_iam"), missing),
            Some(true) => (missing, Expect::Ok("public_container")),
            None => (missing, missing),
        };
        for (framework, addr, platform_path, public_path) in servers(&verifier).await {
            let context = format!("{framework}, SCW_PUBLIC={value:?}");
            let response = http_get(addr, platform_path, &[]).await;
            check(&response, platform, &format!("{context}, platform_iam"));
            let response = http_get(addr, public_path, &[]).await;
            check(&response, public, &format!("{context}, public_if_env"));
            // A credential that is sent is judged in full on every route, whatever
            // `SCW_PUBLIC` says: a valid JWT's claims reach the handler (never dropped as
            // anonymous), a forged one and an IAM key alone are refused. Only a request that
            // carries nothing is let in as anonymous on a public container.
            let headers = [("X-Auth-Token", token.as_str())];
            let with_token = |path| http_get(addr, path, &headers);
            for path in [platform_path, public_path] {
                let context = format!("{context}, {path} with a JWT");
                check(&with_token(path).await, Expect::Ok("namespace"), &context);
            }
            let forged = [("X-Auth-Token", forged.as_str())];
            check(
                &http_get(addr, public_path, &forged).await,
                Expect::Refused(401, "invalid_token"),
                &format!("{context}, public_if_env with a forged JWT"),
            );
            let iam_key = [("X-Auth-Token", IAM_KEY)];
            check(
                &http_get(addr, public_path, &iam_key).await,
                Expect::Refused(401, "invalid_token"),
                &format!("{context}, public_if_env with an IAM key alone"),
            );
        }
    }
    // Each unusable value was logged at error level once, when its verifier loaded, however
    // many requests followed.
    let logged = logs_text(logs)
        .matches("is neither `true` nor `false`")
        .count()
        - before;
    assert_eq!(logged, 7, "{}", logs_text(logs));
}

fn logs_text(logs: &captured_logs::CapturedLogs) -> String {
    logs.text()
}

fn assert_logs_hold_no_secret(logs: &captured_logs::CapturedLogs, secrets: &[&str]) {
    let logs = logs.text();
    // The capture works: refusals and the platform's word were logged...
    assert!(logs.contains("request refused"), "{logs}");
    assert!(
        logs.contains("authenticated by the platform's edge"),
        "{logs}"
    );
    // ...and no secret ever was.
    for secret in secrets {
        assert!(!logs.contains(secret), "a secret reached the logs:\n{logs}");
    }
}

#[path = "../../runtime/tests/support/captured_logs.rs"]
mod captured_logs;

fn capture_logs() -> &'static captured_logs::CapturedLogs {
    captured_logs::CapturedLogs::global()
}
