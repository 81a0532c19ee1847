//! What the crate must refuse, over real HTTP through axum and actix-web.
//!
//! Cases come from RFC 8725 (JWT best current practices), the OWASP JWT cheat sheet and the
//! published CVEs of JWT libraries: algorithm confusion (CVE-2015-9235, CVE-2016-10555),
//! `alg: none` (CVE-2015-2951), embedded and remote keys (CVE-2018-0114 `jwk`, `jku`/`x5u`),
//! `crit` ignored, signature malleability, duplicate members (parser differentials), and the
//! time and claim edges. Each names its expected class; every one is sent to both frameworks
//! and checked for status, `WWW-Authenticate` error code and JSON body.

use std::net::SocketAddr;

use actix_web::{HttpResponse, get, web};
use axum::routing::get as axum_get;
use axum::{Extension, Json, Router};
use scw_private::testing::{Algorithm, KeyPair};
use scw_private::{Claims, Verifier, scw_private};
use serde_json::{Value, json};
use tests::{
    CT, NS, PRIVATE_KEY, PUBLIC_KEY, Response, SIBLING, now, request_bytes, send_raw, verifier,
};

#[scw_private]
async fn axum_handler(claims: Claims) -> Json<Value> {
    Json(json!({"kind": claims.kind()}))
}

#[get("/p")]
#[scw_private]
async fn actix_handler(claims: Claims) -> HttpResponse {
    HttpResponse::Ok().json(json!({"kind": claims.kind()}))
}

async fn serve_axum(verifier: Verifier) -> SocketAddr {
    tests::serve_axum(
        Router::new()
            .route("/p", axum_get(axum_handler))
            .layer(Extension(verifier)),
    )
    .await
}

fn serve_actix(verifier: Verifier) -> SocketAddr {
    fn configure(config: &mut web::ServiceConfig) {
        config.service(actix_handler);
    }
    tests::serve_actix(configure, Some(verifier))
}

/// The expected outcome of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Accepted,
    Missing,
    InvalidRequest,
    InvalidToken,
    Scope,
    ServerError,
}

impl Expect {
    /// What is wrong with `response`, if anything.
    fn check(self, response: &Response) -> Result<(), String> {
        let (status, code) = match self {
            Expect::Accepted if response.status == 200 => return Ok(()),
            Expect::Accepted => return Err(format!("expected 200, got {response:?}")),
            Expect::Missing => (401, "missing_token"),
            Expect::InvalidRequest => (400, "invalid_request"),
            Expect::InvalidToken => (401, "invalid_token"),
            Expect::Scope => (403, "insufficient_scope"),
            Expect::ServerError => (500, "server_error"),
        };
        response.check_refusal(status, code)
    }

    fn assert(self, response: &Response, context: &str) {
        if let Err(problem) = self.check(response) {
            panic!("{context}: {problem}");
        }
    }
}

/// The parts of the suite, each a test of its own that reports every failing case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    /// The header carrying the token.
    Headers,
    /// The JOSE header and the signature.
    Jose,
    /// Time claims.
    Time,
    /// The claims and the scope rule.
    Claims,
    /// `application_claim` entries that are not JSON objects, and registered claims of the
    /// wrong type.
    Entries,
    /// The secret key of an IAM API key.
    Iam,
}

