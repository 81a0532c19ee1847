//! What the platform tells a container about itself, read from its environment.

use crate::env;
use crate::verification::config::{ConfigError, Id, Origin};
use crate::verification::key::{KeyError, PublicKey};

/// The key, ids and privacy a verifier checks against, each already settled: an error here is
/// reported on every protected request, never mistaken for a value.
#[derive(Clone, Debug)]
pub(crate) struct Platform {
    pub(crate) key: Result<PublicKey, ConfigError>,
    pub(crate) namespace_id: Result<String, ConfigError>,
    pub(crate) container_id: Result<String, ConfigError>,
    /// `Err` when `SCW_PUBLIC` holds something the platform never writes, or is not UTF-8:
    /// then nothing is trusted, exactly as when it is unset ([`Platform::privacy`]).
    pub(crate) privacy: Result<Privacy, ConfigError>,
}

/// What the platform says about the container's privacy, in `SCW_PUBLIC`.
///
/// The platform writes `true` or `false`; those two words (in any case, with ASCII white space
/// around them) are read, and nothing else is guessed at. Both opt-ins that read the variable
/// fail closed on anything else: `public_if_env` lets nothing through without a token, and
/// `platform_iam` trusts no edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Privacy {
    /// `true`: the edge checks nothing.
    Public,
    /// `false`: the edge authenticates every call before it reaches the container.
    Private,
    /// Unset, or a value that is neither: not on the platform, or nothing can be trusted about
    /// it.
    Unknown,
}

impl Privacy {
    /// Reads `SCW_PUBLIC`: `Ok(Unknown)` when it is unset, an error when it is set to
    /// anything but `true` or `false`.
    pub(crate) fn from_variable(
        value: Result<Option<String>, ConfigError>,
    ) -> Result<Self, ConfigError> {
        let Some(value) = value? else {
            return Ok(Self::Unknown);
        };
        // ASCII white space only: a no-break space or U+3000 before `true` is not the platform.
        let word = value.trim_matches(|c: char| c.is_ascii_whitespace());
        if word.eq_ignore_ascii_case("true") {
            Ok(Self::Public)
        } else if word.eq_ignore_ascii_case("false") {
            Ok(Self::Private)
        } else {
            Err(ConfigError::InvalidPrivacy)
        }
    }
}

/// An environment variable: `Ok(None)` when unset, an error when not UTF-8.
pub(crate) type Lookup<'a> = &'a dyn Fn(&'static str) -> Result<Option<String>, ConfigError>;

/// Reads the process environment.
pub(crate) fn env_var(name: &'static str) -> Result<Option<String>, ConfigError> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::NotUnicode { variable: name }),
    }
}

impl Platform {
    /// Settles everything from `lookup`, which is the process environment outside tests.
    pub(crate) fn from_lookup(lookup: Lookup<'_>) -> Self {
        let key = lookup(env::PUBLIC_KEY).and_then(|pem| {
            let pem = pem.ok_or(KeyError::Missing);
            pem.and_then(|pem| PublicKey::from_pem(&pem))
                .map_err(|error| ConfigError::Key {
                    origin: Origin::Environment,
                    error,
                })
        });
        let id = |name, which: Id| {
            let id = lookup(name)?.unwrap_or_default();
            which.check(&id, Origin::Environment).map(|()| id)
        };
        Self {
            key,
            namespace_id: id(env::NAMESPACE_ID, Id::Namespace),
            container_id: id(env::CONTAINER_ID, Id::Container),
            privacy: Privacy::from_variable(lookup(env::PUBLIC)),
        }
    }

