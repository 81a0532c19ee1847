//! Why a request was refused, and the RFC 6750 response that says so.

use std::fmt;

use http::{HeaderValue, StatusCode, header::WWW_AUTHENTICATE};

use crate::config::ConfigError;

/// The `realm` of every `WWW-Authenticate` challenge.
pub const REALM: &str = "scw-private";

/// The class of a refusal, which decides the status code and the RFC 6750 error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectionKind {
    /// No token in the request: 401, a bare challenge.
    MissingCredentials,
    /// The request carries its token wrongly (two different tokens, a malformed header): 400.
    InvalidRequest,
    /// The token is not valid (bad signature, expired, malformed, ...): 401.
    InvalidToken,
    /// The token is valid but does not grant this container: 403.
    InsufficientScope,
    /// The server cannot check tokens (no usable key, a missing id): 500.
    Misconfigured,
}

impl RejectionKind {
    /// The HTTP status of the response.
    pub fn status(self) -> StatusCode {
        match self {
            Self::MissingCredentials | Self::InvalidToken => StatusCode::UNAUTHORIZED,
            Self::InvalidRequest => StatusCode::BAD_REQUEST,
            Self::InsufficientScope => StatusCode::FORBIDDEN,
            Self::Misconfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `error` member of the JSON body, which is also the RFC 6750 error code for the
    /// classes the RFC defines.
    pub fn code(self) -> &'static str {
        match self {
            Self::MissingCredentials => "missing_token",
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::Misconfigured => "server_error",
        }
    }

    /// Whether the challenge carries `error=` (RFC 6750 section 3: not when credentials are
    /// simply missing).
    fn challenge_has_error(self) -> bool {
        matches!(
            self,
            Self::InvalidRequest | Self::InvalidToken | Self::InsufficientScope
        )
    }
}

impl fmt::Display for RejectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refused request: its class, a short reason a client may see, and for a misconfiguration
/// the cause, which only the logs see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    kind: RejectionKind,
    reason: &'static str,
    config: Option<ConfigError>,
}

const SERVER_REASON: &str = "the server cannot verify tokens";

impl Rejection {
    pub(crate) const fn new(kind: RejectionKind, reason: &'static str) -> Self {
        Self {
            kind,
            reason,
            config: None,
        }
    }

    pub(crate) const fn missing() -> Self {
        Self::new(
            RejectionKind::MissingCredentials,
            "the request carries no token",
        )
    }

    /// An IAM secret key where a token was needed. The reason says what to do; the key itself
    /// is never part of a refusal.
    pub(crate) const fn iam_key() -> Self {
        Self::invalid_token(
            "an IAM secret key is the platform's credential and cannot be verified here; \
             send a JWT, or protect this route with platform_iam",
        )
    }

    pub(crate) const fn invalid_request(reason: &'static str) -> Self {
        Self::new(RejectionKind::InvalidRequest, reason)
    }

    pub(crate) const fn invalid_token(reason: &'static str) -> Self {
        Self::new(RejectionKind::InvalidToken, reason)
    }

    pub(crate) fn misconfigured(error: ConfigError) -> Self {
        Self {
            kind: RejectionKind::Misconfigured,
            reason: SERVER_REASON,
            config: Some(error),
        }
    }

    /// The class of the refusal.
    pub fn kind(&self) -> RejectionKind {
        self.kind
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// A short reason, safe to show the client (`"token expired"`, `"bad signature"`, ...).
    /// For a misconfiguration it says nothing about the configuration; see
    /// [`config_error`](Self::config_error).
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// What is misconfigured, for [`RejectionKind::Misconfigured`]. For logs, not for clients.
    pub fn config_error(&self) -> Option<&ConfigError> {
        self.config.as_ref()
    }

    /// The `WWW-Authenticate` challenge (RFC 6750 section 3).
    pub fn www_authenticate(&self) -> HeaderValue {
        let challenge = if self.kind.challenge_has_error() {
            // Reasons are fixed ASCII strings without quotes or backslashes.
            format!(
                "Bearer realm=\"{REALM}\", error=\"{}\", error_description=\"{}\"",
                self.kind.code(),
                self.reason
            )
        } else {
            format!("Bearer realm=\"{REALM}\"")
        };
        HeaderValue::from_str(&challenge).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
    }

    /// The JSON body: `{"error": "...", "error_description": "..."}`.
    pub fn body(&self) -> String {
        #[derive(serde::Serialize)]
        struct Body {
            error: &'static str,
            error_description: &'static str,
        }
        serde_json::to_string(&Body {
            error: self.kind.code(),
            error_description: self.reason,
        })
        .unwrap_or_default()
    }

    /// The whole RFC 6750 response, for any framework built on `http`.
    pub fn to_response(&self) -> http::Response<String> {
        let mut response = http::Response::new(self.body());
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(WWW_AUTHENTICATE, self.www_authenticate());
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
        response
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.config {
            Some(error) => write!(f, "{}: {error}", self.kind),
            None => write!(f, "{}: {}", self.kind, self.reason),
        }
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.config.as_ref().map(|error| error as _)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::KeyError;

    #[test]
    fn statuses_and_challenges_follow_rfc_6750() {
        let missing = Rejection::missing();
        assert_eq!(missing.status(), 401);
        assert_eq!(missing.www_authenticate(), "Bearer realm=\"scw-private\"");

        let expired = Rejection::invalid_token("token expired");
        assert_eq!(expired.status(), 401);
        assert_eq!(
            expired.www_authenticate(),
            "Bearer realm=\"scw-private\", error=\"invalid_token\", error_description=\"token expired\""
        );
        assert_eq!(
            expired.body(),
            r#"{"error":"invalid_token","error_description":"token expired"}"#
        );

        assert_eq!(Rejection::invalid_request("x").status(), 400);
        assert_eq!(
            Rejection::new(RejectionKind::InsufficientScope, "x").status(),
            403
        );
    }

    #[test]
    fn a_misconfiguration_reveals_nothing_to_the_client() {
        let error = ConfigError::Key {
            origin: "`SCW_PUBLIC_KEY`",
            error: KeyError::PrivateKey,
        };
        let rejection = Rejection::misconfigured(error.clone());
        assert_eq!(rejection.status(), 500);
        let response = rejection.to_response();
        assert!(!response.body().contains("SCW_PUBLIC_KEY"));
        assert!(!response.body().contains("private"));
        assert_eq!(
            response.headers()[WWW_AUTHENTICATE],
            "Bearer realm=\"scw-private\""
        );
        assert_eq!(rejection.config_error(), Some(&error));
        assert!(
            rejection.to_string().contains("private key"),
            "the log line says why"
        );
    }
}
