//! Misconfiguration: what stops a verifier from checking tokens at all.

use std::fmt;

use crate::key::KeyError;

/// Where a setting came from, so that a message names the right one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// The platform's variable (`SCW_PUBLIC_KEY`, ...), from the environment or a lookup.
    Environment,
    /// A [`VerifierBuilder`](crate::VerifierBuilder) method.
    Builder,
}

/// Why the verifier cannot check tokens. Protected requests answer 500 while it lasts.
///
/// Messages name the setting at fault and never contain a key or a token.
///
/// # What this type promises
///
/// It is `Clone`, `Debug`, `Display`, [`Error`](std::error::Error), `Send`, `Sync` and
/// `'static`. It is not `PartialEq`: a later release may give a variant a source (an I/O
/// error reading a key file, say) that cannot be compared; match on variants instead. New
/// variants may appear, and the variants with fields may gain fields (they are
/// `#[non_exhaustive]`: match them with `..`).
///
/// ```compile_fail,E0638
/// # use scw_private::{ConfigError, Origin};
/// fn from_environment(error: &ConfigError) -> bool {
///     matches!(error, ConfigError::MissingNamespaceId { origin: Origin::Environment })
/// }
/// ```
///
/// ```
/// # use scw_private::{ConfigError, Origin};
/// fn from_environment(error: &ConfigError) -> bool {
///     matches!(error, ConfigError::MissingNamespaceId { origin: Origin::Environment, .. })
/// }
/// ```
#[derive(Clone, Debug)]
// Unit tests compare values; the public API promises no equality (see above).
#[cfg_attr(test, derive(PartialEq))]
#[non_exhaustive]
pub enum ConfigError {
    /// The public key is missing or unusable.
    #[non_exhaustive]
    Key {
        /// Where the key came from.
        origin: Origin,
        /// What is wrong with it.
        error: KeyError,
    },
    /// The namespace id is needed and missing or empty.
    #[non_exhaustive]
    MissingNamespaceId {
        /// Where it was looked for.
        origin: Origin,
    },
    /// The container id is needed and missing or empty.
    #[non_exhaustive]
    MissingContainerId {
        /// Where it was looked for.
        origin: Origin,
    },
    /// An environment variable holds bytes that are not UTF-8.
    #[non_exhaustive]
    NotUnicode {
        /// The variable.
        variable: &'static str,
    },
    /// A configured header name is not a valid HTTP header name.
    #[non_exhaustive]
    InvalidHeaderName {
        /// The name as given.
        name: String,
    },
    /// A verifier must read at least one header.
    NoHeaders,
    /// `SCW_PUBLIC` is set to something other than `true` or `false` (in any case, with ASCII
    /// white space around it), the only values the platform writes. Nothing is trusted then:
    /// `public_if_env` lets no request through without a token, and `platform_iam` trusts no
    /// edge. Reported by [`Verifier::preflight`](crate::Verifier::preflight) for policies
    /// that read the variable.
    InvalidPrivacy,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key { origin, error } => {
                let key = match origin {
                    Origin::Environment => "`SCW_PUBLIC_KEY`",
                    Origin::Builder => "the configured public key",
                };
                write!(f, "{key} cannot be used: {error}")?;
                if let (Origin::Environment, KeyError::Missing) = (origin, error) {
                    // The one cause with a fix outside the value itself.
                    f.write_str(
                        "; the platform injects it into a container whose privacy is private, \
                         elsewhere set it to the PEM public key that verifies the tokens",
                    )?;
                }
                Ok(())
            }
            Self::MissingNamespaceId { origin } => {
                let id = match origin {
                    Origin::Environment => "`SCW_NAMESPACE_ID`",
                    Origin::Builder => "the builder's `namespace_id`",
                };
                write!(
                    f,
                    "the namespace id is needed to check tokens but {id} is unset or empty; \
                     set it, or name the namespace in the route (`namespace_id = \"..\"`)"
                )
            }
            Self::MissingContainerId { origin } => {
                let id = match origin {
                    Origin::Environment => "`SCW_APPLICATION_ID`",
                    Origin::Builder => "the builder's `container_id`",
                };
                write!(
                    f,
                    "the container id is needed to check tokens but {id} is unset or empty; \
                     set it, name the container in the route (`container_id = \"..\"`), or \
                     accept namespace tokens only (`namespace`)"
                )
            }
            Self::NotUnicode { variable } => write!(f, "`{variable}` is not valid UTF-8"),
            Self::InvalidHeaderName { name } => {
                write!(f, "`{name}` is not a valid HTTP header name")
            }
            Self::NoHeaders => f.write_str("no header to read the token from"),
            Self::InvalidPrivacy => f.write_str(
                "`SCW_PUBLIC` is neither `true` nor `false`, so nothing is trusted: \
                 `public_if_env` routes need a token and `platform_iam` routes trust no edge; \
                 set it to `true` or `false`",
            ),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Key { error, .. } => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message names the setting at fault, in the words of where it came from.
    #[test]
    fn messages_name_the_setting() {
        let cases = [
            (
                ConfigError::Key {
                    origin: Origin::Environment,
                    error: KeyError::Missing,
                },
                "`SCW_PUBLIC_KEY` cannot be used: no public key is set; the platform injects it \
                 into a container whose privacy is private, elsewhere set it to the PEM public \
                 key that verifies the tokens",
            ),
            (
                ConfigError::Key {
                    origin: Origin::Builder,
                    error: KeyError::Empty,
                },
                "the configured public key cannot be used: the public key is empty",
            ),
            (
                ConfigError::MissingNamespaceId {
                    origin: Origin::Environment,
                },
                "the namespace id is needed to check tokens but `SCW_NAMESPACE_ID` is unset or \
                 empty; set it, or name the namespace in the route (`namespace_id = \"..\"`)",
            ),
            (
                ConfigError::MissingNamespaceId {
                    origin: Origin::Builder,
                },
                "the namespace id is needed to check tokens but the builder's `namespace_id` is \
                 unset or empty; set it, or name the namespace in the route \
                 (`namespace_id = \"..\"`)",
            ),
            (
                ConfigError::MissingContainerId {
                    origin: Origin::Environment,
                },
                "the container id is needed to check tokens but `SCW_APPLICATION_ID` is unset or \
                 empty; set it, name the container in the route (`container_id = \"..\"`), or \
                 accept namespace tokens only (`namespace`)",
            ),
            (
                ConfigError::MissingContainerId {
                    origin: Origin::Builder,
                },
                "the container id is needed to check tokens but the builder's `container_id` is \
                 unset or empty; set it, name the container in the route \
                 (`container_id = \"..\"`), or accept namespace tokens only (`namespace`)",
            ),
            (
                ConfigError::NotUnicode {
                    variable: "SCW_PUBLIC",
                },
                "`SCW_PUBLIC` is not valid UTF-8",
            ),
            (
                ConfigError::InvalidHeaderName { name: "a b".into() },
                "`a b` is not a valid HTTP header name",
            ),
            (ConfigError::NoHeaders, "no header to read the token from"),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
        assert!(
            ConfigError::InvalidPrivacy
                .to_string()
                .starts_with("`SCW_PUBLIC` is neither `true` nor `false`")
        );
    }

    #[test]
    fn a_key_error_is_the_source() {
        use std::error::Error as _;
        let error = ConfigError::Key {
            origin: Origin::Environment,
            error: KeyError::PrivateKey,
        };
        assert_eq!(
            error.source().unwrap().to_string(),
            KeyError::PrivateKey.to_string()
        );
        assert!(ConfigError::NoHeaders.source().is_none());
    }
}
