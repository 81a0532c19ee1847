//! The verifier: key, ids and rules together, and the one function a request goes through.

use std::fmt;
use std::sync::Arc;

use http::HeaderName;
use std::time::{SystemTime, UNIX_EPOCH};

use once_cell::sync::{Lazy, OnceCell};

use crate::builder::VerifierBuilder;
use crate::cache::TokenCache;
use crate::claims::Claims;
use crate::config::ConfigError;
use crate::extract::{self, Credential, RequestHeaders};
use crate::key::PublicKey;
use crate::log;
use crate::platform::{self, Platform, Privacy};
use crate::policy::Policy;
use crate::rejection::Rejection;
use crate::scope::{self, Scope, Target};
use crate::token::{self, Rules};

/// The headers read by default, in this order.
pub(crate) fn default_headers() -> Vec<HeaderName> {
    vec![
        http::header::AUTHORIZATION,
        HeaderName::from_static("x-auth-token"),
    ]
}

/// Checks requests' tokens against a key, the container's ids and the token rules.
///
/// [`Verifier::global`] reads the platform's environment on first use; protected handlers use
/// it unless the application provides its own, built with [`Verifier::builder`] (in axum as a
/// request extension, in actix-web as app data). Cloning is cheap and shares the state.
///
/// ```
/// use scw_private::{Policy, Verifier};
///
/// let verifier = Verifier::builder()
///     .public_key_pem(include_str!("../../test-keys/rsa2048-a.pkcs1.pem"))
///     .namespace_id("11111111-1111-1111-1111-111111111111")
///     .container_id("22222222-2222-2222-2222-222222222222")
///     .build()?;
///
/// let headers = http::HeaderMap::new();
/// let refusal = verifier.authorize(&headers, &Policy::new()).unwrap_err();
/// assert_eq!(refusal.status(), 401);
/// # Ok::<(), scw_private::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Verifier {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    rules: Rules,
    headers: Vec<HeaderName>,
    platform: Source,
    cache: TokenCache,
}

/// Where a verifier's key, ids and privacy come from.
pub(crate) enum Source {
    /// Read through `lookup` on first use, once: the process environment or the application's.
    Lookup {
        lookup: Box<Lookup>,
        platform: OnceCell<Platform>,
    },
    /// Given, already settled, by the builder.
    Given(Platform),
}

/// Reads one of the platform's variables: `Ok(None)` when unset.
type Lookup = dyn Fn(&'static str) -> Result<Option<String>, ConfigError> + Send + Sync;

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Lookup { platform, .. } => f.debug_tuple("Lookup").field(platform).finish(),
            Self::Given(platform) => f.debug_tuple("Given").field(platform).finish(),
        }
    }
}

/// What a verifier is configured with besides its platform values.
pub(crate) struct Settings {
    pub(crate) rules: Rules,
    pub(crate) headers: Vec<HeaderName>,
    pub(crate) cache_capacity: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            rules: Rules::default(),
            headers: default_headers(),
            cache_capacity: VerifierBuilder::DEFAULT_CACHE_CAPACITY,
        }
    }
}

static GLOBAL: Lazy<Verifier> = Lazy::new(Verifier::from_env);

impl Verifier {
    /// A verifier that reads `SCW_PUBLIC_KEY`, `SCW_NAMESPACE_ID`, `SCW_APPLICATION_ID` and
    /// `SCW_PUBLIC` from the process environment on first use, once, with the default rules.
    ///
    /// Nothing here fails: an unusable value makes every protected request answer 500 and is
    /// logged, as on the platform (see [`preflight`](Self::preflight) to fail at start-up
    /// instead, and [`VerifierBuilder::env_fallback`] to get an error).
    pub fn from_env() -> Self {
        Self::lazy(Box::new(platform::env_var))
    }

