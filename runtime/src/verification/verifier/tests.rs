//! The verifier's tests: the rules a request goes through, end to end in one process.

use http::{HeaderMap, HeaderValue};
use serde_json::json;

use super::*;
use crate::verification::claims::RawClaims;
use crate::verification::config::Origin;
use crate::verification::key::KeyError;
use crate::verification::token::tests::{NOW, sign};
use crate::{Access, Reason, RejectionKind, TokenKind};

const NS: &str = "ns-1";
const CT: &str = "ct-1";

/// A builder with test key A and this container's ids.
fn builder() -> VerifierBuilder {
    Verifier::builder()
        .public_key_pem(include_str!("../../../test-keys/rsa2048-a.pkcs1.pem"))
        .namespace_id(NS)
        .container_id(CT)
}

fn verifier() -> Verifier {
    builder().build().unwrap()
}

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    headers
}

fn kind_for(
    verifier: &Verifier,
    claims: serde_json::Value,
    policy: Policy,
) -> Result<TokenKind, RejectionKind> {
    let token = sign(&claims);
    let platform = verifier.platform();
    let key = platform.key.as_ref().unwrap();
    let target = verifier.target(platform, &policy).unwrap();
    verifier
        .verify_with(&token, key, target, policy.scope, NOW)
        .map(|c| c.kind())
        .map_err(|r| r.kind())
}

#[test]
fn the_scope_rule_end_to_end() {
    let v = verifier();
    let ns = json!({"application_claim": [{"namespace_id": NS}]});
    let ct = json!({"application_claim": [{"namespace_id": NS, "application_id": CT}]});
    let sibling = json!({"application_claim": [{"namespace_id": NS, "container_id": "ct-2"}]});
    let other = json!({"application_claim": [{"namespace_id": "ns-2"}]});
    let nothing = json!({"application_claim": [{}]});
    let any = Policy::new();
    let container = Policy::new().scope(Scope::ContainerToken);
    let namespace = Policy::new().scope(Scope::NamespaceToken);

    assert_eq!(kind_for(&v, ns.clone(), any), Ok(TokenKind::Namespace));
    assert_eq!(kind_for(&v, ct.clone(), any), Ok(TokenKind::Container));
    assert_eq!(
        kind_for(&v, ns.clone(), container),
        Err(RejectionKind::InsufficientScope)
    );
    assert_eq!(
        kind_for(&v, ct.clone(), container),
        Ok(TokenKind::Container)
    );
    assert_eq!(kind_for(&v, ns, namespace), Ok(TokenKind::Namespace));
    assert_eq!(
        kind_for(&v, ct, namespace),
        Err(RejectionKind::InsufficientScope)
    );
    for refused in [sibling, other, nothing, json!({})] {
        assert_eq!(
            kind_for(&v, refused, any),
            Err(RejectionKind::InsufficientScope)
        );
    }
}

#[test]
fn more_than_one_entry_is_refused_even_when_one_grants() {
    let several = json!({"application_claim": [{"namespace_id": "ns-2"}, {"container_id": CT}]});
    assert_eq!(
        kind_for(&verifier(), several, Policy::new()),
        Err(RejectionKind::InvalidToken)
    );
}

#[test]
fn conflicting_container_ids_make_the_token_invalid_even_beside_a_good_entry() {
    let claims = json!({"application_claim": [
        {"namespace_id": NS},
        {"application_id": "a", "container_id": "b"},
    ]});
    assert_eq!(
        kind_for(&verifier(), claims, Policy::new()),
        Err(RejectionKind::InvalidToken)
    );
}

#[test]
fn explicit_ids_in_the_policy_override_the_verifier() {
    let claims = json!({"application_claim": [{"namespace_id": "elsewhere"}]});
    assert_eq!(
        kind_for(&verifier(), claims.clone(), Policy::new()),
        Err(RejectionKind::InsufficientScope)
    );
    assert_eq!(
        kind_for(&verifier(), claims, Policy::new().namespace_id("elsewhere")),
        Ok(TokenKind::Namespace)
    );
}