    /// What the platform says of the container's privacy; an unusable `SCW_PUBLIC` says
    /// nothing.
    pub(crate) fn privacy(&self) -> Privacy {
        self.privacy
            .as_ref()
            .map_or(Privacy::Unknown, |privacy| *privacy)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn platform(vars: &[(&'static str, &str)]) -> Platform {
        let vars: HashMap<_, _> = vars.iter().map(|(k, v)| (*k, v.to_string())).collect();
        Platform::from_lookup(&|name| Ok(vars.get(name).cloned()))
    }

    const PEM: &str = include_str!("../../test-keys/rsa2048-a.pkcs1.pem");

    #[test]
    fn reads_everything_the_platform_injects() {
        let p = platform(&[
            (env::PUBLIC_KEY, PEM),
            (env::NAMESPACE_ID, "ns"),
            (env::CONTAINER_ID, "ct"),
            (env::PUBLIC, "false"),
        ]);
        assert_eq!(p.privacy(), Privacy::Private);
        assert_eq!(p.key.unwrap().bits(), 2048);
        assert_eq!(p.namespace_id.unwrap(), "ns");
        assert_eq!(p.container_id.unwrap(), "ct");
    }

    #[test]
    fn public_only_when_true_private_only_when_false_otherwise_unknown() {
        let privacy = |value: &str| platform(&[(env::PUBLIC, value)]).privacy;
        for value in ["true", "TRUE", " True\n", "\ttrue\r\n"] {
            assert_eq!(privacy(value), Ok(Privacy::Public), "{value:?}");
        }
        for value in ["false", "FALSE", " false ", "\nFalse\t"] {
            assert_eq!(privacy(value), Ok(Privacy::Private), "{value:?}");
        }
        for value in [
            "",
            " ",
            "1",
            "0",
            "yes",
            "no",
            "flase",
            "truee",
            "t rue",
            "true false",
            "\u{a0}true",
            "true\u{3000}",
            "\u{a0}false",
            "\u{85}false",
        ] {
            assert_eq!(
                privacy(value),
                Err(ConfigError::InvalidPrivacy),
                "{value:?} is neither word"
            );
            assert_eq!(
                platform(&[(env::PUBLIC, value)]).privacy(),
                Privacy::Unknown
            );
        }
        assert_eq!(
            platform(&[]).privacy,
            Ok(Privacy::Unknown),
            "unset is no error"
        );
        let unreadable = Platform::from_lookup(&|_| {
            Err(ConfigError::NotUnicode {
                variable: env::PUBLIC,
            })
        });
        assert_eq!(
            unreadable.privacy,
            Err(ConfigError::NotUnicode {
                variable: env::PUBLIC
            })
        );
        assert_eq!(
            unreadable.privacy(),
            Privacy::Unknown,
            "unreadable trusts nothing"
        );
    }

    #[test]
    fn missing_or_empty_values_are_errors_not_empty_strings() {
        let p = platform(&[(env::NAMESPACE_ID, "")]);
        assert_eq!(
            p.namespace_id.unwrap_err(),
            ConfigError::MissingNamespaceId {
                origin: Origin::Environment
            }
        );
        assert!(matches!(
            p.container_id,
            Err(ConfigError::MissingContainerId { .. })
        ));
        assert_eq!(
            p.key.unwrap_err(),
            ConfigError::Key {
                origin: Origin::Environment,
                error: KeyError::Missing
            }
        );
    }

    #[test]
    fn the_process_environment_is_read_as_it_is() {
        // Cargo sets this variable for every test process it runs.
        assert_eq!(
            env_var("CARGO_PKG_NAME").unwrap(),
            Some("scw-private".to_owned())
        );
        assert_eq!(
            env_var("SCW_PRIVATE_NO_SUCH_VARIABLE_IN_ANY_TEST").unwrap(),
            None
        );
    }

    #[test]
    fn an_unreadable_variable_is_an_error() {
        let p = Platform::from_lookup(&|name| Err(ConfigError::NotUnicode { variable: name }));
        assert_eq!(
            p.key.unwrap_err(),
            ConfigError::NotUnicode {
                variable: env::PUBLIC_KEY
            }
        );
        assert_eq!(
            p.namespace_id.unwrap_err(),
            ConfigError::NotUnicode {
                variable: env::NAMESPACE_ID
            }
        );
    }
}