    /// A verifier that reads the platform's variables (`SCW_PUBLIC_KEY`, `SCW_NAMESPACE_ID`,
    /// `SCW_APPLICATION_ID`, `SCW_PUBLIC`) through `lookup` instead of the process
    /// environment, on first use, once, with the default rules: for configuration systems
    /// and tests. It behaves as [`from_env`](Self::from_env) does.
    ///
    /// ```
    /// use scw_private::{ConfigError, KeyError, Policy, Verifier};
    ///
    /// let verifier = Verifier::from_variables(|name| match name {
    ///     "SCW_PUBLIC_KEY" => Some("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----".into()),
    ///     _ => None,
    /// });
    /// let problem = verifier.preflight(&Policy::new()).unwrap_err();
    /// assert!(matches!(problem, ConfigError::Key { error: KeyError::Certificate, .. }));
    /// ```
    pub fn from_variables<F>(lookup: F) -> Self
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        Self::lazy(Box::new(move |name| Ok(lookup(name))))
    }

    fn lazy(lookup: Box<Lookup>) -> Self {
        let source = Source::Lookup {
            lookup,
            platform: OnceCell::new(),
        };
        Self::with_source(Settings::default(), source)
    }

    /// The process-wide verifier protected handlers use by default: [`Verifier::from_env`],
    /// created on first use and kept for the life of the process.
    pub fn global() -> &'static Verifier {
        &GLOBAL
    }

    /// Builds a verifier from explicit values, without touching the process environment.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    pub(crate) fn with_source(settings: Settings, platform: Source) -> Self {
        // Settle the crypto backend now: with both of jsonwebtoken's backends enabled by
        // feature unification, its first use would otherwise panic, here or in the app.
        crate::crypto::provider();
        let Settings {
            rules,
            headers,
            cache_capacity,
        } = settings;
        let cache = TokenCache::new(cache_capacity);
        Self {
            inner: Arc::new(Inner {
                rules,
                headers,
                platform,
                cache,
            }),
        }
    }

    fn platform(&self) -> &Platform {
        match &self.inner.platform {
            Source::Given(platform) => platform,
            // Concurrent first requests wait for one load instead of each reading the key.
            Source::Lookup { lookup, platform } => platform.get_or_init(|| {
                let platform = Platform::from_lookup(lookup);
                if let Err(problem) = &platform.key {
                    log::unusable_key(problem);
                }
                platform
            }),
        }
    }

    /// Loads the key and checks that everything `policy` needs is configured, so a
    /// deployment can fail at start instead of answering 500 later.
    ///
    /// ```no_run
    /// use scw_private::{Policy, Verifier};
    ///
    /// if let Err(problem) = Verifier::global().preflight(&Policy::new()) {
    ///     eprintln!("cannot protect handlers: {problem}");
    ///     std::process::exit(1);
    /// }
    /// // start the server
    /// ```
    pub fn preflight(&self, policy: &Policy) -> Result<(), ConfigError> {
        let platform = self.platform();
        if policy.public_if_env && platform.privacy == Privacy::Public {
            return Ok(());
        }
        // A `platform_iam` policy still needs everything a JWT that arrives is checked with.
        self.settled(platform, policy).map(drop)
    }

    /// Whether the platform says the container is public (`SCW_PUBLIC=true`).
    pub fn is_public(&self) -> bool {
        self.platform().privacy == Privacy::Public
    }

    /// Checks a request: returns the verified claims, `None` when `policy` lets the request
    /// through without a token (`public_if_env` on a public container, `platform_iam` on a
    /// private one), or why it is refused. Every refusal is logged (with the `tracing`
    /// feature) with its class and reason, never a token or a key.
    pub fn authorize<H>(&self, headers: &H, policy: &Policy) -> Result<Option<Claims>, Rejection>
    where
        H: RequestHeaders + ?Sized,
    {
        let result = self.check(headers, policy);
        if let Err(rejection) = &result {
            log::refused(rejection);
        }
        result
    }

    fn check<H>(&self, headers: &H, policy: &Policy) -> Result<Option<Claims>, Rejection>
    where
        H: RequestHeaders + ?Sized,
    {
        let platform = self.platform();
        if policy.public_if_env && platform.privacy == Privacy::Public {
            return Ok(None);
        }
        if policy.platform_iam && platform.privacy == Privacy::Private {
            // The platform's edge authenticated this call before it got here; only a JWT it
            // carries can be (and is) checked, and that needs the key.
            return match self.credential(headers, policy)? {
                Credential::Token(token) => self.verify(token, policy).map(Some),
                Credential::IamKey | Credential::Nothing => {
                    log::trusted_platform();
                    Ok(None)
                }
            };
        }
        // A misconfigured server refuses everything with 500, whatever the request carries.
        let (key, target) = self
            .settled(platform, policy)
            .map_err(Rejection::misconfigured)?;
        let token = self.credential(headers, policy)?.token()?;
        self.verify_with(token, key, target, policy.scope, now())
            .map(Some)
    }

    fn credential<'h, H>(
        &self,
        headers: &'h H,
        policy: &Policy,
    ) -> Result<Credential<'h>, Rejection>
    where
        H: RequestHeaders + ?Sized,
    {
        match policy.header {
            // A policy's header is a `&'static str` (the attribute checks it at compile time);
            // one set by hand that is not a header name makes the route answer 500.
            Some(name) => {
                let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    Rejection::misconfigured(ConfigError::InvalidHeaderName {
                        name: name.to_owned(),
                    })
                })?;
                extract::extract(headers, &[name])
            }
            None => extract::extract(headers, &self.inner.headers),
        }
    }

    /// The token a request carries in this verifier's headers, without verifying it: for
    /// middleware of your own. Errors are the refusals [`authorize`](Self::authorize) gives
    /// for a missing or malformed token, or for an IAM secret key alone.
    pub fn token_from<'h, H>(&self, headers: &'h H) -> Result<&'h str, Rejection>
    where
        H: RequestHeaders + ?Sized,
    {
        extract::extract(headers, &self.inner.headers)?.token()
    }

    /// Verifies one token, already taken from its request, against `policy`'s scope.
    /// `public_if_env` and `header` play no part here.
    pub fn verify(&self, token: &str, policy: &Policy) -> Result<Claims, Rejection> {
        let (key, target) = self
            .settled(self.platform(), policy)
            .map_err(Rejection::misconfigured)?;
        self.verify_with(token, key, target, policy.scope, now())
    }

    /// The key and the container `policy` is checked against, or what is misconfigured: the
    /// key first, since without it nothing can be checked whatever the ids.
    fn settled<'a>(
        &self,
        platform: &'a Platform,
        policy: &'a Policy,
    ) -> Result<(&'a PublicKey, Target<'a>), ConfigError> {
        let key = platform.key.as_ref().map_err(Clone::clone)?;
        Ok((key, self.target(platform, policy)?))
    }

    fn target<'a>(
        &self,
        platform: &'a Platform,
        policy: &'a Policy,
    ) -> Result<Target<'a>, ConfigError> {
        let namespace_id = match policy.namespace_id {
            Some(id) => id,
            None => platform.namespace_id.as_deref().map_err(Clone::clone)?,
        };
        let container_id = match (policy.scope.needs_container_id(), policy.container_id) {
            (false, _) => None,
            (true, Some(id)) => Some(id),
            (true, None) => Some(platform.container_id.as_deref().map_err(Clone::clone)?),
        };
        Ok(Target {
            namespace_id,
            container_id,
        })
    }

    fn verify_with(
        &self,
        token: &str,
        key: &PublicKey,
        target: Target<'_>,
        scope: Scope,
        now: i64,
    ) -> Result<Claims, Rejection> {
        let rules = &self.inner.rules;
        let cache = &self.inner.cache;
        let (claims, hit) = match cache.lookup(token, rules, now) {
            Some(hit) => (hit?, true),
            None => (Arc::new(token::verify(token, key, rules, now)?), false),
        };
        let kind = scope::grant(&claims, target, scope)?;
        if !hit {
            cache.insert(token, Arc::clone(&claims));
        }
        Ok(Claims::new(claims, kind))
    }
}