#[test]
fn authorize_returns_the_granting_entry_and_registered_claims() {
    let token = sign(&json!({
        "application_claim": [{"namespace_id": NS, "container_id": CT}],
        "jti": "j", "iss": "SCALEWAY", "sub": "s", "iat": 1_700_000_000
    }));
    let claims = verifier()
        .authorize(&bearer(&token), &Policy::new())
        .unwrap()
        .into_claims()
        .unwrap();
    assert_eq!(claims.namespace_id(), Some(NS));
    assert_eq!(claims.container_id(), Some(CT));
    assert_eq!(claims.kind(), TokenKind::Container);
    assert_eq!(
        (claims.jti(), claims.iss(), claims.sub()),
        (Some("j"), Some("SCALEWAY"), Some("s"))
    );
    assert_eq!(
        (claims.iat(), claims.exp(), claims.nbf()),
        (Some(1_700_000_000), None, None)
    );
}

#[test]
fn missing_ids_are_a_misconfiguration_never_a_match_on_empty() {
    let no_ids = Verifier::builder()
        .public_key_pem(include_str!("../../../test-keys/rsa2048-a.pkcs1.pem"))
        .namespace_id("")
        .build()
        .unwrap();
    let token = sign(&json!({"application_claim": [{"namespace_id": "", "container_id": ""}]}));
    let refusal = no_ids
        .authorize(&bearer(&token), &Policy::new())
        .unwrap_err();
    assert_eq!(refusal.kind(), RejectionKind::Misconfigured);
    assert!(matches!(
        refusal.config_error(),
        Some(ConfigError::MissingNamespaceId { .. })
    ));
    assert!(no_ids.preflight(&Policy::new()).is_err());
    // Explicit ids in the policy are enough.
    assert!(
        no_ids
            .preflight(&Policy::new().namespace_id(NS).container_id(CT))
            .is_ok()
    );
    // A namespace-only check needs no container id.
    let ns_only = Verifier::builder()
        .public_key_pem(include_str!("../../../test-keys/rsa2048-a.pkcs1.pem"))
        .namespace_id(NS)
        .build()
        .unwrap();
    assert!(
        ns_only
            .preflight(&Policy::new().scope(Scope::NamespaceToken))
            .is_ok()
    );
    assert!(matches!(
        ns_only.preflight(&Policy::new()),
        Err(ConfigError::MissingContainerId { .. })
    ));
}

#[test]
fn misconfiguration_answers_500_before_looking_at_the_token() {
    let broken = Verifier::with_source(
        Settings::default(),
        Source::Given(Platform {
            key: Err(ConfigError::Key {
                origin: Origin::Environment,
                error: KeyError::PrivateKey,
            }),
            namespace_id: Ok(NS.into()),
            container_id: Ok(CT.into()),
            privacy: Ok(Privacy::Private),
        }),
    );
    for headers in [HeaderMap::new(), bearer("garbage")] {
        let refusal = broken.authorize(&headers, &Policy::new()).unwrap_err();
        assert_eq!(refusal.status(), 500);
    }
    assert_eq!(
        broken.preflight(&Policy::new()),
        Err(ConfigError::Key {
            origin: Origin::Environment,
            error: KeyError::PrivateKey
        })
    );
}

