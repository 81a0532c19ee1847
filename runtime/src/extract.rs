//! Finding the token in a request's headers.

use crate::rejection::Rejection;

/// The longest header value read as a token. Longer values are refused before any decoding.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Read access to a request's headers, so any HTTP library can be verified.
///
/// Implemented for `http::HeaderMap` (axum, hyper, tower) and, with the `actix-web` feature,
/// for actix-web's header map.
pub trait RequestHeaders {
    /// Every value of the header `name` (matched case-insensitively), in the order received.
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]>;
}

impl RequestHeaders for http::HeaderMap {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        self.get_all(name)
            .into_iter()
            .map(http::HeaderValue::as_bytes)
    }
}

impl<T: RequestHeaders + ?Sized> RequestHeaders for &T {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        (**self).header_values(name)
    }
}

/// Takes the one token a request carries in the headers `names`.
///
/// `Authorization` must use the `Bearer` scheme (case-insensitive; other schemes are not a
/// token); any other header holds a raw token or `Bearer <token>`. The same token sent twice is
/// fine; two different ones are an `invalid_request`.
pub(crate) fn extract<'a, H, N>(headers: &'a H, names: N) -> Result<&'a str, Rejection>
where
    H: RequestHeaders + ?Sized,
    N: IntoIterator,
    N::Item: AsRef<str>,
{
    let mut found: Option<&'a str> = None;
    for name in names {
        let name = name.as_ref();
        for value in headers.header_values(name) {
            let Some(token) = parse_value(name, value)? else {
                continue;
            };
            match found {
                Some(earlier) if earlier != token => {
                    return Err(Rejection::invalid_request(
                        "the request carries more than one token",
                    ));
                }
                _ => found = Some(token),
            }
        }
    }
    found.ok_or(Rejection::missing())
}

fn parse_value<'a>(name: &str, value: &'a [u8]) -> Result<Option<&'a str>, Rejection> {
    if value.len() > MAX_TOKEN_BYTES {
        return Err(Rejection::invalid_request("the token header is too large"));
    }
    // A token is ASCII (RFC 6750's b64token); anything else is not worth guessing at. Control
    // characters need no pass of their own: the b64token check below refuses them.
    let invalid = || Rejection::invalid_request("the token header holds invalid characters");
    if !value.is_ascii() {
        return Err(invalid());
    }
    let value = std::str::from_utf8(value).map_err(|_| invalid())?;
    let value = value.trim_matches([' ', '\t']);
    if value.is_empty() {
        return Err(Rejection::invalid_request("the token header is empty"));
    }
    let (scheme, rest) = value.split_at(value.find([' ', '\t']).unwrap_or(value.len()));
    let token = if scheme.eq_ignore_ascii_case("bearer") {
        // `credentials = "Bearer" 1*SP b64token`: a tab after the scheme is malformed, not
        // another scheme.
        if rest.starts_with('\t') {
            return Err(Rejection::invalid_request("the token header is malformed"));
        }
        rest.trim_start_matches(' ')
    } else if name.eq_ignore_ascii_case("authorization") {
        // `Authorization: Basic ...` and the like carry no bearer token.
        return Ok(None);
    } else {
        value
    };
    if token.is_empty() {
        return Err(Rejection::invalid_request("the token header is empty"));
    }
    if !is_b64token(token) {
        return Err(Rejection::invalid_request("the token header is malformed"));
    }
    Ok(Some(token))
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750 section 2.1).
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue};

    use super::*;
    use crate::rejection::RejectionKind;

    const DEFAULT: [&str; 2] = ["authorization", "x-auth-token"];

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    fn kind(pairs: &[(&'static str, &[u8])]) -> RejectionKind {
        extract(&headers(pairs), DEFAULT).unwrap_err().kind()
    }

    #[test]
    fn reads_bearer_with_any_scheme_case_and_x_auth_token() {
        for value in [
            "Bearer a.b.c",
            "bearer a.b.c",
            "BEARER   a.b.c",
            "  Bearer a.b.c  ",
        ] {
            assert_eq!(
                extract(&headers(&[("authorization", value.as_bytes())]), DEFAULT),
                Ok("a.b.c")
            );
        }
        assert_eq!(
            extract(&headers(&[("x-auth-token", b"a.b.c")]), DEFAULT),
            Ok("a.b.c")
        );
        assert_eq!(
            extract(&headers(&[("x-auth-token", b"Bearer a.b.c")]), DEFAULT),
            Ok("a.b.c")
        );
    }

    #[test]
    fn missing_when_no_header_or_another_scheme() {
        assert_eq!(kind(&[]), RejectionKind::MissingCredentials);
        assert_eq!(
            kind(&[("authorization", b"Basic dXNlcjpwYXNz")]),
            RejectionKind::MissingCredentials
        );
        assert_eq!(
            kind(&[("scw-functions-token", b"a.b.c")]),
            RejectionKind::MissingCredentials
        );
    }

    #[test]
    fn two_different_tokens_are_an_invalid_request_but_the_same_twice_is_not() {
        assert_eq!(
            kind(&[("x-auth-token", b"a.b.c"), ("x-auth-token", b"d.e.f")]),
            RejectionKind::InvalidRequest
        );
        assert_eq!(
            kind(&[
                ("authorization", b"Bearer a.b.c"),
                ("x-auth-token", b"d.e.f")
            ]),
            RejectionKind::InvalidRequest
        );
        let same = headers(&[
            ("authorization", b"Bearer a.b.c"),
            ("x-auth-token", b"a.b.c"),
        ]);
        assert_eq!(extract(&same, DEFAULT), Ok("a.b.c"));
    }

    #[test]
    fn malformed_values_are_invalid_requests() {
        for value in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Bearer a b",
            b"Bearer a,b",
            b"Bearer =",
            b"Bearer \xc3\xa9",
        ] {
            assert_eq!(
                kind(&[("authorization", value)]),
                RejectionKind::InvalidRequest,
                "{value:?}"
            );
        }
        for value in [&b""[..], b"   ", b"a\"b", b"Bearer"] {
            assert_eq!(
                kind(&[("x-auth-token", value)]),
                RejectionKind::InvalidRequest,
                "{value:?}"
            );
        }
    }

    #[test]
    fn oversized_values_are_refused_before_decoding() {
        let big = vec![b'a'; MAX_TOKEN_BYTES + 1];
        assert_eq!(
            kind(&[("x-auth-token", &big)]),
            RejectionKind::InvalidRequest
        );
        let fits = vec![b'a'; MAX_TOKEN_BYTES];
        assert!(extract(&headers(&[("x-auth-token", &fits)]), DEFAULT).is_ok());
    }

    #[test]
    fn a_custom_header_set_reads_only_those_headers() {
        let map = headers(&[
            ("authorization", b"Bearer a.b.c"),
            ("scw-functions-token", b"d.e.f"),
        ]);
        assert_eq!(extract(&map, ["scw-functions-token"]), Ok("d.e.f"));
    }

    #[test]
    fn padding_is_allowed_at_the_end_only() {
        assert!(is_b64token("abc=="));
        assert!(!is_b64token("a=bc"));
        assert!(!is_b64token("=="));
    }
}
