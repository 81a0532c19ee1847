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
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The public key is missing or unusable.
    Key {
        /// Where the key came from.
        origin: Origin,
        /// What is wrong with it.
        error: KeyError,
    },
    /// The namespace id is needed and missing or empty.
    MissingNamespaceId {
        /// Where it was looked for.
        origin: Origin,
    },
    /// The container id is needed and missing or empty.
    MissingContainerId {
        /// Where it was looked for.
        origin: Origin,
    },
    /// An environment variable holds bytes that are not UTF-8.
    NotUnicode {
        /// The variable.
        variable: &'static str,
    },
    /// A configured header name is not a valid HTTP header name.
    InvalidHeaderName {
        /// The name as given.
        name: String,
    },
    /// A verifier must read at least one header.
    NoHeaders,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key { origin, error } => {
                let key = match origin {
                    Origin::Environment => "`SCW_PUBLIC_KEY`",
                    Origin::Builder => "the configured public key",
                };
                write!(f, "{key} cannot be used: {error}")
            }
            Self::MissingNamespaceId { origin } => {
                let id = match origin {
                    Origin::Environment => "`SCW_NAMESPACE_ID`",
                    Origin::Builder => "the builder's `namespace_id`",
                };
                write!(
                    f,
                    "the namespace id is needed to check tokens but {id} is unset or empty"
                )
            }
            Self::MissingContainerId { origin } => {
                let id = match origin {
                    Origin::Environment => "`SCW_APPLICATION_ID`",
                    Origin::Builder => "the builder's `container_id`",
                };
                write!(
                    f,
                    "the container id is needed to check tokens but {id} is unset or empty"
                )
            }
            Self::NotUnicode { variable } => write!(f, "`{variable}` is not valid UTF-8"),
            Self::InvalidHeaderName { name } => {
                write!(f, "`{name}` is not a valid HTTP header name")
            }
            Self::NoHeaders => f.write_str("no header to read the token from"),
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