#[test]
fn public_if_env_lets_requests_through_only_when_public() {
    let build = |public| builder().public(public).build().unwrap();
    let policy = Policy::new().public_if_env(true);
    assert_eq!(
        build(true).authorize(&HeaderMap::new(), &policy),
        Ok(Access::PublicContainer)
    );
    assert_eq!(
        build(false)
            .authorize(&HeaderMap::new(), &policy)
            .unwrap_err()
            .kind(),
        RejectionKind::MissingCredentials
    );
    // Without `public_if_env` a public container still needs a token.
    assert_eq!(
        build(true)
            .authorize(&HeaderMap::new(), &Policy::new())
            .unwrap_err()
            .kind(),
        RejectionKind::MissingCredentials
    );
    // A token that is sent is never dropped: a valid one's claims come through, a forged or
    // out-of-scope one is refused, on a public container as on a private one.
    let token = sign(&json!({"application_claim": [{"namespace_id": NS}]}));
    for public in [true, false] {
        let access = build(public).authorize(&bearer(&token), &policy).unwrap();
        assert_eq!(access.claims().unwrap().kind(), TokenKind::Namespace);
        let forged = format!("{token}x");
        assert_eq!(
            build(public)
                .authorize(&bearer(&forged), &policy)
                .unwrap_err()
                .kind(),
            RejectionKind::InvalidToken
        );
        let elsewhere = sign(&json!({"application_claim": [{"namespace_id": "ns-2"}]}));
        assert_eq!(
            build(public)
                .authorize(&bearer(&elsewhere), &policy)
                .unwrap_err()
                .kind(),
            RejectionKind::InsufficientScope
        );
    }
}

const IAM_KEY: &str = "3f1e6c2a-9b4d-4e8f-a1b2-c3d4e5f60718";

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(*name, HeaderValue::from_str(value).unwrap());
    }
    map
}

#[test]
fn an_iam_key_alone_is_refused_with_a_description_that_says_what_to_do() {
    let iam = headers(&[("x-auth-token", IAM_KEY)]);
    let refusal = verifier().authorize(&iam, &Policy::new()).unwrap_err();
    assert_eq!(refusal.kind(), RejectionKind::InvalidToken);
    assert_eq!(refusal.reason(), Reason::IamKey);
    let description = refusal.reason().as_str();
    assert!(description.contains("IAM secret key"), "{description}");
    // What the caller can do; the server's remedy is for its log, not for the client.
    assert!(description.contains("send a JWT"), "{description}");
    assert!(!description.contains("platform_iam"), "{description}");
    let rendered = format!(
        "{refusal} {refusal:?} {:?} {}",
        refusal.www_authenticate(),
        refusal.body()
    );
    assert!(!rendered.contains(IAM_KEY), "{rendered}");
    // Beside a JWT it is no conflict: the JWT decides.
    let token = sign(&json!({"application_claim": [{"namespace_id": NS}]}));
    let both = headers(&[
        ("x-auth-token", IAM_KEY),
        ("authorization", &format!("Bearer {token}")),
    ]);
    assert!(
        verifier()
            .authorize(&both, &Policy::new())
            .unwrap()
            .claims()
            .is_some()
    );
    assert_eq!(
        verifier().token_from(&iam).unwrap_err(),
        Rejection::new(Reason::IamKey)
    );
}

#[test]
fn a_policy_the_attribute_refuses_answers_500_before_any_way_in() {
    // `platform_iam` with a container scope: on a private container the platform's word
    // would otherwise let in every call without a JWT before the scope was looked at.
    let container_and_iam = Policy::new()
        .scope(Scope::ContainerToken)
        .platform_iam(true);
    let namespace_and_container_id = Policy::new().scope(Scope::NamespaceToken).container_id(CT);
    let container_token = sign(&json!({"application_claim": [{"container_id": CT}]}));
    for public in [false, true] {
        let verifier = builder().public(public).build().unwrap();
        for policy in [
            container_and_iam,
            namespace_and_container_id,
            container_and_iam.public_if_env(true),
            Policy::new().namespace_id(" ns-1"),
        ] {
            for headers in [
                headers(&[]),
                headers(&[("x-auth-token", IAM_KEY)]),
                bearer(&container_token),
            ] {
                let refusal = verifier.authorize(&headers, &policy).unwrap_err();
                assert_eq!(refusal.kind(), RejectionKind::Misconfigured, "{policy:?}");
                assert_eq!(refusal.status(), 500);
            }
            assert!(verifier.preflight(&policy).is_err(), "{policy:?}");
            let refusal = verifier.verify(&container_token, &policy).unwrap_err();
            assert_eq!(refusal.kind(), RejectionKind::Misconfigured);
        }
    }
    assert!(matches!(
        verifier().preflight(&container_and_iam),
        Err(ConfigError::ConflictingPolicy {
            first: "platform_iam",
            second: "container",
            ..
        })
    ));
}