fn now() -> i64 {
    // A clock before 1970 reads as 0: every token with `exp` then looks valid for decades,
    // so fail towards "expired" instead by reading it as the far future.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(i64::MAX, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue};
    use serde_json::json;

    use super::*;
    use crate::claims::RawClaims;
    use crate::config::Origin;
    use crate::key::KeyError;
    use crate::token::tests::{NOW, sign};
    use crate::{Reason, RejectionKind, TokenKind};

    const NS: &str = "ns-1";
    const CT: &str = "ct-1";

    /// A builder with test key A and this container's ids.
    fn builder() -> VerifierBuilder {
        Verifier::builder()
            .public_key_pem(include_str!("../../test-keys/rsa2048-a.pkcs1.pem"))
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
        let several =
            json!({"application_claim": [{"namespace_id": "ns-2"}, {"container_id": CT}]});
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
            .public_key_pem(include_str!("../../test-keys/rsa2048-a.pkcs1.pem"))
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
            .public_key_pem(include_str!("../../test-keys/rsa2048-a.pkcs1.pem"))
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
                privacy: Privacy::Private,
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
        assert_eq!(build(true).authorize(&HeaderMap::new(), &policy), Ok(None));
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
        assert!(description.contains("platform_iam"), "{description}");
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
                .is_some()
        );
        assert_eq!(
            verifier().token_from(&iam).unwrap_err(),
            Rejection::new(Reason::IamKey)
        );
    }

    #[test]
    fn platform_iam_trusts_the_edge_only_on_a_private_container() {
        let policy = Policy::new().platform_iam(true);
        let good = sign(&json!({"application_claim": [{"namespace_id": NS}]}));
        let bad = format!("{good}x");
        let private = builder().public(false).build().unwrap();
        // No JWT: let through on the platform's word, with or without the IAM key.
        for untokened in [headers(&[]), headers(&[("x-auth-token", IAM_KEY)])] {
            assert_eq!(private.authorize(&untokened, &policy), Ok(None));
        }
        // A JWT is verified in full; a bad one, or a malformed header, is refused.
        assert!(
            private
                .authorize(&bearer(&good), &policy)
                .unwrap()
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
            Ok(None)
        );
        assert_eq!(keyless.authorize(&headers(&[]), &policy), Ok(None));
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
}
