//! Building a [`Verifier`] from explicit values: everything it checks, settled and validated
//! in [`VerifierBuilder::build`].

use std::time::Duration;

use crate::verification::config::{ConfigError, Id, Origin};
use crate::verification::key::{KeyError, PublicKey};
use crate::verification::platform::{self, Platform, Privacy};
use crate::verification::token::Rules;
use crate::verification::verifier::{Settings, Source, Verifier, default_headers};

/// Builds a [`Verifier`] from explicit values.
///
/// Nothing is read from the environment unless [`env_fallback`](Self::env_fallback) is
/// called; then the environment fills what was not given explicitly, and anything unusable
/// is an error of [`build`](Self::build).
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct VerifierBuilder {
    key_pem: Option<String>,
    key: Option<PublicKey>,
    namespace_id: Option<String>,
    container_id: Option<String>,
    public: Option<bool>,
    env_fallback: bool,
    leeway: Option<Duration>,
    require_exp: bool,
    audiences: Option<Vec<String>>,
    issuers: Option<Vec<String>>,
    max_token_age: Option<Duration>,
    headers: Option<Vec<String>>,
    cache_capacity: Option<usize>,
}

impl VerifierBuilder {
    /// How many accepted tokens a verifier remembers by default.
    pub const DEFAULT_CACHE_CAPACITY: usize = 1024;

    /// The PEM public key (PKCS#1 or SPKI), normalised as [`PublicKey::from_pem`] does.
    pub fn public_key_pem(mut self, pem: impl Into<String>) -> Self {
        self.key_pem = Some(pem.into());
        self.key = None;
        self
    }

    /// An already loaded public key.
    pub fn public_key(mut self, key: PublicKey) -> Self {
        self.key = Some(key);
        self.key_pem = None;
        self
    }

    /// The namespace this container belongs to.
    pub fn namespace_id(mut self, id: impl Into<String>) -> Self {
        self.namespace_id = Some(id.into());
        self
    }

    /// This container's id.
    pub fn container_id(mut self, id: impl Into<String>) -> Self {
        self.container_id = Some(id.into());
        self
    }

    /// What the platform says of the container's privacy, as `SCW_PUBLIC` does: `true` lets
    /// `public_if_env` handlers through without a token; `false` declares a private container
    /// behind the platform's edge, which `platform_iam` handlers trust. Default: neither
    /// (`public_if_env` handlers need a token, `platform_iam` handlers trust no edge), or
    /// `SCW_PUBLIC` with [`env_fallback`](Self::env_fallback).
    pub fn public(mut self, public: bool) -> Self {
        self.public = Some(public);
        self
    }