#[test]
fn ids_with_white_space_around_them_are_a_misconfiguration() {
    let padded = |namespace: &str, container: &str| {
        Verifier::from_variables({
            let (namespace, container) = (namespace.to_owned(), container.to_owned());
            move |name| match name {
                "SCW_PUBLIC_KEY" => {
                    Some(include_str!("../../../test-keys/rsa2048-a.pkcs1.pem").into())
                }
                "SCW_NAMESPACE_ID" => Some(namespace.clone()),
                "SCW_APPLICATION_ID" => Some(container.clone()),
                _ => None,
            }
        })
    };
    assert!(padded(NS, CT).preflight(&Policy::new()).is_ok());
    assert!(matches!(
        padded(&format!("{NS} "), CT).preflight(&Policy::new()),
        Err(ConfigError::PaddedNamespaceId {
            origin: Origin::Environment,
            ..
        })
    ));
    assert!(matches!(
        padded(NS, &format!("\t{CT}")).preflight(&Policy::new()),
        Err(ConfigError::PaddedContainerId {
            origin: Origin::Environment,
            ..
        })
    ));
    // The builder's ids follow the same rule, and the message names the builder.
    let error = builder()
        .namespace_id(" ns")
        .build()
        .unwrap()
        .preflight(&Policy::new());
    let error = error.unwrap_err();
    assert!(matches!(
        error,
        ConfigError::PaddedNamespaceId {
            origin: Origin::Builder,
            ..
        }
    ));
    assert!(
        error.to_string().contains("the builder's `namespace_id`"),
        "{error}"
    );
    // A padded id answers 500 at run time too, never 403 to every token.
    let token = sign(&json!({"application_claim": [{"namespace_id": NS}]}));
    let refusal = padded(&format!("{NS}\n"), CT)
        .authorize(&bearer(&token), &Policy::new())
        .unwrap_err();
    assert_eq!(refusal.status(), 500);
}

#[test]
fn platform_iam_trusts_the_edge_only_on_a_private_container() {
    let policy = Policy::new().platform_iam(true);
    let good = sign(&json!({"application_claim": [{"namespace_id": NS}]}));
    let bad = format!("{good}x");
    let private = builder().public(false).build().unwrap();
    // No JWT: let through on the platform's word, with or without the IAM key.
    for untokened in [headers(&[]), headers(&[("x-auth-token", IAM_KEY)])] {
        assert_eq!(
            private.authorize(&untokened, &policy),
            Ok(Access::PlatformIam)
        );
    }
    // A JWT is verified in full; a bad one, or a malformed header, is refused.
    assert!(
        private
            .authorize(&bearer(&good), &policy)
            .unwrap()
            .claims()
            .is_some()
    );
    let with_iam = headers(&[
        ("x-auth-token", IAM_KEY),
        ("authorization", &format!("Bearer {bad}")),
    ]);
    assert_eq!(
        private.authorize(&with_iam, &policy).unwrap_err().kind(),
        RejectionKind::InvalidToken
    );
    assert_eq!(
        private
            .authorize(&headers(&[("x-auth-token", "not-a-jwt")]), &policy)
            .unwrap_err()
            .kind(),
        RejectionKind::InvalidToken
    );
    assert_eq!(
        private
            .authorize(&headers(&[("x-auth-token", "a b")]), &policy)
            .unwrap_err()
            .kind(),
        RejectionKind::InvalidRequest
    );
    // Public (the edge checks nothing) or not on the platform: nothing on its word.
    for nothing_trusted in [builder().public(true).build().unwrap(), verifier()] {
        assert_eq!(
            nothing_trusted
                .authorize(&headers(&[]), &policy)
                .unwrap_err()
                .kind(),
            RejectionKind::MissingCredentials
        );
        assert_eq!(
            nothing_trusted
                .authorize(&headers(&[("x-auth-token", IAM_KEY)]), &policy)
                .unwrap_err(),
            Rejection::new(Reason::IamKey)
        );
    }
    // Without `platform_iam`, a private container trusts no edge either.
    assert_eq!(
        private
            .authorize(&headers(&[("x-auth-token", IAM_KEY)]), &Policy::new())
            .unwrap_err(),
        Rejection::new(Reason::IamKey)
    );
}

