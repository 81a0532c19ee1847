//! Tokens as the platform mints them, and every bad token a test needs.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::{hmac, rand, signature};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::testing::KeyPair;

/// How a test token is signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, what the platform uses.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384 (refused by the verifier).
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512 (refused by the verifier).
    RS512,
    /// RSASSA-PSS with SHA-256 (refused by the verifier).
    PS256,
    /// HMAC-SHA256 keyed with the public key's PEM: the key-confusion attack (refused).
    HS256WithPublicKey,
    /// `alg: none` and an empty signature (refused).
    None,
}

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::HS256WithPublicKey => "HS256",
            Self::None => "none",
        }
    }
}

/// Builds one signed token. Start from [`KeyPair::token`].
///
/// By default the token is shaped exactly like one the platform issues: the header
/// `{"alg":"RS256","typ":"JWT"}`, and the payload
///
/// ```text
/// {"application_claim":[{"namespace_id":"","application_id":"<id>"}],"version":2,
///  "aud":"functions","jti":"<uuid>","iat":<now>,"iss":"SCALEWAY","nbf":<now>,"sub":"token"}
/// ```
///
/// with no `exp` (a token "without expiration date"). The one entry comes from
/// [`namespace`](Self::namespace) or [`container`](Self::container); the refusal helpers
/// (`expired`, `signed_by`, `entry`, ...) change one thing each.
#[must_use]
pub struct TokenBuilder<'k> {
    key: &'k KeyPair,
    algorithm: Algorithm,
    header: Map<String, Value>,
    claims: Map<String, Value>,
    entries: Vec<Value>,
    container_id_spelling: bool,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A random (version 4) UUID: the platform's `jti`, and the shape of an IAM secret key.
pub(crate) fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes).expect("system randomness");
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

impl<'k> TokenBuilder<'k> {
    pub(crate) fn new(key: &'k KeyPair) -> Self {
        let now = now();
        let claims = json!({
            "version": 2,
            "aud": "functions",
            "jti": random_uuid(),
            "iat": now,
            "iss": "SCALEWAY",
            "nbf": now,
            "sub": "token",
        });
        let Value::Object(claims) = claims else {
            unreachable!()
        };
        let mut header = Map::new();
        header.insert("typ".into(), "JWT".into());
        Self {
            key,
            algorithm: Algorithm::RS256,
            header,
            claims,
            entries: Vec::new(),
            container_id_spelling: false,
        }
    }

    /// A namespace token: valid for every container of `namespace_id`.
    pub fn namespace(mut self, namespace_id: &str) -> Self {
        self.entries.push(json!({"namespace_id": namespace_id}));
        self
    }

    /// A container token for `container_id` in `namespace_id`.
    pub fn container(mut self, namespace_id: &str, container_id: &str) -> Self {
        self.entries
            .push(json!({"namespace_id": namespace_id, "application_id": container_id}));
        self
    }

    /// A container token that names no namespace, as the platform issues it for
    /// `issue-jwt?container_id=..`: `namespace_id` is the empty string.
    pub fn container_without_namespace(mut self, container_id: &str) -> Self {
        self.entries
            .push(json!({"namespace_id": "", "application_id": container_id}));
        self
    }

    /// Adds an `application_claim` entry exactly as given, malformed or not. A token with more
    /// than one entry is refused, as the platform's runtime refuses it.
    pub fn entry(mut self, entry: Value) -> Self {
        self.entries.push(entry);
        self
    }

    /// Spells the container id `container_id` instead of `application_id`, as another
    /// documentation revision does.
    pub fn container_id_spelling(mut self) -> Self {
        self.container_id_spelling = true;
        self
    }

    /// Sets `exp` to this Unix time.
    pub fn expires_at(self, exp: i64) -> Self {
        self.claim("exp", exp)
    }

    /// Sets `exp` to `seconds` from now.
    pub fn expires_in(self, seconds: i64) -> Self {
        self.expires_at(now() + seconds)
    }

