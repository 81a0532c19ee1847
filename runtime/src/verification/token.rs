//! Verifying one JWT: its form, its JOSE header, its RS256 signature and its time claims.
//!
//! The signature is checked with `jsonwebtoken`'s crypto provider; everything around it is
//! done here so that every rule is explicit: RS256 only, no `crit`, `exp` optional unless
//! required, `nbf` and `iat` checked, `aud` and `iss` as configured.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde::{Deserialize, Deserializer};

use crate::verification::claims::RawClaims;
use crate::verification::crypto;
use crate::verification::extract::MAX_TOKEN_BYTES;
use crate::verification::key::PublicKey;
use crate::verification::rejection::{Reason, Rejection};

/// The rules a token's registered claims are held to.
#[derive(Clone, Debug)]
pub(crate) struct Rules {
    pub(crate) leeway: i64,
    pub(crate) require_exp: bool,
    pub(crate) audiences: Vec<String>,
    pub(crate) issuers: Option<Vec<String>>,
    /// The oldest `iat` accepted, as an age in seconds; `None` for no bound.
    pub(crate) max_age: Option<i64>,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            leeway: 60,
            require_exp: false,
            audiences: vec!["functions".to_owned()],
            issuers: None,
            max_age: None,
        }
    }
}

/// The members of the JOSE header this crate looks at.
#[derive(Deserialize)]
struct JoseHeader {
    alg: String,
    /// Any `crit` member, even `null` or empty: this verifier understands no extension, so
    /// RFC 7515 section 4.1.11 requires refusing the token.
    #[serde(default, deserialize_with = "present")]
    crit: bool,
}

fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(deserializer).map(|_| true)
}

/// Verifies `token` with `key` at time `now` (seconds since the Unix epoch).
pub(crate) fn verify(
    token: &str,
    key: &PublicKey,
    rules: &Rules,
    now: i64,
) -> Result<RawClaims, Rejection> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Rejection::new(Reason::TokenTooLarge));
    }
    let malformed = || Rejection::new(Reason::Malformed);
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    // The signing input: the first two segments and the dot between them, as sent.
    let signed = &token[..header.len() + 1 + payload.len()];

    let header: JoseHeader = decode_json(header).ok_or_else(malformed)?;
    // Exactly RS256: `none`, HMAC (key confusion), PS256 and RS384/512 are all refused.
    if header.alg != "RS256" {
        return Err(Rejection::new(Reason::UnsupportedAlgorithm));
    }
    if header.crit {
        return Err(Rejection::new(Reason::CriticalHeader));
    }

    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| malformed())?;
    let verifier = (crypto::provider().verifier_factory)(&Algorithm::RS256, key.decoding_key())
        .map_err(|_| Rejection::new(Reason::BadSignature))?;
    verifier
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| Rejection::new(Reason::BadSignature))?;

    let claims: RawClaims = decode_json(payload).ok_or(Rejection::new(Reason::MalformedClaims))?;
    check_registered(&claims, rules, now)?;
    Ok(claims)
}

/// Decodes a segment that must be a JSON object (RFC 7515 section 4, RFC 7519 section 7.2).
///
/// serde's derived structs also accept a JSON array, field by field in order, so
/// `[[{"namespace_id":"..."}]]` would read as an `application_claim`: that is checked first.
fn decode_json<T: serde::de::DeserializeOwned>(segment: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return None;
    }
    serde_json::from_slice(&bytes).ok()
}

