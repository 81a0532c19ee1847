//! Misconfiguration: what stops a verifier from checking tokens at all.

use std::fmt;

use crate::verification::key::KeyError;

/// Where a setting came from, so that a message names the right one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// The platform's variable (`SCW_PUBLIC_KEY`, ...), from the environment or a lookup.
    Environment,
    /// A [`VerifierBuilder`](crate::VerifierBuilder) method.
    Builder,
    /// A [`Policy`](crate::Policy) method, or an argument of `#[scw_private]`.
    Policy,
}

/// Which of the container's two ids a message is about.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Id {
    Namespace,
    Container,
}

impl Id {
    /// The one rule for an id, wherever it comes from: not empty (a token's empty id means
    /// "any", so an empty one here could only ever grant nothing, or everything), and without
    /// white space around it (no platform id has any, so every token would be refused with
    /// 403 while preflight said all was well).
    pub(crate) fn check(self, id: &str, origin: Origin) -> Result<(), ConfigError> {
        if id.is_empty() {
            Err(match self {
                Self::Namespace => ConfigError::MissingNamespaceId { origin },
                Self::Container => ConfigError::MissingContainerId { origin },
            })
        } else if id.trim() != id {
            Err(match self {
                Self::Namespace => ConfigError::PaddedNamespaceId { origin },
                Self::Container => ConfigError::PaddedContainerId { origin },
            })
        } else {
            Ok(())
        }
    }
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
    /// The namespace id has white space around it: no token would ever match it.
    #[non_exhaustive]
    PaddedNamespaceId {
        /// Where it came from.
        origin: Origin,
    },
    /// The container id has white space around it: no token would ever match it.
    #[non_exhaustive]
    PaddedContainerId {
        /// Where it came from.
        origin: Origin,
    },
    /// A [`Policy`](crate::Policy) combines two options that `#[scw_private]` refuses to
    /// combine at compile time, named here as the attribute's arguments: `platform_iam` with
    /// `namespace` or `container` (the platform's word names no namespace or container), or
    /// `namespace` with `container_id`. Every route with such a policy answers 500.
    #[non_exhaustive]
    ConflictingPolicy {
        /// The first option, as the attribute's argument.
        first: &'static str,
        /// The option it cannot go with.
        second: &'static str,
    },
    /// A gRPC method carries `#[scw_private]`, but its call reached it without the check that
    /// runs before a call's message is read: its service was not served through the piece
    /// that enforces the methods' policies. Its calls are refused until it is.
    #[non_exhaustive]
    UncheckedMethod {
        /// The method's name.
        method: &'static str,
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
                    Origin::Builder | Origin::Policy => "the configured public key",
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
                let id = namespace_id_source(*origin);
                write!(
                    f,
                    "the namespace id is needed to check tokens but {id} is unset or empty; \
                     set it, or name the namespace in the route (`namespace_id = \"..\"`)"
                )
            }
            Self::MissingContainerId { origin } => {
                let id = container_id_source(*origin);
                write!(
                    f,
                    "the container id is needed to check tokens but {id} is unset or empty; \
                     set it, name the container in the route (`container_id = \"..\"`), or \
                     accept namespace tokens only (`namespace`)"
                )
            }
            Self::PaddedNamespaceId { origin } => write!(
                f,
                "{} has white space around it, so no token can match it; remove the white space",
                namespace_id_source(*origin)
            ),
            Self::PaddedContainerId { origin } => write!(
                f,
                "{} has white space around it, so no token can match it; remove the white space",
                container_id_source(*origin)
            ),
            Self::ConflictingPolicy { first, second } => write!(
                f,
                "a policy cannot have both `{first}` and `{second}` (`#[scw_private]` refuses \
                 them at compile time), so its routes answer 500; remove one"
            ),
            Self::UncheckedMethod { method } => write!(
                f,
                "the method `{method}` carries `#[scw_private]`, but its call was not checked \
                 before its message was read, so it is refused; serve its service through \
                 `scw_private::tonic_0_14::protect(service, XServer::new)`"
            ),
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

/// Where a namespace id was read, as a message names it.
fn namespace_id_source(origin: Origin) -> &'static str {
    match origin {
        Origin::Environment => "`SCW_NAMESPACE_ID`",
        Origin::Builder => "the builder's `namespace_id`",
        Origin::Policy => "the policy's `namespace_id`",
    }
}

/// Where a container id was read, as a message names it.
fn container_id_source(origin: Origin) -> &'static str {
    match origin {
        Origin::Environment => "`SCW_APPLICATION_ID`",
        Origin::Builder => "the builder's `container_id`",
        Origin::Policy => "the policy's `container_id`",
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