struct Case {
    name: String,
    headers: Vec<(&'static str, Vec<u8>)>,
    expect: Expect,
}

fn case(name: &str, expect: Expect, headers: &[(&'static str, &[u8])]) -> Case {
    Case {
        name: name.to_owned(),
        expect,
        headers: headers.iter().map(|(n, v)| (*n, v.to_vec())).collect(),
    }
}

fn token_case(name: &str, expect: Expect, token: &str) -> Case {
    case(name, expect, &[("X-Auth-Token", token.as_bytes())])
}

fn b64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

/// Replaces one segment of a compact token.
fn with_segment(token: &str, index: usize, segment: &str) -> String {
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[index] = segment;
    parts.join(".")
}

/// Every case of `section`. The suite's cases are built together (they share tokens) and
/// handed out by section.
fn cases(section: Section) -> Vec<Case> {
    all_cases()
        .into_iter()
        .find_map(|(s, cases)| (s == section).then_some(cases))
        .unwrap_or_default()
}

fn all_cases() -> Vec<(Section, Vec<Case>)> {
    use Expect::*;
    let keys = KeyPair::from_private_pem(PRIVATE_KEY).unwrap();
    let other = KeyPair::from_private_pem(include_str!(
        "../../runtime/test-keys/rsa2048-b.private.pem"
    ))
    .unwrap();
    let good = keys.token().namespace(NS).sign();
    let good_ct = keys.token().container(NS, CT).sign();
    let bearer = format!("Bearer {good}");
    let (header, payload, signature) = {
        let parts: Vec<&str> = good.split('.').collect();
        (
            parts[0].to_owned(),
            parts[1].to_owned(),
            parts[2].to_owned(),
        )
    };
    let entries = |entries: &str| {
        keys.sign_raw(
            r#"{"alg":"RS256","typ":"JWT"}"#,
            &format!(r#"{{"application_claim":{entries}}}"#),
        )
    };
    let claims = |claims: &str| keys.sign_raw(r#"{"alg":"RS256"}"#, claims);
    let jose = |header: &str| {
        keys.sign_raw(
            header,
            &format!(r#"{{"application_claim":[{{"namespace_id":"{NS}"}}]}}"#),
        )
    };
    let t = now();

    let headers = vec![
        case("no token at all", Missing, &[]),
        case(
            "bearer in authorization",
            Accepted,
            &[("Authorization", bearer.as_bytes())],
        ),
        case(
            "scheme in lower case",
            Accepted,
            &[("Authorization", format!("bearer {good}").as_bytes())],
        ),
        case(
            "scheme in upper case",
            Accepted,
            &[("Authorization", format!("BEARER {good}").as_bytes())],
        ),
        case(
            "several spaces after the scheme",
            Accepted,
            &[("Authorization", format!("Bearer    {good}").as_bytes())],
        ),
        case(
            "trailing whitespace",
            Accepted,
            &[("X-Auth-Token", format!("{good}  \t").as_bytes())],
        ),
        case(
            "bearer prefix in x-auth-token",
            Accepted,
            &[("X-Auth-Token", bearer.as_bytes())],
        ),
        case(
            "basic scheme only",
            Missing,
            &[("Authorization", b"Basic dXNlcjpwYXNz")],
        ),
        case(
            "another scheme with a jwt",
            Missing,
            &[("Authorization", format!("Token {good}").as_bytes())],
        ),
        case(
            "scheme without token",
            InvalidRequest,
            &[("Authorization", b"Bearer")],
        ),
        case(
            "empty authorization",
            InvalidRequest,
            &[("Authorization", b"")],
        ),
        case(
            "empty x-auth-token",
            InvalidRequest,
            &[("X-Auth-Token", b"")],
        ),
        case(
            "tab instead of space after the scheme",
            InvalidRequest,
            &[("Authorization", format!("Bearer\t{good}").as_bytes())],
        ),
        case(
            "two tokens in one value",
            InvalidRequest,
            &[(
                "Authorization",
                format!("Bearer {good}, {good_ct}").as_bytes(),
            )],
        ),
        case(
            "quoted token",
            InvalidRequest,
            &[("X-Auth-Token", format!("\"{good}\"").as_bytes())],
        ),
        case(
            "non-ascii bytes",
            InvalidRequest,
            &[("X-Auth-Token", b"eyJ\xc3\xa9.e30.abc")],
        ),
        case(
            "obs-text after a valid token",
            InvalidRequest,
            &[("X-Auth-Token", format!("{good}\u{a0}").as_bytes())],
        ),
        case(
            "oversized value",
            InvalidRequest,
            &[("X-Auth-Token", &vec![b'a'; 9 * 1024])],
        ),
        case(
            "same token twice in one header",
            Accepted,
            &[
                ("X-Auth-Token", good.as_bytes()),
                ("X-Auth-Token", good.as_bytes()),
            ],
        ),
        case(
            "same token in both headers",
            Accepted,
            &[
                ("Authorization", bearer.as_bytes()),
                ("X-Auth-Token", good.as_bytes()),
            ],
        ),
        case(
            "different tokens in both headers",
            InvalidRequest,
            &[
                ("Authorization", bearer.as_bytes()),
                ("X-Auth-Token", good_ct.as_bytes()),
            ],
        ),
        case(
            "repeated authorization, different tokens",
            InvalidRequest,
            &[
                ("Authorization", bearer.as_bytes()),
                ("Authorization", format!("Bearer {good_ct}").as_bytes()),
            ],
        ),
        case(
            "valid token beside a malformed one",
            InvalidRequest,
            &[("Authorization", bearer.as_bytes()), ("X-Auth-Token", b"")],
        ),
        case(
            "valid token beside garbage",
            InvalidRequest,
            &[
                ("Authorization", bearer.as_bytes()),
                ("X-Auth-Token", b"garbage"),
            ],
        ),
    ];
    let jose_cases = vec![
        token_case(
            "alg none, empty signature",
            InvalidToken,
            &keys.token().namespace(NS).algorithm(Algorithm::None).sign(),
        ),
        token_case(
            "alg none, original signature kept",
            InvalidToken,
            &with_segment(&good, 0, &b64(r#"{"alg":"none"}"#)),
        ),
        token_case("alg None (case)", InvalidToken, &jose(r#"{"alg":"None"}"#)),
        token_case(
            "alg rs256 in lower case",
            InvalidToken,
            &jose(r#"{"alg":"rs256"}"#),
        ),
        token_case(
            "alg as an array",
            InvalidToken,
            &jose(r#"{"alg":["RS256"]}"#),
        ),
        token_case("alg missing", InvalidToken, &jose(r#"{"typ":"JWT"}"#)),
        token_case(
            "alg duplicated, RS256 then none",
            InvalidToken,
            &jose(r#"{"alg":"RS256","alg":"none"}"#),
        ),
        token_case(
            "hs256 keyed with the public key",
            InvalidToken,
            &keys
                .token()
                .namespace(NS)
                .algorithm(Algorithm::HS256WithPublicKey)
                .sign(),
        ),
        token_case(
            "rs384",
            InvalidToken,
            &keys
                .token()
                .namespace(NS)
                .algorithm(Algorithm::RS384)
                .sign(),
        ),
        token_case(
            "rs512",
            InvalidToken,
            &keys
                .token()
                .namespace(NS)
                .algorithm(Algorithm::RS512)
                .sign(),
        ),
        token_case(
            "ps256 with the right key",
            InvalidToken,
            &keys
                .token()
                .namespace(NS)
                .algorithm(Algorithm::PS256)
                .sign(),
        ),
        token_case(
            "signed by another key",
            InvalidToken,
            &keys.token().namespace(NS).signed_by(&other).sign(),
        ),
        token_case(
            "another key announced in jwk",
            InvalidToken,
            &keys
                .token()
                .namespace(NS)
                .signed_by(&other)
                .header("jwk", json!({"kty": "RSA", "n": "x", "e": "AQAB"}))
                .sign(),
        ),
        token_case(
            "another key announced in jku",
            InvalidToken,
            &keys
                .token()
                .namespace(NS)
                .signed_by(&other)
                .header("jku", "https://attacker.invalid/jwks.json")
                .sign(),
        ),
        token_case(
            "another key announced in x5u",
            InvalidToken,
            &keys
                .token()
                .namespace(NS)
                .signed_by(&other)
                .header("x5u", "https://attacker.invalid/cert.pem")
                .sign(),
        ),
        token_case(
            "kid pointing at a file",
            Accepted,
            &keys
                .token()
                .namespace(NS)
                .header("kid", "../../../../dev/null")
                .sign(),
        ),
        token_case(
            "crit with an extension",
            InvalidToken,
            &keys
                .token()
                .namespace(NS)
                .header("crit", json!(["b64"]))
                .header("b64", false)
                .sign(),
        ),
        token_case(
            "crit empty",
            InvalidToken,
            &keys.token().namespace(NS).header("crit", json!([])).sign(),
        ),
        token_case(
            "payload tampered, signature kept",
            InvalidToken,
            &with_segment(
                &good,
                1,
                &b64(&format!(
                    r#"{{"application_claim":[{{"namespace_id":"{NS}","application_id":"{CT}"}}]}}"#
                )),
            ),
        ),
        token_case(
            "header tampered, signature kept",
            InvalidToken,
            &with_segment(&good, 0, &b64(r#"{"alg":"RS256","kid":"x"}"#)),
        ),
        token_case(
            "signature of another token",
            InvalidToken,
            &with_segment(&good, 2, good_ct.rsplit('.').next().unwrap()),
        ),
        token_case("empty signature", InvalidToken, &with_segment(&good, 2, "")),
        token_case(
            "truncated signature",
            InvalidToken,
            &with_segment(&good, 2, &signature[..signature.len() - 8]),
        ),
        token_case("signature with padding", InvalidToken, &format!("{good}==")),
        token_case(
            "signature in the standard alphabet",
            InvalidToken,
            &with_segment(
                &good,
                2,
                &format!("{}+/", &signature[..signature.len() - 2]),
            ),
        ),
        token_case(
            "signature all zeros",
            InvalidToken,
            &with_segment(&good, 2, &"A".repeat(signature.len())),
        ),
        token_case("two segments", InvalidToken, &format!("{header}.{payload}")),
        token_case(
            "four segments",
            InvalidToken,
            &format!("{good}.{signature}"),
        ),
        token_case(
            "five segments like a jwe",
            InvalidToken,
            &format!("{header}.{payload}.{signature}.{signature}.{signature}"),
        ),
        token_case(
            "header not json",
            InvalidToken,
            &with_segment(&good, 0, &b64("not json")),
        ),
        token_case("garbage", InvalidToken, "abc.def.ghi"),
    ];
    let time = vec![
        token_case(
            "expired beyond the leeway",
            InvalidToken,
            &keys.token().namespace(NS).expires_at(t - 61).sign(),
        ),
        token_case(
            "expired within the leeway",
            Accepted,
            &keys.token().namespace(NS).expires_at(t - 50).sign(),
        ),
        token_case("no expiry, as the platform issues", Accepted, &good),
        token_case(
            "expiry far in the future",
            Accepted,
            &keys.token().namespace(NS).expires_at(i64::MAX).sign(),
        ),
        token_case(
            "negative expiry",
            InvalidToken,
            &keys.token().namespace(NS).expires_at(-1).sign(),
        ),
        token_case(
            "expiry as a string",
            InvalidToken,
            &claims(&format!(
                r#"{{"application_claim":[{{"namespace_id":"{NS}"}}],"exp":"{}"}}"#,
                t + 600
            )),
        ),
        token_case(
            "expiry as a float",
            Accepted,
            &claims(&format!(
                r#"{{"application_claim":[{{"namespace_id":"{NS}"}}],"exp":{}.5}}"#,
                t + 600
            )),
        ),
        token_case(
            "expiry in exponent notation",
            Accepted,
            &claims(&format!(
                r#"{{"application_claim":[{{"namespace_id":"{NS}"}}],"exp":1e11}}"#
            )),
        ),
        token_case(
            "expiry null (CVE-2026-25537: never read as absent)",
            InvalidToken,
            &claims(&format!(
                r#"{{"application_claim":[{{"namespace_id":"{NS}"}}],"exp":null}}"#
            )),
        ),
        token_case(
            "expiry duplicated, past then future",
            InvalidToken,
            &claims(&format!(
                r#"{{"application_claim":[{{"namespace_id":"{NS}"}}],"exp":1,"exp":{}}}"#,
                t + 600
            )),
        ),
        token_case(
            "not yet valid beyond the leeway",
            InvalidToken,
            &keys.token().namespace(NS).not_before(t + 90).sign(),
        ),
        token_case(
            "not yet valid within the leeway",
            Accepted,
            &keys.token().namespace(NS).not_before(t + 30).sign(),
        ),
        token_case(
            "issued in the future",
            InvalidToken,
            &keys.token().namespace(NS).issued_at(t + 3600).sign(),
        ),
        token_case(
            "nbf as a boolean",
            InvalidToken,
            &claims(&format!(
                r#"{{"application_claim":[{{"namespace_id":"{NS}"}}],"nbf":true}}"#
            )),
        ),
        token_case(
            "audience functions",
            Accepted,
            &keys
                .token()
                .namespace(NS)
                .claim("aud", json!(["x", "functions"]))
                .sign(),
        ),
        token_case(
            "another audience",
            InvalidToken,
            &keys.token().namespace(NS).claim("aud", "other").sign(),
        ),
    ];
    let claim_cases = vec![
        token_case("namespace token", Accepted, &good),
        token_case("container token", Accepted, &good_ct),
        token_case(
            "container token without namespace",
            Accepted,
            &keys.token().container_without_namespace(CT).sign(),
        ),
        token_case(
            "container_id spelling",
            Accepted,
            &keys
                .token()
                .container(NS, CT)
                .container_id_spelling()
                .sign(),
        ),
        token_case(
            "both spellings agreeing",
            Accepted,
            &entries(&format!(
                r#"[{{"application_id":"{CT}","container_id":"{CT}"}}]"#
            )),
        ),
        token_case(
            "both spellings disagreeing",
            InvalidToken,
            &entries(&format!(
                r#"[{{"application_id":"{CT}","container_id":"{SIBLING}"}}]"#
            )),
        ),
        token_case(
            "sibling container of the same namespace",
            Scope,
            &keys.token().container(NS, SIBLING).sign(),
        ),
        token_case(
            "this container under another namespace",
            Scope,
            &keys.token().container("another-namespace", CT).sign(),
        ),
        token_case(
            "another namespace",
            Scope,
            &keys.token().namespace("another-namespace").sign(),
        ),
        token_case("entry with no ids", Scope, &entries("[{}]")),
        token_case(
            "entry with empty ids",
            Scope,
            &entries(r#"[{"namespace_id":"","application_id":"","container_id":""}]"#),
        ),
        token_case(
            "entry with null ids",
            Scope,
            &entries(r#"[{"namespace_id":null,"application_id":null}]"#),
        ),
        token_case("no application_claim", Scope, &claims(r#"{"sub":"x"}"#)),
        token_case("application_claim null", Scope, &entries("null")),
        token_case("application_claim empty", Scope, &entries("[]")),
        token_case(
            "application_claim an object",
            InvalidToken,
            &entries(&format!(r#"{{"namespace_id":"{NS}"}}"#)),
        ),
        token_case(
            "application_claim a string",
            InvalidToken,
            &entries(&format!(r#""{NS}""#)),
        ),
        token_case(
            "entry a string",
            InvalidToken,
            &entries(&format!(r#"["{NS}"]"#)),
        ),
        token_case(
            "id a number",
            InvalidToken,
            &entries(r#"[{"namespace_id":1}]"#),
        ),
        token_case(
            "id in another case",
            Scope,
            &keys.token().namespace(&NS.to_uppercase()).sign(),
        ),
        token_case(
            "id with a trailing space",
            Scope,
            &keys.token().namespace(&format!("{NS} ")).sign(),
        ),
        token_case(
            "id with a nul byte",
            Scope,
            &keys.token().namespace(&format!("{NS}\0")).sign(),
        ),
        token_case(
            "id prefix",
            Scope,
            &keys.token().namespace(&NS[..NS.len() - 1]).sign(),
        ),
        token_case(
            "several entries, the last grants (the platform's runtime refuses more than one)",
            InvalidToken,
            &keys
                .token()
                .namespace("a")
                .container("b", "c")
                .container(NS, CT)
                .sign(),
        ),
        token_case(
            "application_claim duplicated",
            InvalidToken,
            &claims(&format!(
                r#"{{"application_claim":[{{"namespace_id":"x"}}],"application_claim":[{{"namespace_id":"{NS}"}}]}}"#
            )),
        ),
        token_case("claims not an object", InvalidToken, &claims("[]")),
    ];
    let mut shapes = Vec::new();
    // An entry is a JSON object: read by position, each of these would name this namespace.
    for shape in [
        format!(r#"[["{NS}"]]"#),
        format!(r#"[["{NS}", "{CT}"]]"#),
        format!(r#"[["", "{CT}"]]"#),
        "[1]".to_owned(),
        "[null]".to_owned(),
        "[true]".to_owned(),
        format!(r#"[{{"namespace_id":"{NS}"}}, "{NS}"]"#),
    ] {
        shapes.push(token_case(
            &format!("entry not an object: {shape}"),
            InvalidToken,
            &entries(&shape),
        ));
    }
    // A registered claim of the wrong type is refused, never read as absent (CVE-2026-25537).
    let wrong_types = [
        ("exp", &["null", "\"4102444800\"", "[4102444800]", "{}"][..]),
        ("nbf", &["null", "\"0\"", "[0]", "{}"]),
        ("iat", &["null", "\"0\"", "[0]", "{}"]),
        ("aud", &["null", "5", "{}", "[null]"]),
        ("iss", &["null", "5", "{}", "[\"SCALEWAY\"]"]),
    ];
    for (claim, values) in wrong_types {
        for value in values {
            shapes.push(token_case(
                &format!("{claim} of the wrong type: {value}"),
                InvalidToken,
                &claims(&format!(
                    r#"{{"application_claim":[{{"namespace_id":"{NS}"}}],"{claim}":{value}}}"#
                )),
            ));
        }
    }
    // The secret key of an IAM API key: the platform's credential, not a token.
    let iam = IAM_KEY.as_bytes();
    let iam_upper = IAM_KEY.to_uppercase();
    let bad_bearer = format!("Bearer {good}x");
    let iam_cases = vec![
        case("IAM key alone", InvalidToken, &[("X-Auth-Token", iam)]),
        case(
            "IAM key alone, upper case",
            InvalidToken,
            &[("X-Auth-Token", iam_upper.as_bytes())],
        ),
        case(
            "IAM key and a JWT (the edge's credential and the app's own)",
            Accepted,
            &[("X-Auth-Token", iam), ("Authorization", bearer.as_bytes())],
        ),
        case(
            "IAM key and a bad JWT",
            InvalidToken,
            &[
                ("X-Auth-Token", iam),
                ("Authorization", bad_bearer.as_bytes()),
            ],
        ),
        case(
            "IAM key twice",
            InvalidToken,
            &[("X-Auth-Token", iam), ("X-Auth-Token", iam)],
        ),
    ];
    vec![
        (Section::Headers, headers),
        (Section::Jose, jose_cases),
        (Section::Time, time),
        (Section::Claims, claim_cases),
        (Section::Entries, shapes),
        (Section::Iam, iam_cases),
    ]
}

/// An IAM secret key (made up): a UUID.
const IAM_KEY: &str = "0b4e9f2c-7d1a-4c3e-8f5b-2a6d9e1c4b7f";

/// Sends every case of `section` through both frameworks and fails once, listing every case
/// whose answer was wrong. The section must hold an accepted case and a refused one, so a
/// server that accepts everything, or refuses everything, cannot pass it.
async fn check_section(section: Section) {
    let cases = cases(section);
    let accepted = cases
        .iter()
        .filter(|c| c.expect == Expect::Accepted)
        .count();
    let servers = [
        ("axum", serve_axum(verifier(false)).await),
        ("actix-web", serve_actix(verifier(false))),
    ];
    let mut failures = Vec::new();
    let mut refused = 0;
    for (framework, addr) in servers {
        for case in &cases {
            let response = send(addr, case).await;
            refused += usize::from(response.status != 200);
            if let Err(problem) = case.expect.check(&response) {
                failures.push(format!("{framework}, {}: {problem}", case.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed in {section:?}:\n{}",
        failures.len(),
        2 * cases.len(),
        failures.join("\n")
    );
    // Sanity of the suite itself: a section of refusals alone would pass against a server
    // that refuses everything, so each section but the one of malformed shapes has a case
    // that passes.
    if section != Section::Entries {
        assert!(accepted > 0, "{section:?} has no accepted case");
    }
    assert!(refused > 0, "{section:?} has no refused case");
}

/// Sends one case's request, with its headers as raw bytes.
async fn send(addr: SocketAddr, case: &Case) -> Response {
    let headers: Vec<(&str, &[u8])> = case
        .headers
        .iter()
        .map(|(n, v)| (*n, v.as_slice()))
        .collect();
    send_raw(addr, &request_bytes("GET", "/p", &headers, b"")).await
}

/// Sends `cases` to the server at `addr`, failing at the first wrong answer.
async fn run(addr: SocketAddr, cases: &[Case], framework: &str) {
    for case in cases {
        let response = send(addr, case).await;
        case.expect
            .assert(&response, &format!("{framework}: {}", case.name));
    }
}

#[tokio::test]
async fn adversarial_headers() {
    check_section(Section::Headers).await;
}

#[tokio::test]
async fn adversarial_jose_header_and_signature() {
    check_section(Section::Jose).await;
}

#[tokio::test]
async fn adversarial_time_claims() {
    check_section(Section::Time).await;
}

#[tokio::test]
async fn adversarial_claims_and_scope() {
    check_section(Section::Claims).await;
}

#[tokio::test]
async fn adversarial_entries_and_claim_types() {
    check_section(Section::Entries).await;
}

#[tokio::test]
async fn adversarial_iam_keys() {
    check_section(Section::Iam).await;
}

/// Every shape an environment variable can deliver the key in, and every wrong kind of key.
fn key_shapes() -> Vec<(&'static str, String, Expect)> {
    use Expect::*;
    let pem = PUBLIC_KEY.trim();
    let keys = tests::keys();
    vec![
        ("pkcs1 as is", pem.to_owned(), Accepted),
        ("spki", keys.public_spki_pem(), Accepted),
        ("escaped newlines", pem.replace('\n', "\\n"), Accepted),
        ("escaped crlf", pem.replace('\n', "\\r\\n"), Accepted),
        (
            "double quoted, escaped",
            format!("\"{}\"", pem.replace('\n', "\\n")),
            Accepted,
        ),
        ("single quoted", format!("'{pem}'"), Accepted),
        ("crlf line ends", pem.replace('\n', "\r\n"), Accepted),
        (
            "newlines turned into spaces",
            pem.replace('\n', " "),
            Accepted,
        ),
        (
            "surrounding whitespace",
            format!("\n\n  {pem}  \n"),
            Accepted,
        ),
        ("blank line inside", pem.replacen('\n', "\n\n", 3), Accepted),
        ("unset", String::new(), ServerError),
        ("whitespace only", "  \n ".to_owned(), ServerError),
        ("garbage", "hello".to_owned(), ServerError),
        (
            "two keys",
            format!(
                "{pem}\n{}",
                include_str!("../../runtime/test-keys/rsa2048-b.pkcs1.pem")
            ),
            ServerError,
        ),
        (
            "body only, no armour",
            pem.lines().filter(|l| !l.starts_with("-----")).collect(),
            ServerError,
        ),
        ("truncated", pem[..pem.len() - 40].to_owned(), ServerError),
        ("private key (pkcs1)", PRIVATE_KEY.to_owned(), ServerError),
        ("private key (pkcs8)", keys.private_pem(), ServerError),
        (
            "certificate",
            include_str!("../../runtime/test-keys/rsa2048-a.cert.pem").to_owned(),
            ServerError,
        ),
        (
            "ec p-256 key",
            include_str!("../../runtime/test-keys/ec.spki.pem").to_owned(),
            ServerError,
        ),
        (
            "ed25519 key",
            include_str!("../../runtime/test-keys/ed25519.spki.pem").to_owned(),
            ServerError,
        ),
        (
            "rsa 1024",
            include_str!("../../runtime/test-keys/rsa1024.pkcs1.pem").to_owned(),
            ServerError,
        ),
        (
            "wrong label",
            pem.replace("RSA PUBLIC KEY", "PUBLIC KEY"),
            ServerError,
        ),
    ]
}

#[tokio::test]
async fn every_key_shape_through_axum_and_actix_web() {
    let keys = KeyPair::from_private_pem(PRIVATE_KEY).unwrap();
    let token = keys.token().container(NS, CT).sign();
    for (name, pem, expect) in key_shapes() {
        let verifier = Verifier::from_variables(move |var| match var {
            "SCW_PUBLIC_KEY" if !pem.is_empty() => Some(pem.clone()),
            "SCW_NAMESPACE_ID" => Some(NS.to_owned()),
            "SCW_APPLICATION_ID" => Some(CT.to_owned()),
            _ => None,
        });
        assert_eq!(
            verifier.preflight(&scw_private::Policy::new()).is_ok(),
            expect == Expect::Accepted,
            "{name}"
        );
        let cases = [
            token_case("container token", expect, &token),
            case(
                "no token",
                if expect == Expect::Accepted {
                    Expect::Missing
                } else {
                    expect
                },
                &[],
            ),
        ];
        run(
            serve_axum(verifier.clone()).await,
            &cases,
            &format!("axum, key {name}"),
        )
        .await;
        run(
            serve_actix(verifier),
            &cases,
            &format!("actix-web, key {name}"),
        )
        .await;
    }
}

#[tokio::test]
async fn every_missing_id_answers_500_and_preflight_names_it() {
    let keys = KeyPair::from_private_pem(PRIVATE_KEY).unwrap();
    let token = keys.token().container(NS, CT).sign();
    for (missing, message) in [
        ("SCW_NAMESPACE_ID", "the namespace id"),
        ("SCW_APPLICATION_ID", "the container id"),
    ] {
        let verifier = Verifier::from_variables(move |var| match var {
            "SCW_PUBLIC_KEY" => Some(PUBLIC_KEY.to_owned()),
            var if var == missing => Some(String::new()),
            "SCW_NAMESPACE_ID" => Some(NS.to_owned()),
            "SCW_APPLICATION_ID" => Some(CT.to_owned()),
            _ => None,
        });
        let problem = verifier
            .preflight(&scw_private::Policy::new())
            .unwrap_err()
            .to_string();
        assert!(
            problem.contains(message) && problem.contains(missing),
            "{problem}"
        );
        let cases = [token_case("valid token", Expect::ServerError, &token)];
        run(serve_axum(verifier.clone()).await, &cases, missing).await;
        run(serve_actix(verifier), &cases, missing).await;
    }
}