    /// Fill everything not given explicitly from `SCW_PUBLIC_KEY`, `SCW_NAMESPACE_ID`,
    /// `SCW_APPLICATION_ID` and `SCW_PUBLIC`, read once, in [`build`](Self::build), which then
    /// fails on an unusable key. (Compare [`Verifier::from_env`], which reads on first use
    /// and answers 500 instead.)
    pub fn env_fallback(mut self) -> Self {
        self.env_fallback = true;
        self
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat`. Default: 60 seconds.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = Some(leeway);
        self
    }

    /// Refuse tokens without `exp`. Default: accepted, as the platform issues them.
    pub fn require_exp(mut self, require: bool) -> Self {
        self.require_exp = require;
        self
    }

    /// Audiences accepted in a token's `aud`, when it has one. Default: `functions`.
    /// An empty list refuses every token that carries `aud`.
    pub fn audiences<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audiences = Some(audiences.into_iter().map(Into::into).collect());
        self
    }

    /// Refuse tokens issued (`iat`) longer ago than `age`, and tokens without `iat`. Default:
    /// no bound.
    ///
    /// Platform tokens carry no `exp`, and since 2022 a token deleted in the console or the
    /// API is refused by the platform's edge, but a verifier in the container cannot see a
    /// deletion: where the edge checks nothing (a public container, a local run, a call that
    /// reaches the service another way), a deleted or leaked token verifies for ever. A
    /// maximum age bounds that. Tokens must then be renewed within `age`.
    ///
    /// ```
    /// use std::time::Duration;
    /// # let pem = include_str!("../../test-keys/rsa2048-a.pkcs1.pem");
    ///
    /// let verifier = scw_private::Verifier::builder()
    ///     .public_key_pem(pem)
    ///     .max_token_age(Duration::from_secs(90 * 24 * 60 * 60))
    ///     .build()?;
    /// # Ok::<(), scw_private::ConfigError>(())
    /// ```
    pub fn max_token_age(mut self, age: Duration) -> Self {
        self.max_token_age = Some(age);
        self
    }

    /// Require `iss` to be one of these. Default: `iss` is not checked.
    pub fn issuers<I, S>(mut self, issuers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.issuers = Some(issuers.into_iter().map(Into::into).collect());
        self
    }

    /// The headers the token is read from, instead of `Authorization` and `X-Auth-Token`.
    /// `Authorization` must use the `Bearer` scheme; any other header holds a raw token or
    /// `Bearer <token>`.
    pub fn headers<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.headers = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// How many accepted tokens to remember, so that the same token sent again skips the
    /// signature check (time claims and scope are still checked every time). Default
    /// [`DEFAULT_CACHE_CAPACITY`](Self::DEFAULT_CACHE_CAPACITY); 0 turns the cache off. An
    /// entry holds the token and its parsed claims, about 1.8 KiB for a 4096-bit platform
    /// token.
    pub fn cache_capacity(mut self, entries: usize) -> Self {
        self.cache_capacity = Some(entries);
        self
    }

    /// Checks and loads everything. An unusable key or header name is an error here, and with
    /// [`env_fallback`](Self::env_fallback) an unreadable variable or a `SCW_PUBLIC` that is
    /// neither `true` nor `false`.
    ///
    /// Missing ids are not an error here: which ids are needed depends on each handler's
    /// [`Policy`](crate::Policy) (a namespace-token route needs no container id, a route may
    /// name its own ids), so a request that needs a missing id is answered 500. Call
    /// [`Verifier::preflight`] with each policy the service uses to fail at start instead.
    pub fn build(self) -> Result<Verifier, ConfigError> {
        let env = self
            .env_fallback
            .then(|| Platform::from_lookup(&platform::env_var));
        let key = match (self.key, self.key_pem, &env) {
            (Some(key), _, _) => key,
            (None, Some(pem), _) => {
                PublicKey::from_pem(&pem).map_err(|error| ConfigError::Key {
                    origin: Origin::Builder,
                    error,
                })?
            }
            (None, None, Some(env)) => env.key.clone()?,
            (None, None, None) => {
                return Err(ConfigError::Key {
                    origin: Origin::Builder,
                    error: KeyError::Missing,
                });
            }
        };
        // A given id, else the environment's (with `env_fallback`); an empty given id counts
        // as not given, as an empty variable counts as unset.
        let id =
            |given: Option<String>, from_env: Option<&Result<String, ConfigError>>, which: Id| {
                match (given.filter(|id| !id.is_empty()), from_env) {
                    (Some(id), _) => which.check(&id, Origin::Builder).map(|()| id),
                    (None, Some(env)) => env.clone(),
                    (None, None) => which.check("", Origin::Builder).map(|()| String::new()),
                }
            };
        let platform = Platform {
            key: Ok(key),
            namespace_id: id(
                self.namespace_id,
                env.as_ref().map(|env| &env.namespace_id),
                Id::Namespace,
            ),
            container_id: id(
                self.container_id,
                env.as_ref().map(|env| &env.container_id),
                Id::Container,
            ),
            privacy: Ok(match (self.public, &env) {
                (Some(true), _) => Privacy::Public,
                (Some(false), _) => Privacy::Private,
                (None, Some(env)) => env.privacy.clone()?,
                (None, None) => Privacy::Unknown,
            }),
        };
        let headers = match self.headers {
            None => default_headers(),
            Some(names) if names.is_empty() => return Err(ConfigError::NoHeaders),
            Some(names) => names
                .into_iter()
                .map(|name| {
                    http::HeaderName::from_bytes(name.as_bytes())
                        .map_err(|_| ConfigError::InvalidHeaderName { name })
                })
                .collect::<Result<_, _>>()?,
        };
        let defaults = Rules::default();
        let rules = Rules {
            leeway: self.leeway.map_or(defaults.leeway, |l| {
                i64::try_from(l.as_secs()).unwrap_or(i64::MAX)
            }),
            require_exp: self.require_exp,
            audiences: self.audiences.unwrap_or(defaults.audiences),
            issuers: self.issuers,
            max_age: self
                .max_token_age
                .map(|age| i64::try_from(age.as_secs()).unwrap_or(i64::MAX)),
        };
        let cache_capacity = self.cache_capacity.unwrap_or(Self::DEFAULT_CACHE_CAPACITY);
        Ok(Verifier::with_source(
            Settings {
                rules,
                headers,
                cache_capacity,
            },
            Source::Given(platform),
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Policy;
    use crate::verification::rejection::Reason;
    use crate::verification::token::tests::sign;

    const NS: &str = "ns-1";
    const CT: &str = "ct-1";

    fn builder() -> VerifierBuilder {
        Verifier::builder()
            .public_key_pem(include_str!("../../test-keys/rsa2048-a.pkcs1.pem"))
            .namespace_id(NS)
            .container_id(CT)
    }

    #[test]
    fn the_builder_refuses_what_it_cannot_use() {
        assert!(matches!(
            Verifier::builder().build(),
            Err(ConfigError::Key {
                error: KeyError::Missing,
                ..
            })
        ));
        let key = include_str!("../../test-keys/rsa2048-a.pkcs1.pem");
        assert!(matches!(
            Verifier::builder()
                .public_key_pem(include_str!("../../test-keys/rsa2048-a.private.pem"))
                .build(),
            Err(ConfigError::Key {
                error: KeyError::PrivateKey,
                ..
            })
        ));
        assert_eq!(
            Verifier::builder()
                .public_key_pem(key)
                .headers(["bad header"])
                .build()
                .unwrap_err(),
            ConfigError::InvalidHeaderName {
                name: "bad header".into()
            }
        );
        assert_eq!(
            Verifier::builder()
                .public_key_pem(key)
                .headers(Vec::<String>::new())
                .build()
                .unwrap_err(),
            ConfigError::NoHeaders
        );
        let custom = Verifier::builder()
            .public_key_pem(key)
            .namespace_id(NS)
            .headers(["SCW-Functions-Token"])
            .build()
            .unwrap();
        let token = sign(&json!({"application_claim": [{"namespace_id": NS}]}));
        let mut headers = http::HeaderMap::new();
        headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
        assert_eq!(
            custom.token_from(&headers).unwrap_err().reason(),
            Reason::NoToken
        );
        headers.insert("scw-functions-token", token.parse().unwrap());
        assert_eq!(custom.token_from(&headers), Ok(token.as_str()));
    }

    #[test]
    fn builder_rules_reach_the_token_check() {
        let token =
            sign(&json!({"application_claim": [{"namespace_id": NS}], "aud": "mine", "iss": "me"}));
        let base = || builder();
        assert_eq!(
            base()
                .build()
                .unwrap()
                .verify(&token, &Policy::new())
                .unwrap_err()
                .reason(),
            Reason::AudienceNotAccepted
        );
        let v = base().audiences(["mine"]).issuers(["me"]).build().unwrap();
        assert!(v.verify(&token, &Policy::new()).is_ok());
        let strict = base()
            .audiences(["mine"])
            .require_exp(true)
            .build()
            .unwrap();
        assert_eq!(
            strict.verify(&token, &Policy::new()).unwrap_err().reason(),
            Reason::NoExpiry
        );
    }

    #[test]
    fn explicit_values_win_over_the_environment_fallback() {
        // The test process has none of the platform's variables: the fallback finds nothing,
        // and what was given explicitly is kept.
        let token = sign(&json!({"application_claim": [{"namespace_id": NS}]}));
        let verifier = builder().env_fallback().build().unwrap();
        assert!(verifier.verify(&token, &Policy::new()).is_ok());
        assert!(!verifier.is_public(), "no SCW_PUBLIC: nothing trusted");
        assert!(matches!(
            Verifier::builder().env_fallback().build(),
            Err(ConfigError::Key {
                origin: Origin::Environment,
                error: KeyError::Missing,
                ..
            })
        ));
    }

    #[test]
    fn the_leeway_applies_to_every_time_claim() {
        let now = crate::verification::verifier::now();
        let late = sign(&json!({"application_claim": [{"namespace_id": NS}], "exp": now - 30}));
        let early = sign(&json!({"application_claim": [{"namespace_id": NS}], "nbf": now + 30}));
        let default = builder().build().unwrap();
        for token in [&late, &early] {
            assert!(default.verify(token, &Policy::new()).is_ok());
            let strict = builder().leeway(Duration::from_secs(5)).build().unwrap();
            assert!(strict.verify(token, &Policy::new()).is_err());
        }
        let wide = builder().leeway(Duration::from_secs(120)).build().unwrap();
        let later = sign(&json!({"application_claim": [{"namespace_id": NS}], "exp": now - 90}));
        assert!(wide.verify(&later, &Policy::new()).is_ok());
        assert!(default.verify(&later, &Policy::new()).is_err());
    }

    #[test]
    fn public_and_the_headers_reach_the_verifier() {
        assert!(builder().public(true).build().unwrap().is_public());
        assert!(!builder().public(false).build().unwrap().is_public());
        let token = sign(&json!({"application_claim": [{"namespace_id": NS}]}));
        let mut headers = http::HeaderMap::new();
        headers.insert("x-token", token.parse().unwrap());
        let custom = builder().headers(["X-Token"]).build().unwrap();
        assert!(custom.authorize(&headers, &Policy::new()).is_ok());
        let default = builder().build().unwrap();
        assert!(default.authorize(&headers, &Policy::new()).is_err());
        let uncached = builder().cache_capacity(0).build().unwrap();
        assert!(uncached.verify(&token, &Policy::new()).is_ok());
        assert!(
            format!("{uncached:?}").contains("capacity: 0"),
            "{uncached:?}"
        );
        assert!(
            format!("{default:?}").contains(&format!(
                "capacity: {}",
                VerifierBuilder::DEFAULT_CACHE_CAPACITY
            )),
            "{default:?}"
        );
    }
}
