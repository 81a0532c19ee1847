//! Misconfiguration: what stops a verifier from checking tokens at all.

use std::fmt;

use crate::key::KeyError;

/// Why the verifier cannot check tokens. Protected requests answer 500 while it lasts.
///
/// Messages name the setting at fault and never contain a key or a token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The public key is missing or unusable.
    Key {
        /// Where the key came from: `` `SCW_PUBLIC_KEY` `` or `the configured public key`.
        origin: &'static str,
        /// What is wrong with it.
        error: KeyError,
    },
    /// The namespace id is needed and missing or empty.
    MissingNamespaceId {
        /// Where it was looked for.
        origin: &'static str,
    },
    /// The container id is needed and missing or empty.
    MissingContainerId {
        /// Where it was looked for.
        origin: &'static str,
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
            Self::Key { origin, error } => write!(f, "{origin} cannot be used: {error}"),
            Self::MissingNamespaceId { origin } => {
                write!(
                    f,
                    "the namespace id is needed to check tokens but {origin} is unset or empty"
                )
            }
            Self::MissingContainerId { origin } => {
                write!(
                    f,
                    "the container id is needed to check tokens but {origin} is unset or empty"
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