#[test]
fn platform_iam_needs_no_key_for_the_platform_s_word_but_a_jwt_still_does() {
    let keyless = Verifier::from_variables(|name| match name {
        "SCW_PUBLIC" => Some("false".into()),
        _ => None,
    });
    let policy = Policy::new().platform_iam(true);
    assert_eq!(
        keyless.authorize(&headers(&[("x-auth-token", IAM_KEY)]), &policy),
        Ok(Access::PlatformIam)
    );
    assert_eq!(
        keyless.authorize(&headers(&[]), &policy),
        Ok(Access::PlatformIam)
    );
    let token = sign(&json!({"application_claim": [{"namespace_id": NS}]}));
    assert_eq!(
        keyless
            .authorize(&bearer(&token), &policy)
            .unwrap_err()
            .kind(),
        RejectionKind::Misconfigured
    );
    // And every other policy answers 500 on such a server, whatever the request carries.
    assert_eq!(
        keyless
            .authorize(&headers(&[("x-auth-token", IAM_KEY)]), &Policy::new())
            .unwrap_err()
            .kind(),
        RejectionKind::Misconfigured
    );
}

#[test]
fn token_from_takes_the_token_without_verifying_it() {
    let v = verifier();
    assert_eq!(
        v.token_from(&bearer("not.even.signed")),
        Ok("not.even.signed")
    );
    assert_eq!(
        v.token_from(&headers(&[("x-auth-token", "a.b.c")])),
        Ok("a.b.c")
    );
    let refused =
        |pairs: &[(&'static str, &str)]| v.token_from(&headers(pairs)).unwrap_err().reason();
    assert_eq!(refused(&[]), Reason::NoToken);
    assert_eq!(refused(&[("x-auth-token", IAM_KEY)]), Reason::IamKey);
    assert_eq!(refused(&[("x-auth-token", "a b")]), Reason::HeaderMalformed);
    assert_eq!(
        refused(&[("x-auth-token", "a.b.c"), ("authorization", "Bearer d.e.f")]),
        Reason::SeveralTokens
    );
}

#[test]
fn a_policy_header_reads_only_that_header() {
    let token = sign(&json!({"application_claim": [{"namespace_id": NS}]}));
    let policy = Policy::new().header("X-Token");
    assert_eq!(
        verifier()
            .authorize(&bearer(&token), &policy)
            .unwrap_err()
            .kind(),
        RejectionKind::MissingCredentials
    );
    let mut headers = HeaderMap::new();
    headers.insert("x-token", HeaderValue::from_str(&token).unwrap());
    assert!(verifier().authorize(&headers, &policy).is_ok());
}

fn cached(verifier: &Verifier) -> usize {
    verifier.inner.cache.len()
}

fn verify_at(verifier: &Verifier, token: &str, now: i64) -> Result<TokenKind, RejectionKind> {
    let platform = verifier.platform();
    let policy = Policy::new();
    let (key, target) = verifier.settled(platform, &policy).unwrap();
    verifier
        .verify_with(token, key, target, policy.scope, now)
        .map(|c| c.kind())
        .map_err(|r| r.kind())
}

#[test]
fn a_cached_token_skips_the_signature_but_not_time_or_scope() {
    let v = verifier();
    let good = sign(&json!({"application_claim": [{"namespace_id": NS}], "exp": NOW + 100}));
    assert_eq!(verify_at(&v, &good, NOW), Ok(TokenKind::Namespace));
    assert_eq!(cached(&v), 1);
    assert_eq!(
        verify_at(&v, &good, NOW + 10),
        Ok(TokenKind::Namespace),
        "a hit"
    );
    // The scope rule still applies to a hit.
    let container_only = Policy::new().scope(Scope::ContainerToken);
    assert_eq!(
        v.verify(&good, &container_only).unwrap_err().kind(),
        RejectionKind::InsufficientScope
    );
    // Time passes: past `exp` plus the leeway, the hit is refused and the entry dropped.
    assert_eq!(
        verify_at(&v, &good, NOW + 160),
        Err(RejectionKind::InvalidToken)
    );
    assert_eq!(cached(&v), 0);
}

#[test]
fn the_signature_is_what_a_hit_skips() {
    // Plant claims under the digest of a token whose signature is bad: only a hit can
    // accept it, which shows the cache is consulted before the signature.
    let v = verifier();
    let forged = format!(
        "{}x",
        sign(&json!({"application_claim": [{"namespace_id": NS}]}))
    );
    assert_eq!(
        verify_at(&v, &forged, NOW),
        Err(RejectionKind::InvalidToken)
    );
    let claims: RawClaims = serde_json::from_str(&format!(
        r#"{{"application_claim":[{{"namespace_id":"{NS}"}}]}}"#
    ))
    .unwrap();
    v.inner.cache.insert(&forged, Arc::new(claims));
    assert_eq!(verify_at(&v, &forged, NOW), Ok(TokenKind::Namespace));
}

#[test]
fn refused_tokens_are_never_cached() {
    let v = verifier();
    let refused = [
        format!(
            "{}x",
            sign(&json!({"application_claim": [{"namespace_id": NS}]}))
        ),
        sign(&json!({"application_claim": [{"namespace_id": NS}], "exp": NOW - 3600})),
        sign(&json!({"application_claim": [{"namespace_id": "elsewhere"}]})),
        sign(&json!({"application_claim": [{"application_id": "a", "container_id": "b"}]})),
    ];
    for token in &refused {
        assert!(verify_at(&v, token, NOW).is_err());
    }
    assert_eq!(cached(&v), 0);
}

#[test]
fn capacity_bounds_the_cache_and_zero_turns_it_off() {
    let build = |capacity| builder().cache_capacity(capacity).build().unwrap();
    let small = build(2);
    for jti in 0..5 {
        let token =
            sign(&json!({"application_claim": [{"namespace_id": NS}], "jti": jti.to_string()}));
        assert_eq!(verify_at(&small, &token, NOW), Ok(TokenKind::Namespace));
        assert!(cached(&small) <= 2);
    }
    let off = build(0);
    let token = sign(&json!({"application_claim": [{"namespace_id": NS}]}));
    assert_eq!(verify_at(&off, &token, NOW), Ok(TokenKind::Namespace));
    assert_eq!(verify_at(&off, &token, NOW), Ok(TokenKind::Namespace));
    assert_eq!(cached(&off), 0);
}

#[test]
fn the_cache_is_safe_under_concurrency() {
    let v = builder().cache_capacity(8).build().unwrap();
    let tokens: Vec<(String, Result<TokenKind, RejectionKind>)> = (0..16)
        .map(|i| match i % 4 {
            0 | 1 => (sign(&json!({"application_claim": [{"namespace_id": NS}], "jti": i.to_string()})), Ok(TokenKind::Namespace)),
            2 => (sign(&json!({"application_claim": [{"namespace_id": NS, "container_id": "sibling"}]})), Err(RejectionKind::InsufficientScope)),
            _ => (format!("{}x", sign(&json!({"jti": i.to_string()}))), Err(RejectionKind::InvalidToken)),
        })
        .collect();
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let (v, tokens) = (&v, &tokens);
            scope.spawn(move || {
                for round in 0..50 {
                    let (token, expected) = &tokens[(thread * 7 + round) % tokens.len()];
                    assert_eq!(verify_at(v, token, NOW), *expected);
                }
            });
        }
    });
    assert!(cached(&v) <= 8);
}

