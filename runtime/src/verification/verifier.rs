//! The verifier: key, ids and rules together, and the one function a request goes through.

use std::fmt;
use std::sync::Arc;

use http::HeaderName;
use std::time::{SystemTime, UNIX_EPOCH};

use once_cell::sync::{Lazy, OnceCell};
use quick_cache::sync::Cache;

use crate::verification::access::Access;
use crate::verification::builder::VerifierBuilder;
use crate::verification::cache::TokenCache;
use crate::verification::claims::Claims;
use crate::verification::config::ConfigError;
use crate::verification::extract::{self, Credential, RequestHeaders};
use crate::verification::key::PublicKey;
use crate::verification::log;
use crate::verification::metrics::{Instruments, Protocol};
use crate::verification::platform::{self, Platform, Privacy};
use crate::verification::policy::Policy;
use crate::verification::rejection::Rejection;
use crate::verification::scope::{self, Scope, Target};
use crate::verification::token::{self, Rules};

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
/// it unless the application provides its own, built with [`Verifier::builder`]. Cloning is
/// cheap and shares the state.
///
/// # Which verifier checks a request
///
/// One rule, by whether the form has a moment to be given a verifier:
///
/// - **Built forms** fix their verifier when they are built, and never look elsewhere:
///   [`ScwPrivateLayer`](crate::layer::ScwPrivateLayer),
///   [`ScwPrivateInterceptor`](crate::tonic_0_14::ScwPrivateInterceptor) and
///   [`tonic_0_14::protect`](crate::tonic_0_14::protect) (which checks the methods that carry
///   `#[scw_private]`) use [`Verifier::global`], or the one given to their `verifier` method. A request extension
///   of type `Verifier` is never read by them, so an `Extension` layer on the wrong side cannot
///   swap the application's rules (`max_token_age`, issuers, ...) for the defaults.
/// - **Forms without a build moment** look the verifier up on every request: `#[scw_private]`
///   on an HTTP handler, the `Access`/`Claims`/`OptionalClaims` extractors and
///   `tonic_0_14::authorize` take a
///   request extension of type `Verifier` (axum's `Extension(verifier)`, tonic's request
///   extensions) or, with actix-web, app data of type `Verifier` or `web::Data<Verifier>`;
///   else [`Verifier::global`].
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
    /// The header names policies ask for (`Policy::header`), parsed once each: `None` for a
    /// string that is not a header name.
    policy_headers: Cache<&'static str, Option<HeaderName>>,
    /// What the checks record (feature `metrics`).
    instruments: Instruments,
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
                // A service names a handful of custom headers at most.
                policy_headers: Cache::new(64),
                instruments: Instruments::default(),
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
                if let Err(problem) = &platform.privacy {
                    log::unusable_privacy(problem);
                }
                platform
            }),
        }
    }

    /// Loads the key and checks that everything `policy` needs is configured, so a
    /// deployment can fail at start instead of answering 500 later: the policy itself (no
    /// combination that `#[scw_private]` refuses, no empty or padded id), the key, the ids
    /// the policy's scope needs, the policy's header name, and for a `public_if_env` or
    /// `platform_iam` policy a `SCW_PUBLIC` that says `true` or `false` if it is set.
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
        policy.check()?;
        let platform = self.platform();
        if policy.public_if_env || policy.platform_iam {
            // Such a policy works with an unusable `SCW_PUBLIC` (it trusts nothing then), but
            // not as its author meant it to.
            platform.privacy.as_ref().map_err(Clone::clone)?;
        }
        self.policy_header(policy)?;
        // Every policy needs everything a token that arrives is checked with: a
        // `public_if_env` route on a public container and a `platform_iam` route verify the
        // tokens they are sent.
        self.settled(platform, policy).map(drop)
    }

    /// [`preflight`](Self::preflight) for every policy a service uses, as one call before it
    /// binds its port: the platform marks a container ready when it listens, and keeps the
    /// previous revision serving while a new one never does, so a configuration error here
    /// becomes a failed deploy instead of a revision that answers 500 to every protected
    /// call. The first problem found is returned; its message names the variable and the fix.
    ///
    /// Choose it when a service is useless without its protected routes. A service whose
    /// public routes must keep answering should log the problem and bind anyway (protected
    /// routes then answer 500 and log why).
    ///
    /// ```no_run
    /// use scw_private::{Policy, Scope, Verifier};
    ///
    /// // The policies of the service's routes: `#[scw_private]`, `#[scw_private(container)]`
    /// // and `#[scw_private(platform_iam)]`.
    /// let policies = [
    ///     Policy::new(),
    ///     Policy::new().scope(Scope::ContainerToken),
    ///     Policy::new().platform_iam(true),
    /// ];
    /// if let Err(problem) = Verifier::global().preflight_all(&policies) {
    ///     eprintln!("not starting: {problem}");
    ///     std::process::exit(1);
    /// }
    /// // bind the port and serve
    /// ```
    pub fn preflight_all<'a, I>(&self, policies: I) -> Result<(), ConfigError>
    where
        I: IntoIterator<Item = &'a Policy>,
    {
        policies
            .into_iter()
            .try_for_each(|policy| self.preflight(policy))
    }

    /// Whether the platform says the container is public (`SCW_PUBLIC=true`).
    pub fn is_public(&self) -> bool {
        self.platform().privacy() == Privacy::Public
    }

    /// Checks a request: says how it is let through ([`Access::Token`] with the verified
    /// claims, or, where `policy` allows it, [`Access::PublicContainer`] or
    /// [`Access::PlatformIam`]), or why it is refused. Every refusal is logged (with the
    /// `tracing` feature) with its class and reason, never a token or a key.
    ///
    /// ```
    /// use scw_private::{Access, Policy, Verifier};
    ///
    /// let verifier = Verifier::builder()
    ///     .public_key_pem(include_str!("../../test-keys/rsa2048-a.pkcs1.pem"))
    ///     .public(false)
    ///     .build()?;
    /// // No credential reaches a private container but through the platform's edge.
    /// let headers = http::HeaderMap::new();
    /// let access = verifier.authorize(&headers, &Policy::new().platform_iam(true));
    /// assert_eq!(access.unwrap(), Access::PlatformIam);
    /// # Ok::<(), scw_private::ConfigError>(())
    /// ```
    pub fn authorize<H>(&self, headers: &H, policy: &Policy) -> Result<Access, Rejection>
    where
        H: RequestHeaders + ?Sized,
    {
        // Read only where checks are counted (feature `metrics`).
        let protocol = if cfg!(feature = "metrics") {
            Protocol::of(headers)
        } else {
            Protocol::Http
        };
        self.authorize_on(headers, policy, protocol, || None)
    }

    /// [`authorize`](Self::authorize) for a form that knows the protocol it answers in and
    /// the request's route: `route` is asked only when the request is refused, for the
    /// refusal's event, beside the request's `X-Request-ID`. Every form's check comes here,
    /// once per request, and is counted here (feature `metrics`).
    pub(crate) fn authorize_on<'r, H>(
        &self,
        headers: &H,
        policy: &Policy,
        protocol: Protocol,
        route: impl FnOnce() -> Option<std::borrow::Cow<'r, str>>,
    ) -> Result<Access, Rejection>
    where
        H: RequestHeaders + ?Sized,
    {
        let result = self.check(headers, policy);
        self.inner.instruments.check(result.as_ref(), protocol);
        if let Err(rejection) = &result {
            let route = route().map(log::without_tokens);
            let context = log::Context {
                route: route.as_deref(),
                request_id: log::request_id(headers),
            };
            log::refused(
                rejection,
                self.platform().privacy() == Privacy::Private,
                context,
            );
        }
        result
    }

    fn check<H>(&self, headers: &H, policy: &Policy) -> Result<Access, Rejection>
    where
        H: RequestHeaders + ?Sized,
    {
        // Before any way in is looked at: a `platform_iam` policy that also names a scope
        // must not let the platform's word through before the scope is checked.
        policy.check().map_err(Rejection::misconfigured)?;
        let platform = self.platform();
        let privacy = platform.privacy();
        if policy.public_if_env && privacy == Privacy::Public {
            // Anonymous only when nothing was sent (the rule `OptionalClaims` follows): a
            // token that was sent is verified in full, so a valid one's claims reach the
            // handler and a forged one is refused rather than let in as anonymous.
            return match self.credential(headers, policy)? {
                Credential::Nothing => Ok(Access::PublicContainer),
                credential => self.verify(credential.token()?, policy).map(Access::Token),
            };
        }
        if policy.platform_iam && privacy == Privacy::Private {
            // The platform's edge authenticated this call before it got here; only a JWT it
            // carries can be (and is) checked, and that needs the key.
            return match self.credential(headers, policy)? {
                Credential::Token(token) => self.verify(token, policy).map(Access::Token),
                Credential::IamKey | Credential::Nothing => {
                    log::trusted_platform();
                    Ok(Access::PlatformIam)
                }
            };
        }
        // A misconfigured server refuses everything with 500, whatever the request carries.
        let (key, target) = self
            .settled(platform, policy)
            .map_err(Rejection::misconfigured)?;
        let token = self.credential(headers, policy)?.token()?;
        self.verify_with(token, key, target, policy.scope, now())
            .map(Access::Token)
    }

    fn credential<'h, H>(
        &self,
        headers: &'h H,
        policy: &Policy,
    ) -> Result<Credential<'h>, Rejection>
    where
        H: RequestHeaders + ?Sized,
    {
        match self
            .policy_header(policy)
            .map_err(Rejection::misconfigured)?
        {
            Some(name) => extract::extract(headers, std::slice::from_ref(&name)),
            None => extract::extract(headers, &self.inner.headers),
        }
    }

    /// The header `policy` reads instead of the verifier's, parsed once per verifier. A
    /// policy's header is a `&'static str` (the attribute checks it at compile time); one set
    /// by hand that is not a header name makes the route answer 500, and `preflight` fail.
    fn policy_header(&self, policy: &Policy) -> Result<Option<HeaderName>, ConfigError> {
        let Some(name) = policy.header else {
            return Ok(None);
        };
        let parsed = self.inner.policy_headers.get_or_insert_with(&name, || {
            Ok::<_, std::convert::Infallible>(HeaderName::from_bytes(name.as_bytes()).ok())
        });
        match parsed {
            Ok(Some(parsed)) => Ok(Some(parsed)),
            _ => Err(ConfigError::InvalidHeaderName {
                name: name.to_owned(),
            }),
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
        policy.check().map_err(Rejection::misconfigured)?;
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
            Some(hit) => {
                self.inner.instruments.cache_hit();
                (hit?, true)
            }
            None => {
                let timer = self.inner.instruments.cache_miss();
                let verified = token::verify(token, key, rules, now);
                timer.stop();
                (Arc::new(verified?), false)
            }
        };
        let kind = scope::grant(&claims, target, scope)?;
        if !hit {
            cache.insert(token, Arc::clone(&claims));
        }
        Ok(Claims::new(claims, kind))
    }
}

/// The clock the verifier reads, in seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    // A clock before 1970 reads as 0: every token with `exp` then looks valid for decades,
    // so fail towards "expired" instead by reading it as the far future.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(i64::MAX, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;