    /// Sets `exp` an hour ago.
    pub fn expired(self) -> Self {
        self.expires_in(-3600)
    }

    /// Sets `nbf` to this Unix time.
    pub fn not_before(self, nbf: i64) -> Self {
        self.claim("nbf", nbf)
    }

    /// Sets `nbf` an hour from now.
    pub fn not_yet_valid(self) -> Self {
        self.not_before(now() + 3600)
    }

    /// Sets `iat` to this Unix time.
    pub fn issued_at(self, iat: i64) -> Self {
        self.claim("iat", iat)
    }

    /// Sets `iat` an hour from now.
    pub fn issued_in_the_future(self) -> Self {
        self.issued_at(now() + 3600)
    }

    /// Sets any claim, replacing the default if there is one.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a claim, a default one included.
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets a JOSE header member (`kid`, `crit`, even `alg`).
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.header.insert(name.to_owned(), value.into());
        self
    }

    /// Signs with another algorithm, for the refusals.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Signs with another key, for the refusals.
    pub fn signed_by(mut self, key: &'k KeyPair) -> Self {
        self.key = key;
        self
    }

    /// The claims as they will be signed.
    pub fn claims(&self) -> Value {
        let mut claims = self.claims.clone();
        let mut entries = self.entries.clone();
        if self.container_id_spelling {
            for entry in &mut entries {
                if let Some(object) = entry.as_object_mut()
                    && let Some(id) = object.remove("application_id")
                {
                    object.insert("container_id".into(), id);
                }
            }
        }
        claims.insert("application_claim".into(), Value::Array(entries));
        Value::Object(claims)
    }

    /// Signs and returns the compact token.
    pub fn sign(self) -> String {
        let mut header = self.header.clone();
        header
            .entry("alg")
            .or_insert_with(|| self.algorithm.name().into());
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(Value::Object(header).to_string()),
            URL_SAFE_NO_PAD.encode(self.claims().to_string())
        );
        let signature = self.signature(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn signature(&self, message: &[u8]) -> Vec<u8> {
        let rsa = |encoding: &'static dyn signature::RsaEncoding| {
            let key = self.key.rsa();
            let mut signature = vec![0; key.public_modulus_len()];
            key.sign(
                encoding,
                &rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .expect("RSA signing");
            signature
        };
        match self.algorithm {
            Algorithm::RS256 => rsa(&signature::RSA_PKCS1_SHA256),
            Algorithm::RS384 => rsa(&signature::RSA_PKCS1_SHA384),
            Algorithm::RS512 => rsa(&signature::RSA_PKCS1_SHA512),
            Algorithm::PS256 => rsa(&signature::RSA_PSS_SHA256),
            Algorithm::HS256WithPublicKey => {
                let secret = hmac::Key::new(hmac::HMAC_SHA256, self.key.public_pem().as_bytes());
                hmac::sign(&secret, message).as_ref().to_vec()
            }
            Algorithm::None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Policy, Reason, RejectionKind, Scope, TokenKind};

    const NS: &str = "ns";
    const CT: &str = "ct";

    /// Test-only key pair A (2048 bits, fast), loaded once.
    fn keys() -> &'static KeyPair {
        static KEYS: std::sync::LazyLock<KeyPair> = std::sync::LazyLock::new(|| {
            KeyPair::from_private_pem(include_str!("../../test-keys/rsa2048-a.private.pem"))
                .unwrap()
        });
        &KEYS
    }

    fn check(
        keys: &KeyPair,
        token: &str,
        policy: Policy,
    ) -> Result<TokenKind, (RejectionKind, Reason)> {
        keys.verifier(NS, CT)
            .verify(token, &policy)
            .map(|c| c.kind())
            .map_err(|r| (r.kind(), r.reason()))
    }

    #[test]
    fn platform_tokens_verify_at_4096_bits() {
        let keys =
            KeyPair::from_private_pem(include_str!("../../test-keys/rsa4096.private.pem")).unwrap();
        assert_eq!(keys.bits(), 4096);
        assert_eq!(
            check(&keys, &keys.token().namespace(NS).sign(), Policy::new()),
            Ok(TokenKind::Namespace)
        );
        assert_eq!(
            check(&keys, &keys.token().container(NS, CT).sign(), Policy::new()),
            Ok(TokenKind::Container)
        );
        let token = keys
            .token()
            .container_without_namespace(CT)
            .container_id_spelling()
            .expires_in(60)
            .sign();
        assert_eq!(
            check(&keys, &token, Policy::new().scope(Scope::ContainerToken)),
            Ok(TokenKind::Container)
        );
    }

    #[test]
    fn every_refusal_token_is_refused_for_its_reason() {
        let keys = keys();
        let other =
            KeyPair::from_private_pem(include_str!("../../test-keys/rsa2048-b.private.pem"))
                .unwrap();
        let invalid = |token: String, reason| {
            assert_eq!(
                check(keys, &token, Policy::new()),
                Err((RejectionKind::InvalidToken, reason))
            );
        };
        invalid(keys.token().namespace(NS).expired().sign(), Reason::Expired);
        invalid(
            keys.token().namespace(NS).not_yet_valid().sign(),
            Reason::NotYetValid,
        );
        invalid(
            keys.token().namespace(NS).issued_in_the_future().sign(),
            Reason::IssuedInTheFuture,
        );
        invalid(
            keys.token().namespace(NS).signed_by(&other).sign(),
            Reason::BadSignature,
        );
        for algorithm in [
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::HS256WithPublicKey,
            Algorithm::None,
        ] {
            invalid(
                keys.token().namespace(NS).algorithm(algorithm).sign(),
                Reason::UnsupportedAlgorithm,
            );
        }
        invalid(
            keys.token()
                .namespace(NS)
                .header("crit", json!(["exp"]))
                .sign(),
            Reason::CriticalHeader,
        );
        let scope = |token: String| check(keys, &token, Policy::new()).unwrap_err().0;
        assert_eq!(
            scope(keys.token().namespace("elsewhere").sign()),
            RejectionKind::InsufficientScope
        );
        assert_eq!(
            scope(keys.token().container(NS, "sibling").sign()),
            RejectionKind::InsufficientScope
        );
        assert_eq!(
            scope(keys.token().entry(json!({})).sign()),
            RejectionKind::InsufficientScope
        );
    }

    #[test]
    fn more_than_one_entry_is_refused() {
        let keys = keys();
        let token = keys.token().namespace("elsewhere").container(NS, CT).sign();
        assert_eq!(
            check(keys, &token, Policy::new()),
            Err((RejectionKind::InvalidToken, Reason::SeveralEntries))
        );
    }

    #[test]
    fn defaults_are_the_platform_s_token_to_the_letter() {
        let keys = keys();
        let token = keys.token().container_without_namespace(CT).sign();
        let segment = |i: usize| -> Value {
            let part = token.split('.').nth(i).unwrap();
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
        };
        assert_eq!(segment(0), json!({"alg": "RS256", "typ": "JWT"}));
        let claims = segment(1);
        let iat = claims["iat"].as_i64().unwrap();
        let jti = claims["jti"].as_str().unwrap().to_owned();
        assert!(
            crate::verification::extract::is_iam_key(&jti),
            "a UUID: {jti}"
        );
        assert_eq!(
            claims,
            json!({
                "application_claim": [{"namespace_id": "", "application_id": CT}],
                "version": 2,
                "aud": "functions",
                "jti": jti,
                "iat": iat,
                "iss": "SCALEWAY",
                "nbf": iat,
                "sub": "token",
            })
        );
        assert_eq!(
            check(keys, &token, Policy::new().scope(Scope::ContainerToken)),
            Ok(TokenKind::Container)
        );
        let claims = keys.token().namespace(NS).claims();
        assert_eq!(claims["application_claim"], json!([{"namespace_id": NS}]));
        assert!(
            keys.token()
                .without_claim("aud")
                .claims()
                .get("aud")
                .is_none()
        );
    }
}