#[test]
fn preflight_checks_a_policy_s_header_and_the_privacy_it_reads() {
    let v = verifier();
    assert!(v.preflight(&Policy::new().header("x-admin-token")).is_ok());
    let bad = Policy::new().header("bad header");
    assert_eq!(
        v.preflight(&bad),
        Err(ConfigError::InvalidHeaderName {
            name: "bad header".into()
        })
    );
    // The same policy answers 500 on every request, never a token's refusal.
    let token = sign(&json!({"application_claim": [{"namespace_id": NS}]}));
    for headers in [HeaderMap::new(), bearer(&token)] {
        let refusal = v.authorize(&headers, &bad).unwrap_err();
        assert_eq!(refusal.kind(), RejectionKind::Misconfigured);
        assert_eq!(
            refusal.config_error(),
            Some(&ConfigError::InvalidHeaderName {
                name: "bad header".into()
            })
        );
    }

    let typo = Verifier::from_variables(|name| match name {
        "SCW_PUBLIC" => Some("flase".into()),
        "SCW_PUBLIC_KEY" => Some(include_str!("../../../test-keys/rsa2048-a.pkcs1.pem").into()),
        "SCW_NAMESPACE_ID" => Some(NS.into()),
        "SCW_APPLICATION_ID" => Some(CT.into()),
        _ => None,
    });
    for reads_privacy in [
        Policy::new().platform_iam(true),
        Policy::new().public_if_env(true),
    ] {
        assert_eq!(
            typo.preflight(&reads_privacy),
            Err(ConfigError::InvalidPrivacy)
        );
    }
    assert_eq!(typo.preflight(&Policy::new()), Ok(()));
    assert!(!typo.is_public());
    // And it trusts nothing: without a token, refused.
    for policy in [
        Policy::new().platform_iam(true),
        Policy::new().public_if_env(true),
    ] {
        assert_eq!(
            typo.authorize(&HeaderMap::new(), &policy)
                .unwrap_err()
                .reason(),
            Reason::NoToken
        );
    }
}