/// Time, audience and issuer, with `leeway` seconds of clock skew tolerated.
pub(crate) fn check_registered(
    claims: &RawClaims,
    rules: &Rules,
    now: i64,
) -> Result<(), Rejection> {
    let leeway = rules.leeway;
    match claims.exp {
        // RFC 7519 section 4.1.4: not accepted on or after `exp`.
        Some(exp) if now >= exp.saturating_add(leeway) => {
            return Err(Rejection::new(Reason::Expired));
        }
        None if rules.require_exp => return Err(Rejection::new(Reason::NoExpiry)),
        _ => {}
    }
    if claims
        .nbf
        .is_some_and(|nbf| now.saturating_add(leeway) < nbf)
    {
        return Err(Rejection::new(Reason::NotYetValid));
    }
    if claims
        .iat
        .is_some_and(|iat| iat > now.saturating_add(leeway))
    {
        return Err(Rejection::new(Reason::IssuedInTheFuture));
    }
    if let Some(max_age) = rules.max_age {
        // Platform tokens carry no `exp`: a bound on their age is the only end a leaked or
        // deleted one has where the edge checks nothing.
        match claims.iat {
            None => return Err(Rejection::new(Reason::NoIssueTime)),
            Some(iat) if now.saturating_sub(iat) > max_age.saturating_add(leeway) => {
                return Err(Rejection::new(Reason::TooOld));
            }
            Some(_) => {}
        }
    }
    if let Some(aud) = &claims.aud
        && !aud.contains_any(&rules.audiences)
    {
        return Err(Rejection::new(Reason::AudienceNotAccepted));
    }
    if let Some(issuers) = &rules.issuers
        && !claims.iss.as_ref().is_some_and(|iss| issuers.contains(iss))
    {
        return Err(Rejection::new(Reason::IssuerNotAccepted));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use jsonwebtoken::EncodingKey;
    use serde_json::{Value, json};

    use super::*;

    pub(crate) const NOW: i64 = 1_800_000_000;

    pub(crate) fn key_a() -> PublicKey {
        PublicKey::from_pem(include_str!("../../test-keys/rsa2048-a.pkcs1.pem")).unwrap()
    }

    /// Test-only key pairs A and B.
    const PRIVATE_A: &str = include_str!("../../test-keys/rsa2048-a.private.pem");
    const PRIVATE_B: &str = include_str!("../../test-keys/rsa2048-b.private.pem");

    /// The one signer of the unit tests: `alg` over exactly these JSON texts, so a test can
    /// sign what no well-behaved encoder would write (arrays, duplicates, odd headers).
    pub(crate) fn sign_as(
        alg: Algorithm,
        header: &str,
        payload: &str,
        private_pem: &str,
    ) -> String {
        let input = format!("{}.{}", b64(header), b64(payload));
        let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
        // Through the provider the verifier uses: `jsonwebtoken::crypto::sign` would read a
        // process default, which nothing installs.
        let signer = (crypto::provider().signer_factory)(&alg, &key).unwrap();
        let signature = URL_SAFE_NO_PAD.encode(signer.try_sign(input.as_bytes()).unwrap());
        format!("{input}.{signature}")
    }

    /// `claims` as the platform signs them, with test key A.
    pub(crate) fn sign(claims: &Value) -> String {
        sign_as(
            Algorithm::RS256,
            r#"{"alg":"RS256","typ":"JWT"}"#,
            &claims.to_string(),
            PRIVATE_A,
        )
    }

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn check(token: &str) -> Result<RawClaims, Reason> {
        verify(token, &key_a(), &Rules::default(), NOW).map_err(|r| r.reason())
    }

    fn check_claims(claims: Value) -> Result<RawClaims, Reason> {
        check(&sign(&claims))
    }

    #[test]
    fn a_platform_token_without_expiry_verifies() {
        let claims =
            check_claims(json!({"application_claim": [{"namespace_id": "ns"}], "iss": "SCALEWAY"}))
                .unwrap();
        assert_eq!(claims.application_claim.len(), 1);
    }

    #[test]
    fn require_exp_refuses_tokens_without_expiry() {
        let rules = Rules {
            require_exp: true,
            ..Rules::default()
        };
        let token = sign(&json!({}));
        assert_eq!(
            verify(&token, &key_a(), &rules, NOW).unwrap_err().reason(),
            Reason::NoExpiry
        );
        assert!(verify(&sign(&json!({"exp": NOW + 100})), &key_a(), &rules, NOW).is_ok());
    }

    #[test]
    fn exp_at_and_around_its_edge_with_leeway() {
        assert!(check_claims(json!({"exp": NOW - 59})).is_ok());
        assert_eq!(
            check_claims(json!({"exp": NOW - 60})).unwrap_err(),
            Reason::Expired
        );
        let strict = Rules {
            leeway: 0,
            ..Rules::default()
        };
        assert!(verify(&sign(&json!({"exp": NOW + 1})), &key_a(), &strict, NOW).is_ok());
        assert_eq!(
            verify(&sign(&json!({"exp": NOW})), &key_a(), &strict, NOW)
                .unwrap_err()
                .reason(),
            Reason::Expired
        );
        assert_eq!(
            check_claims(json!({"exp": i64::MIN})).unwrap_err(),
            Reason::Expired
        );
        assert!(check_claims(json!({"exp": i64::MAX})).is_ok());
    }

    #[test]
    fn nbf_and_iat_in_the_future_beyond_the_leeway_are_refused() {
        assert!(check_claims(json!({"nbf": NOW + 60})).is_ok());
        assert_eq!(
            check_claims(json!({"nbf": NOW + 61})).unwrap_err(),
            Reason::NotYetValid
        );
        assert!(check_claims(json!({"iat": NOW + 60})).is_ok());
        assert_eq!(
            check_claims(json!({"iat": NOW + 61})).unwrap_err(),
            Reason::IssuedInTheFuture
        );
    }

    #[test]
    fn a_maximum_age_refuses_old_tokens_and_tokens_without_iat() {
        let day = 24 * 60 * 60;
        let bounded = Rules {
            max_age: Some(day),
            ..Rules::default()
        };
        let at =
            |claims: Value| verify(&sign(&claims), &key_a(), &bounded, NOW).map_err(|r| r.reason());
        assert!(at(json!({"iat": NOW})).is_ok());
        // The bound, with the leeway on top: older by one second is refused.
        assert!(at(json!({"iat": NOW - day - 60})).is_ok());
        assert_eq!(
            at(json!({"iat": NOW - day - 61})).unwrap_err(),
            Reason::TooOld
        );
        assert_eq!(at(json!({"iat": i64::MIN})).unwrap_err(), Reason::TooOld);
        assert_eq!(at(json!({})).unwrap_err(), Reason::NoIssueTime);
        assert_eq!(
            at(json!({"exp": NOW + day})).unwrap_err(),
            Reason::NoIssueTime,
            "an expiry does not replace the issue time"
        );
        // Without a bound, any age is accepted, and `iat` is optional.
        assert!(check_claims(json!({"iat": NOW - 10 * 365 * day})).is_ok());
        assert!(check_claims(json!({})).is_ok());
    }

    #[test]
    fn malformed_time_claims_make_the_token_invalid() {
        assert_eq!(
            check_claims(json!({"exp": "never"})).unwrap_err(),
            Reason::MalformedClaims
        );
        assert_eq!(
            check_claims(json!({"nbf": [1]})).unwrap_err(),
            Reason::MalformedClaims
        );
    }

    #[test]
    fn audience_must_contain_functions_when_present() {
        assert!(check_claims(json!({"aud": "functions"})).is_ok());
        assert!(check_claims(json!({"aud": ["other", "functions"]})).is_ok());
        assert!(check_claims(json!({"aud": ["functions"]})).is_ok());
        assert_eq!(
            check_claims(json!({"aud": ["other"]})).unwrap_err(),
            Reason::AudienceNotAccepted
        );
        assert_eq!(
            check_claims(json!({"aud": ["other", "another"]})).unwrap_err(),
            Reason::AudienceNotAccepted
        );
        assert_eq!(
            check_claims(json!({"aud": "other"})).unwrap_err(),
            Reason::AudienceNotAccepted
        );
        assert_eq!(
            check_claims(json!({"aud": []})).unwrap_err(),
            Reason::AudienceNotAccepted
        );
    }

    #[test]
    fn issuer_is_free_unless_pinned() {
        assert!(check_claims(json!({"iss": "anyone"})).is_ok());
        let pinned = Rules {
            issuers: Some(vec!["SCALEWAY".into()]),
            ..Rules::default()
        };
        assert!(verify(&sign(&json!({"iss": "SCALEWAY"})), &key_a(), &pinned, NOW).is_ok());
        for claims in [json!({"iss": "scaleway"}), json!({})] {
            assert_eq!(
                verify(&sign(&claims), &key_a(), &pinned, NOW)
                    .unwrap_err()
                    .reason(),
                Reason::IssuerNotAccepted
            );
        }
    }

    #[test]
    fn only_rs256_is_accepted() {
        for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
            let token = sign_as(alg, &format!(r#"{{"alg":"{alg:?}"}}"#), "{}", PRIVATE_A);
            assert_eq!(
                check(&token).unwrap_err(),
                Reason::UnsupportedAlgorithm,
                "{alg:?}"
            );
        }
        let body = b64("{}");
        for header in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS256"}"#,
            r#"{"alg":"rs256"}"#,
        ] {
            assert_eq!(
                check(&format!("{}.{body}.", b64(header))).unwrap_err(),
                Reason::UnsupportedAlgorithm
            );
        }
    }

    #[test]
    fn hmac_with_the_public_key_as_secret_is_refused() {
        let public = include_str!("../../test-keys/rsa2048-a.pkcs1.pem");
        let input = format!("{}.{}", b64(r#"{"alg":"HS256","typ":"JWT"}"#), b64("{}"));
        let key = EncodingKey::from_secret(public.as_bytes()).unwrap();
        let signer = (crypto::provider().signer_factory)(&Algorithm::HS256, &key).unwrap();
        let signature = URL_SAFE_NO_PAD.encode(signer.try_sign(input.as_bytes()).unwrap());
        let token = format!("{input}.{signature}");
        assert_eq!(check(&token).unwrap_err(), Reason::UnsupportedAlgorithm);
    }

    #[test]
    fn another_key_or_a_tampered_token_has_a_bad_signature() {
        let other = sign_as(Algorithm::RS256, r#"{"alg":"RS256"}"#, "{}", PRIVATE_B);
        assert_eq!(check(&other).unwrap_err(), Reason::BadSignature);

        let token = sign(&json!({"application_claim": [{"namespace_id": "ns"}]}));
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let (header, _) = signed.split_once('.').unwrap();
        let forged = format!(
            "{header}.{}.{signature}",
            b64(r#"{"application_claim":[{"namespace_id":"other"}]}"#)
        );
        assert_eq!(check(&forged).unwrap_err(), Reason::BadSignature);
        assert_eq!(
            check(&format!("{signed}.")).unwrap_err(),
            Reason::BadSignature
        );
        // A shortened signature: refused whether its base64 still decodes or not.
        assert!(check(&format!("{signed}.{}", &signature[..signature.len() - 4])).is_err());
    }

    #[test]
    fn non_canonical_base64_in_the_signature_is_refused() {
        let token = sign(&json!({}));
        let (signed, signature) = token.rsplit_once('.').unwrap();
        assert_eq!(
            check(&format!("{signed}.{signature}=")).unwrap_err(),
            Reason::Malformed
        );
        let standard_alphabet = format!("{signed}.{}+/", &signature[..signature.len() - 2]);
        assert_eq!(check(&standard_alphabet).unwrap_err(), Reason::Malformed);
    }

    #[test]
    fn crit_is_refused_in_any_form() {
        for crit in [r#""crit":["exp"]"#, r#""crit":[]"#, r#""crit":null"#] {
            let header = format!(r#"{{"alg":"RS256",{crit}}}"#);
            assert_eq!(
                check(&format!("{}.{}.AAAA", b64(&header), b64("{}"))).unwrap_err(),
                Reason::CriticalHeader
            );
        }
    }

    #[test]
    fn kid_jku_and_jwk_are_ignored_the_configured_key_decides() {
        let header = r#"{"alg":"RS256","kid":"attacker","jku":"https://attacker.example/jwks","jwk":{"kty":"RSA","n":"AQAB","e":"AQAB"}}"#;
        let signed_by_b = sign_as(Algorithm::RS256, header, "{}", PRIVATE_B);
        assert_eq!(check(&signed_by_b).unwrap_err(), Reason::BadSignature);
        let signed_by_a = sign_as(Algorithm::RS256, header, "{}", PRIVATE_A);
        assert!(check(&signed_by_a).is_ok());
    }

    #[test]
    fn a_token_longer_than_8_kib_is_refused_before_decoding() {
        let at_bound = "a".repeat(8192);
        assert_eq!(check(&at_bound).unwrap_err(), Reason::Malformed);
        let over = "a".repeat(8193);
        assert_eq!(check(&over).unwrap_err(), Reason::TokenTooLarge);
    }

    #[test]
    fn malformed_shapes() {
        for token in ["", "a", "a.b", "a.b.c.d", "a.b.c.d.e", "..", "e30.e30.e30"] {
            assert!(check(token).is_err(), "{token:?}");
        }
        assert_eq!(
            check(&format!(
                "{}.e30.AAAA",
                b64(r#"{"alg":"RS256","alg":"none"}"#)
            ))
            .unwrap_err(),
            Reason::Malformed
        );
    }

    #[test]
    fn claims_and_headers_must_be_json_objects() {
        let keys =
            |header: &str, payload: &str| sign_as(Algorithm::RS256, header, payload, PRIVATE_A);
        // An array would be read field by field: the first element as `application_claim`.
        let array = keys(r#"{"alg":"RS256"}"#, r#"[[{"namespace_id":"ns"}]]"#);
        assert_eq!(check(&array).unwrap_err(), Reason::MalformedClaims);
        assert_eq!(
            check(&keys(r#"["RS256"]"#, "{}")).unwrap_err(),
            Reason::Malformed
        );
        assert!(check(&keys(r#" {"alg":"RS256"}"#, r#" {"application_claim":[]}"#)).is_ok());
    }

    #[test]
    fn a_4096_bit_key_verifies() {
        let key = PublicKey::from_pem(include_str!("../../test-keys/rsa4096.pkcs1.pem")).unwrap();
        let token = sign_as(
            Algorithm::RS256,
            r#"{"alg":"RS256","typ":"JWT"}"#,
            "{}",
            include_str!("../../test-keys/rsa4096.private.pem"),
        );
        assert!(verify(&token, &key, &Rules::default(), NOW).is_ok());
    }
}
