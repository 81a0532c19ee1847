//! Test-only keys, ids and tokens: what every suite signs and verifies with.

use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use scw_private::Verifier;
use scw_private::testing::KeyPair;
use serde_json::{Value, json};

/// Test-only key pair A, the verifier's key: 4096 bits and PKCS#1, like the platform's.
pub const PUBLIC_KEY: &str = include_str!("../../runtime/test-keys/rsa4096.pkcs1.pem");
pub const PRIVATE_KEY: &str = include_str!("../../runtime/test-keys/rsa4096.private.pem");

pub const NS: &str = "11111111-aaaa-4aaa-8aaa-000000000001";
pub const CT: &str = "22222222-bbbb-4bbb-8bbb-000000000001";
pub const SIBLING: &str = "22222222-bbbb-4bbb-8bbb-000000000002";
pub const OTHER_NS: &str = "11111111-aaaa-4aaa-8aaa-000000000002";
/// The ids the `explicit-*` routes name in their attribute.
pub const EXPLICIT_NS: &str = "ns-explicit";
pub const EXPLICIT_CT: &str = "ct-explicit";

/// A verifier for container `CT` of namespace `NS`, built without the environment.
pub fn verifier(public: bool) -> Verifier {
    Verifier::builder()
        .public_key_pem(PUBLIC_KEY)
        .namespace_id(NS)
        .container_id(CT)
        .public(public)
        .build()
        .unwrap()
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Test key A as a signing key.
pub fn keys() -> &'static KeyPair {
    static KEYS: LazyLock<KeyPair> =
        LazyLock::new(|| KeyPair::from_private_pem(PRIVATE_KEY).unwrap());
    &KEYS
}

/// Signs `claims` with test key A, as the platform signs its tokens.
pub fn mint(claims: &Value) -> String {
    keys().sign_raw(r#"{"alg":"RS256","typ":"JWT"}"#, &claims.to_string())
}

/// The one entry of a platform token: a namespace token names no container, a container
/// token issued for a container alone has `"namespace_id": ""`.
fn entry(namespace_id: Option<&str>, container_id: Option<&str>) -> Value {
    match container_id {
        None => json!({"namespace_id": namespace_id.unwrap_or_default()}),
        Some(ct) => json!({"namespace_id": namespace_id.unwrap_or_default(), "application_id": ct}),
    }
}

/// A token exactly as the platform issues it (the profile decoded from real tokens): one
/// entry, `version`, `aud`, a UUID `jti`, `iat` and `nbf`, `iss`, `sub`, and no `exp`.
pub fn platform_token(namespace_id: Option<&str>, container_id: Option<&str>) -> String {
    let issued = now() - 10;
    mint(&json!({
        "application_claim": [entry(namespace_id, container_id)],
        "version": 2,
        "aud": "functions",
        "jti": "6f0a4b8e-2c1d-4f3a-9b7e-5d8c1a2e3f40",
        "iat": issued,
        "iss": "SCALEWAY",
        "nbf": issued,
        "sub": "token",
    }))
}

/// Every kind of token the route matrix sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    Namespace,
    Container,
    ContainerWithoutNamespace,
    ContainerIdSpelling,
    Sibling,
    OtherNamespace,
    ExplicitNamespace,
    ExplicitContainer,
    Expired,
    Bad,
    None,
}

impl Token {
    pub const ALL: [Token; 11] = [
        Token::Namespace,
        Token::Container,
        Token::ContainerWithoutNamespace,
        Token::ContainerIdSpelling,
        Token::Sibling,
        Token::OtherNamespace,
        Token::ExplicitNamespace,
        Token::ExplicitContainer,
        Token::Expired,
        Token::Bad,
        Token::None,
    ];

    /// The kind a handler sees in the claims of this (granted) token.
    pub fn kind(self) -> &'static str {
        match self {
            Token::Namespace | Token::ExplicitNamespace | Token::OtherNamespace => "namespace",
            _ => "container",
        }
    }

    pub fn value(self) -> Option<String> {
        Some(match self {
            Token::Namespace => platform_token(Some(NS), None),
            Token::Container => platform_token(Some(NS), Some(CT)),
            Token::ContainerWithoutNamespace => platform_token(None, Some(CT)),
            Token::ContainerIdSpelling => {
                mint(&json!({"application_claim": [{"namespace_id": NS, "container_id": CT}]}))
            }
            Token::Sibling => platform_token(Some(NS), Some(SIBLING)),
            Token::OtherNamespace => platform_token(Some(OTHER_NS), None),
            Token::ExplicitNamespace => platform_token(Some(EXPLICIT_NS), None),
            Token::ExplicitContainer => platform_token(Some(NS), Some(EXPLICIT_CT)),
            Token::Expired => {
                mint(&json!({"application_claim": [entry(Some(NS), None)], "exp": now() - 3600}))
            }
            Token::Bad => "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl".to_owned(),
            Token::None => return None,
        })
    }
}