#[test]
fn a_maximum_token_age_is_checked_on_every_request_cached_or_not() {
    let day = 24 * 60 * 60;
    let bounded = builder()
        .max_token_age(std::time::Duration::from_secs(day))
        .build()
        .unwrap();
    let now = super::now();
    let fresh = sign(&json!({"application_claim": [{"namespace_id": NS}], "iat": now}));
    let old = sign(&json!({
        "application_claim": [{"namespace_id": NS}],
        "iat": now - 2 * i64::try_from(day).unwrap()
    }));
    let ageless = sign(&json!({"application_claim": [{"namespace_id": NS}]}));
    for _ in 0..2 {
        assert!(bounded.verify(&fresh, &Policy::new()).is_ok());
        assert_eq!(
            bounded.verify(&old, &Policy::new()).unwrap_err().reason(),
            Reason::TooOld
        );
        assert_eq!(
            bounded
                .verify(&ageless, &Policy::new())
                .unwrap_err()
                .reason(),
            Reason::NoIssueTime
        );
    }
    // Without the bound, both verify.
    assert!(verifier().verify(&old, &Policy::new()).is_ok());
    assert!(verifier().verify(&ageless, &Policy::new()).is_ok());
}

#[test]
fn a_public_container_lets_in_what_carries_nothing_and_judges_what_carries_a_token() {
    let keyless_public = Verifier::from_variables(|name| match name {
        "SCW_PUBLIC" => Some("true".into()),
        _ => None,
    });
    assert!(keyless_public.is_public());
    let public_if_env = Policy::new().public_if_env(true);
    // A request that carries nothing needs no key: it is let in as anonymous.
    assert_eq!(
        keyless_public.authorize(&HeaderMap::new(), &public_if_env),
        Ok(Access::PublicContainer)
    );
    // A token that is sent is verified, so without a key it is a misconfiguration, never
    // anonymous; an IAM key alone is refused as on any route.
    let token = sign(&json!({"application_claim": [{"namespace_id": NS}]}));
    assert_eq!(
        keyless_public
            .authorize(&headers(&[("x-auth-token", &token)]), &public_if_env)
            .unwrap_err()
            .reason(),
        Reason::Misconfigured
    );
    assert_eq!(
        keyless_public
            .authorize(&headers(&[("x-auth-token", IAM_KEY)]), &public_if_env)
            .unwrap_err()
            .reason(),
        Reason::IamKey
    );
    // Every route needs the key, `public_if_env` ones too: they verify the tokens they get.
    for policy in [
        Policy::new(),
        Policy::new().platform_iam(true),
        public_if_env,
    ] {
        assert!(matches!(
            keyless_public.preflight(&policy),
            Err(ConfigError::Key {
                error: KeyError::Missing,
                ..
            })
        ));
    }
    for (value, public) in [("false", false), ("TRUE", true), ("", false)] {
        let verifier = Verifier::from_variables(move |name| match name {
            "SCW_PUBLIC" => Some(value.into()),
            _ => None,
        });
        assert_eq!(verifier.is_public(), public, "{value:?}");
    }
    assert!(
        !builder().build().unwrap().is_public(),
        "unset is not public"
    );
    assert!(builder().public(true).build().unwrap().is_public());
    assert!(!builder().public(false).build().unwrap().is_public());
}

