//! Why a request was refused, and the RFC 6750 response that says so.

use std::fmt;

use http::{HeaderValue, StatusCode, header::WWW_AUTHENTICATE};

use crate::verification::config::ConfigError;

// The gRPC side of `Rejection` and `RejectionKind`: their codes and trailers-only answer.
mod grpc;

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

/// Why a request was refused: one variant per refusal this crate gives, each with its class
/// ([`kind`](Self::kind)) and the short description a client sees ([`as_str`](Self::as_str)).
///
/// # What is promised
///
/// - A variant's meaning, and its class ([`kind`](Self::kind), hence the status code), do
///   not change within a major release.
/// - New variants may appear in any release (the enum is `#[non_exhaustive]`), each with a
///   class among the existing ones.
/// - The text ([`as_str`](Self::as_str)) is fixed ASCII, safe to show a client and to put in a
///   `WWW-Authenticate` challenge, and never holds a token, a key or configuration; its
///   wording may change in any release. Match on variants, not on the text.
/// - `Reason` is `Copy`, `Eq` and `Hash`, and stays so: no variant will ever carry data (a
///   text, a count, a source error). It names a cause; anything a later release learns about
///   a refusal goes on [`Rejection`], never into a variant.
///
/// ```
/// use scw_private::{Reason, RejectionKind};
///
/// assert_eq!(Reason::Expired.as_str(), "token expired");
/// assert_eq!(Reason::Expired.kind(), RejectionKind::InvalidToken);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// No token in any header the check reads.
    NoToken,
    /// Two different tokens in one request.
    SeveralTokens,
    /// A token header over 8 KiB, refused before any decoding.
    HeaderTooLarge,
    /// A token header with bytes that are not ASCII.
    HeaderNotAscii,
    /// A token header that is empty, or `Bearer` with nothing after it.
    HeaderEmpty,
    /// A token header that is not `Bearer <b64token>` or a raw b64token (RFC 6750).
    HeaderMalformed,
    /// Only the secret key of an IAM API key, which only the platform's edge can verify.
    IamKey,
    /// A token longer than any header may hold.
    TokenTooLarge,
    /// Not three base64url segments, or a JOSE header that is not a JSON object.
    Malformed,
    /// An `alg` other than `RS256`.
    UnsupportedAlgorithm,
    /// A `crit` header member, which this verifier understands none of.
    CriticalHeader,
    /// The signature does not verify with the key.
    BadSignature,
    /// The claims are not a JSON object of the expected types.
    MalformedClaims,
    /// More than one `application_claim` entry.
    SeveralEntries,
    /// `exp` has passed.
    Expired,
    /// No `exp`, where the verifier requires one.
    NoExpiry,
    /// `nbf` is still ahead.
    NotYetValid,
    /// `iat` is ahead.
    IssuedInTheFuture,
    /// `iat` is further back than the verifier's maximum token age
    /// ([`VerifierBuilder::max_token_age`](crate::VerifierBuilder::max_token_age)).
    TooOld,
    /// No `iat`, where the verifier has a maximum token age.
    NoIssueTime,
    /// `aud` holds no accepted audience.
    AudienceNotAccepted,
    /// `iss` is not an accepted issuer.
    IssuerNotAccepted,
    /// A valid token that grants neither this namespace nor this container.
    NotGranted,
    /// A valid token, but the route requires a container token for this container.
    ContainerTokenRequired,
    /// A valid token, but the route requires a namespace token for this namespace.
    NamespaceTokenRequired,
    /// The server cannot verify tokens; the cause is in [`Rejection::config_error`].
    Misconfigured,
}

impl Reason {
    /// The class of the refusal, which decides the status code.
    pub fn kind(self) -> RejectionKind {
        match self {
            Self::NoToken => RejectionKind::MissingCredentials,
            Self::SeveralTokens
            | Self::HeaderTooLarge
            | Self::HeaderNotAscii
            | Self::HeaderEmpty
            | Self::HeaderMalformed => RejectionKind::InvalidRequest,
            Self::IamKey
            | Self::TokenTooLarge
            | Self::Malformed
            | Self::UnsupportedAlgorithm
            | Self::CriticalHeader
            | Self::BadSignature
            | Self::MalformedClaims
            | Self::SeveralEntries
            | Self::Expired
            | Self::NoExpiry
            | Self::NotYetValid
            | Self::IssuedInTheFuture
            | Self::TooOld
            | Self::NoIssueTime
            | Self::AudienceNotAccepted
            | Self::IssuerNotAccepted => RejectionKind::InvalidToken,
            Self::NotGranted | Self::ContainerTokenRequired | Self::NamespaceTokenRequired => {
                RejectionKind::InsufficientScope
            }
            Self::Misconfigured => RejectionKind::Misconfigured,
        }
    }

