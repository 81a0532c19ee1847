//! Refusals in gRPC's own words.
//!
//! A gRPC client reads a call's outcome from `grpc-status`, not from the HTTP status: given an
//! HTTP 401 and a JSON body it infers a code and loses the reason ("Received http2 header with
//! status: 401"), and a 500 comes out `UNKNOWN`. So a refused gRPC call gets what a gRPC
//! server answers its own early errors with: a *trailers-only* response (HTTP 200, the status
//! in the headers, no body), as the gRPC over HTTP/2 protocol defines it. This needs no gRPC
//! library: the tower layer answers gRPC calls this way, and `tonic-0_14` builds on it.

use http::HeaderValue;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};

use crate::{Rejection, RejectionKind};

/// The header that carries a gRPC status code.
const GRPC_STATUS: &str = "grpc-status";
/// The header that carries its message, percent-encoded.
const GRPC_MESSAGE: &str = "grpc-message";

/// The gRPC status codes a refusal maps to (the gRPC spec's `doc/statuscodes.md`).
pub(crate) mod code {
    pub(crate) const INVALID_ARGUMENT: i32 = 3;
    pub(crate) const PERMISSION_DENIED: i32 = 7;
    pub(crate) const INTERNAL: i32 = 13;
    pub(crate) const UNAUTHENTICATED: i32 = 16;
}

impl RejectionKind {
    /// The gRPC status code a refused gRPC call gets: `UNAUTHENTICATED` (16) for a missing or
    /// invalid token, `INVALID_ARGUMENT` (3) for an invalid request, `PERMISSION_DENIED` (7)
    /// for insufficient scope, `INTERNAL` (13) for a misconfigured server.
    ///
    /// ```
    /// use scw_private::RejectionKind;
    ///
    /// assert_eq!(RejectionKind::InvalidToken.grpc_code(), 16); // UNAUTHENTICATED
    /// assert_eq!(RejectionKind::InsufficientScope.grpc_code(), 7); // PERMISSION_DENIED
    /// ```
    pub fn grpc_code(self) -> i32 {
        match self {
            Self::MissingCredentials | Self::InvalidToken => code::UNAUTHENTICATED,
            Self::InvalidRequest => code::INVALID_ARGUMENT,
            Self::InsufficientScope => code::PERMISSION_DENIED,
            Self::Misconfigured => code::INTERNAL,
        }
    }
}

impl Rejection {
    /// The trailers-only gRPC response for a refused gRPC call: HTTP 200, `content-type:
    /// application/grpc`, `grpc-status` ([`RejectionKind::grpc_code`]), `grpc-message` (the
    /// [`reason`](Self::reason)'s text, percent-encoded as the gRPC spec says) and
    /// `cache-control: no-store`. Never a token or a key.
    ///
    /// It has no body: a trailers-only response ends with its headers, so give it the empty
    /// body of your framework (`response.map(|()| Body::empty())`).
    ///
    /// ```
    /// use scw_private::{Policy, Verifier};
    ///
    /// # let pem = include_str!("../../../test-keys/rsa2048-a.pkcs1.pem");
    /// let verifier = Verifier::builder()
    ///     .public_key_pem(pem)
    ///     .namespace_id("11111111-1111-1111-1111-111111111111")
    ///     .container_id("22222222-2222-2222-2222-222222222222")
    ///     .build()?;
    /// let refusal = verifier.authorize(&http::HeaderMap::new(), &Policy::new()).unwrap_err();
    /// let response = refusal.to_grpc_response();
    /// assert_eq!(response.status(), 200);
    /// assert_eq!(response.headers()["grpc-status"], "16");
    /// assert_eq!(response.headers()["grpc-message"], "the request carries no token");
    /// assert_eq!(response.headers()["cache-control"], "no-store");
    /// # Ok::<(), scw_private::ConfigError>(())
    /// ```
    pub fn to_grpc_response(&self) -> http::Response<()> {
        let mut response = http::Response::new(());
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(GRPC_STATUS, HeaderValue::from(self.kind().grpc_code()));
        // Percent-encoded text is visible ASCII, always a valid header value.
        if let Ok(message) = HeaderValue::from_str(&percent_encode(self.reason().as_str())) {
            headers.insert(GRPC_MESSAGE, message);
        }
        response
    }
}

/// `grpc-message`'s encoding: every byte outside visible ASCII and space, and `%` itself, as
/// `%XX` (the gRPC over HTTP/2 spec, "Responses").
fn percent_encode(text: &str) -> String {
    use std::fmt::Write;
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if (0x20..=0x7e).contains(&byte) && byte != b'%' {
            encoded.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reason;

    #[test]
    fn each_class_has_its_grpc_code() {
        assert_eq!(RejectionKind::MissingCredentials.grpc_code(), 16);
        assert_eq!(RejectionKind::InvalidToken.grpc_code(), 16);
        assert_eq!(RejectionKind::InvalidRequest.grpc_code(), 3);
        assert_eq!(RejectionKind::InsufficientScope.grpc_code(), 7);
        assert_eq!(RejectionKind::Misconfigured.grpc_code(), 13);
    }

    #[test]
    fn the_response_is_trailers_only_with_the_reason() {
        let response = Rejection::new(Reason::ContainerTokenRequired).to_grpc_response();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/grpc");
        assert_eq!(response.headers()["grpc-status"], "7");
        assert_eq!(
            response.headers()["grpc-message"],
            "a container token for this container is required"
        );
        assert_eq!(response.headers()["cache-control"], "no-store");
        // Nothing of RFC 6750's HTTP answer.
        assert!(!response.headers().contains_key("www-authenticate"));
    }

    #[test]
    fn the_message_encoding_is_the_grpc_spec_s() {
        assert_eq!(percent_encode("a b~"), "a b~");
        assert_eq!(percent_encode("100%"), "100%25");
        assert_eq!(percent_encode("tab\there"), "tab%09here");
        assert_eq!(percent_encode("é\u{7f}"), "%C3%A9%7F");
    }
}