#[test]
fn preflight_all_checks_every_policy_in_turn() {
    let ns_only = Verifier::builder()
        .public_key_pem(include_str!("../../../test-keys/rsa2048-a.pkcs1.pem"))
        .namespace_id(NS)
        .build()
        .unwrap();
    let namespace_routes = [
        Policy::new().scope(Scope::NamespaceToken),
        Policy::new().container_id("ct-named-by-the-route"),
    ];
    assert_eq!(ns_only.preflight_all(&namespace_routes), Ok(()));
    assert_eq!(ns_only.preflight_all(&[]), Ok(()));
    let with_a_default_route = [
        namespace_routes[0],
        Policy::new(),
        Policy::new().header("a b"),
    ];
    assert!(matches!(
        ns_only.preflight_all(&with_a_default_route),
        Err(ConfigError::MissingContainerId { .. })
    ));
    assert!(matches!(
        ns_only.preflight_all(&[Policy::new().scope(Scope::NamespaceToken).header("a b")]),
        Err(ConfigError::InvalidHeaderName { .. })
    ));
}

/// `Debug` says where the key and ids come from and the key's size, never the key.
#[test]
fn debug_shows_the_source_and_no_key() {
    let given = format!("{:?}", verifier());
    assert!(
        given.contains("Given(Platform { key: Ok(PublicKey { bits: 2048, .. })"),
        "{given}"
    );
    assert!(
        given.contains(&format!("namespace_id: Ok({NS:?})")),
        "{given}"
    );
    let pem = include_str!("../../../test-keys/rsa2048-a.pkcs1.pem");
    assert!(!given.contains(pem.lines().nth(1).unwrap()), "{given}");
    let lazy = Verifier::from_variables(|_| None);
    let before = format!("{lazy:?}");
    assert!(before.contains("Lookup(OnceCell(Uninit))"), "{before}");
    let _ = lazy.is_public();
    let after = format!("{lazy:?}");
    assert!(after.contains("Lookup(OnceCell(Platform {"), "{after}");
}