    /// The short description a client sees in `error_description`: fixed ASCII without quotes
    /// or backslashes, so it fits a `WWW-Authenticate` challenge as it is. Never a token, a key
    /// or anything about the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoToken => "the request carries no token",
            Self::SeveralTokens => "the request carries more than one token",
            Self::HeaderTooLarge => "the token header is too large",
            Self::HeaderNotAscii => "the token header holds invalid characters",
            Self::HeaderEmpty => "the token header is empty",
            Self::HeaderMalformed => "the token header is malformed",
            Self::IamKey => {
                "an IAM secret key can only be checked by the platform's edge; \
                 send a JWT issued for this container"
            }
            Self::TokenTooLarge => "the token is too large",
            Self::Malformed => "malformed token",
            Self::UnsupportedAlgorithm => "unsupported algorithm",
            Self::CriticalHeader => "unsupported critical header",
            Self::BadSignature => "bad signature",
            Self::MalformedClaims => "malformed claims",
            Self::SeveralEntries => "the token carries more than one application_claim entry",
            Self::Expired => "token expired",
            Self::NoExpiry => "token has no expiry",
            Self::NotYetValid => "token not yet valid",
            Self::IssuedInTheFuture => "token issued in the future",
            Self::TooOld => "token too old",
            Self::NoIssueTime => "token has no issue time",
            Self::AudienceNotAccepted => "audience not accepted",
            Self::IssuerNotAccepted => "issuer not accepted",
            Self::NotGranted => "the token does not grant access to this container",
            Self::ContainerTokenRequired => "a container token for this container is required",
            Self::NamespaceTokenRequired => "a namespace token for this namespace is required",
            Self::Misconfigured => "the server cannot verify tokens",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused request: its class, a short reason a client may see, and for a misconfiguration
/// the cause, which only the logs see.
///
/// It is `Clone`, `Debug`, `Display`, [`Error`](std::error::Error) (with the
/// [`ConfigError`] as its source), `Send`, `Sync` and `'static`. It is not `PartialEq`, for
/// the reason [`ConfigError`] is not: compare [`reason`](Self::reason) instead.
#[derive(Clone, Debug)]
// Unit tests compare values; the public API promises no equality (see above).
#[cfg_attr(test, derive(PartialEq))]
pub struct Rejection {
    reason: Reason,
    config: Option<ConfigError>,
}

impl Rejection {
    /// The `realm` of every `WWW-Authenticate` challenge.
    pub const REALM: &str = "scw-private";

    pub(crate) const fn new(reason: Reason) -> Self {
        Self {
            reason,
            config: None,
        }
    }

    pub(crate) fn misconfigured(error: ConfigError) -> Self {
        Self {
            reason: Reason::Misconfigured,
            config: Some(error),
        }
    }

    /// The class of the refusal.
    pub fn kind(&self) -> RejectionKind {
        self.reason.kind()
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        self.kind().status()
    }

    /// Why: [`Reason::Expired`], [`Reason::BadSignature`], ... Its text is safe to show the
    /// client; for a misconfiguration it says nothing about the configuration (see
    /// [`config_error`](Self::config_error)).
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// What is misconfigured, for [`RejectionKind::Misconfigured`]. For logs, not for clients.
    pub fn config_error(&self) -> Option<&ConfigError> {
        self.config.as_ref()
    }

    /// The `WWW-Authenticate` challenge (RFC 6750 section 3).
    pub fn www_authenticate(&self) -> HeaderValue {
        let kind = self.kind();
        let challenge = if kind.challenge_has_error() {
            // Reasons are fixed ASCII strings without quotes or backslashes.
            format!(
                "Bearer realm=\"{}\", error=\"{}\", error_description=\"{}\"",
                Self::REALM,
                kind.code(),
                self.reason
            )
        } else {
            format!("Bearer realm=\"{}\"", Self::REALM)
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
            error: self.kind().code(),
            error_description: self.reason.as_str(),
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
            Some(error) => write!(f, "{}: {error}", self.kind()),
            None => write!(f, "{}: {}", self.kind(), self.reason),
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
    use crate::verification::config::Origin;
    use crate::verification::key::KeyError;

    #[test]
    fn statuses_and_challenges_follow_rfc_6750() {
        let missing = Rejection::new(Reason::NoToken);
        assert_eq!(missing.status(), 401);
        assert_eq!(missing.www_authenticate(), "Bearer realm=\"scw-private\"");

        let expired = Rejection::new(Reason::Expired);
        assert_eq!(expired.status(), 401);
        assert_eq!(
            expired.www_authenticate(),
            "Bearer realm=\"scw-private\", error=\"invalid_token\", error_description=\"token expired\""
        );
        assert_eq!(
            expired.body(),
            r#"{"error":"invalid_token","error_description":"token expired"}"#
        );

        assert_eq!(Rejection::new(Reason::HeaderMalformed).status(), 400);
        assert_eq!(Rejection::new(Reason::NotGranted).status(), 403);
    }

    #[test]
    fn a_misconfiguration_reveals_nothing_to_the_client() {
        let error = ConfigError::Key {
            origin: Origin::Environment,
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
        assert!(matches!(
            rejection.config_error(),
            Some(ConfigError::Key {
                error: KeyError::PrivateKey,
                ..
            })
        ));
        assert!(
            rejection.to_string().contains("private key"),
            "the log line says why"
        );
    }

    /// The one list of reasons, each with the class it is specified to have. The macro also
    /// writes an exhaustive `match` over the same list, so a new variant that is not added
    /// here is a compile error, not a reason silently left untested.
    macro_rules! every_reason {
        ($($reason:ident => $kind:ident,)*) => {{
            #[allow(dead_code)]
            fn exhaustive(reason: Reason) {
                match reason {
                    $(Reason::$reason => {})*
                }
            }
            [$((Reason::$reason, RejectionKind::$kind)),*]
        }};
    }

    /// Every reason has its specified class (hence status), and its description fits a quoted
    /// challenge as it is: no quote, no backslash, no control character, ASCII only.
    #[test]
    fn every_reason_has_its_class_and_fits_a_challenge() {
        let all = every_reason! {
            NoToken => MissingCredentials,
            SeveralTokens => InvalidRequest,
            HeaderTooLarge => InvalidRequest,
            HeaderNotAscii => InvalidRequest,
            HeaderEmpty => InvalidRequest,
            HeaderMalformed => InvalidRequest,
            IamKey => InvalidToken,
            TokenTooLarge => InvalidToken,
            Malformed => InvalidToken,
            UnsupportedAlgorithm => InvalidToken,
            CriticalHeader => InvalidToken,
            BadSignature => InvalidToken,
            MalformedClaims => InvalidToken,
            SeveralEntries => InvalidToken,
            Expired => InvalidToken,
            NoExpiry => InvalidToken,
            NotYetValid => InvalidToken,
            IssuedInTheFuture => InvalidToken,
            TooOld => InvalidToken,
            NoIssueTime => InvalidToken,
            AudienceNotAccepted => InvalidToken,
            IssuerNotAccepted => InvalidToken,
            NotGranted => InsufficientScope,
            ContainerTokenRequired => InsufficientScope,
            NamespaceTokenRequired => InsufficientScope,
            Misconfigured => Misconfigured,
        };
        let mut texts = std::collections::HashSet::new();
        for (reason, kind) in all {
            let text = reason.as_str();
            assert!(
                !text.is_empty()
                    && text
                        .bytes()
                        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' && b != b'%'),
                "{reason:?}: {text}"
            );
            assert!(
                texts.insert(text),
                "{reason:?} shares its text with another reason"
            );
            assert_eq!(reason.to_string(), text);
            assert_eq!(reason.kind(), kind, "{reason:?}");
            let rejection = Rejection::new(reason);
            assert_eq!(rejection.kind(), kind, "{reason:?}");
            assert_eq!(rejection.reason(), reason);
            let response = rejection.to_response();
            assert_eq!(response.status(), kind.status(), "{reason:?}");
            let body: serde_json::Value = serde_json::from_str(response.body()).unwrap();
            assert_eq!(body["error"], kind.code(), "{reason:?}");
            // A gRPC call's answer says the same, as it is (no `%` to encode).
            let grpc = rejection.to_grpc_response();
            assert_eq!(grpc.headers()["grpc-message"], text, "{reason:?}");
            assert_eq!(grpc.headers()["grpc-status"], kind.grpc_code().to_string());
            assert_eq!(body["error_description"], text, "{reason:?}");
            let challenge = response.headers()[WWW_AUTHENTICATE].to_str().unwrap();
            if kind == RejectionKind::MissingCredentials || kind == RejectionKind::Misconfigured {
                assert_eq!(challenge, "Bearer realm=\"scw-private\"", "{reason:?}");
            } else {
                assert_eq!(
                    challenge,
                    format!(
                        "Bearer realm=\"scw-private\", error=\"{}\", error_description=\"{text}\"",
                        kind.code()
                    )
                );
            }
        }
    }

    /// The classes as RFC 6750 and this crate's responses table define them.
    #[test]
    fn classes_have_their_status_and_code() {
        let table = [
            (RejectionKind::MissingCredentials, 401, "missing_token"),
            (RejectionKind::InvalidRequest, 400, "invalid_request"),
            (RejectionKind::InvalidToken, 401, "invalid_token"),
            (RejectionKind::InsufficientScope, 403, "insufficient_scope"),
            (RejectionKind::Misconfigured, 500, "server_error"),
        ];
        for (kind, status, code) in table {
            assert_eq!(kind.status(), status, "{kind:?}");
            assert_eq!(kind.code(), code);
            assert_eq!(kind.to_string(), code);
        }
    }

    #[test]
    fn display_and_source_say_what_the_logs_need() {
        let expired = Rejection::new(Reason::Expired);
        assert_eq!(expired.to_string(), "invalid_token: token expired");
        assert!(std::error::Error::source(&expired).is_none());
        let error = ConfigError::MissingNamespaceId {
            origin: Origin::Environment,
        };
        let misconfigured = Rejection::misconfigured(error.clone());
        assert_eq!(misconfigured.to_string(), format!("server_error: {error}"));
        let source = std::error::Error::source(&misconfigured).unwrap();
        assert_eq!(source.to_string(), error.to_string());
    }
}
