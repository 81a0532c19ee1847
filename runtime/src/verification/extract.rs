//! Finding the credential in a request's headers: a token to verify, or the secret key of an
//! IAM API key, which only the platform's edge can check.

use http::HeaderName;

use crate::verification::rejection::{Reason, Rejection};

/// The longest header value read as a token. Longer values are refused before any decoding.
pub(crate) const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Read access to a request's headers, so any HTTP library can be verified.
///
/// Implemented for `http::HeaderMap` (axum, hyper, tower) and, with the `actix-web-4` feature,
/// for actix-web's header map. Names come parsed, once per verifier, so a lookup does not
/// parse them again on every request.
///
/// ```
/// use http::HeaderName;
/// use scw_private::RequestHeaders;
///
/// /// Headers as a list of pairs, as a small HTTP library might keep them.
/// struct Pairs(Vec<(String, Vec<u8>)>);
///
/// impl RequestHeaders for Pairs {
///     fn header_values<'a>(&'a self, name: &HeaderName) -> impl Iterator<Item = &'a [u8]> {
///         let name = name.as_str().to_owned();
///         self.0
///             .iter()
///             .filter(move |(n, _)| n.eq_ignore_ascii_case(&name))
///             .map(|(_, value)| value.as_slice())
///     }
/// }
/// ```
pub trait RequestHeaders {
    /// Every value of the header `name` (matched case-insensitively), in the order received.
    fn header_values<'a>(&'a self, name: &HeaderName) -> impl Iterator<Item = &'a [u8]>;
}

impl RequestHeaders for http::HeaderMap {
    fn header_values<'a>(&'a self, name: &HeaderName) -> impl Iterator<Item = &'a [u8]> {
        self.get_all(name)
            .into_iter()
            .map(http::HeaderValue::as_bytes)
    }
}

impl<T: RequestHeaders + ?Sized> RequestHeaders for &T {
    fn header_values<'a>(&'a self, name: &HeaderName) -> impl Iterator<Item = &'a [u8]> {
        (**self).header_values(name)
    }
}

/// What a request carries in its token headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Credential<'a> {
    /// A token to verify (whether it is a well-formed JWT is the verifier's business).
    Token(&'a str),
    /// Only the secret key of an IAM API key: the platform's credential, which cannot be
    /// verified here. The key itself is not kept: it is a real secret.
    IamKey,
    /// No credential at all.
    Nothing,
}

impl<'a> Credential<'a> {
    /// The token to verify, or the refusal for a request that has none.
    pub(crate) fn token(self) -> Result<&'a str, Rejection> {
        match self {
            Self::Token(token) => Ok(token),
            Self::IamKey => Err(Rejection::new(Reason::IamKey)),
            Self::Nothing => Err(Rejection::new(Reason::NoToken)),
        }
    }
}

/// Takes the one credential a request carries in the headers `names`.
///
/// `Authorization` must use the `Bearer` scheme (case-insensitive; other schemes are not a
/// token); any other header holds a raw token or `Bearer <token>`. A value shaped like a UUID
/// is an IAM secret key wherever it is found: the platform's edge reads it in `X-Auth-Token`,
/// and it is never a conflict with a token elsewhere, which is then verified as usual. The
/// same token sent twice is fine; two different ones are an `invalid_request`.
/// [`Credential::token`] turns the result into the token or the refusal.
pub(crate) fn extract<'a, H>(
    headers: &'a H,
    names: &[HeaderName],
) -> Result<Credential<'a>, Rejection>
where
    H: RequestHeaders + ?Sized,
{
    let mut token: Option<&'a str> = None;
    let mut iam_key = false;
    for name in names {
        for value in headers.header_values(name) {
            match parse_value(name, value)? {
                None => {}
                Some(found) if is_iam_key(found) => iam_key = true,
                Some(found) => match token {
                    Some(earlier) if earlier != found => {
                        return Err(Rejection::new(Reason::SeveralTokens));
                    }
                    _ => token = Some(found),
                },
            }
        }
    }
    match (token, iam_key) {
        (Some(token), _) => Ok(Credential::Token(token)),
        (None, true) => Ok(Credential::IamKey),
        (None, false) => Ok(Credential::Nothing),
    }
}

/// The secret key of an IAM API key: a UUID, `8-4-4-4-12` hexadecimal digits in any case.
/// A JWT always has dots, so the two never overlap.
pub(crate) fn is_iam_key(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn parse_value<'a>(name: &HeaderName, value: &'a [u8]) -> Result<Option<&'a str>, Rejection> {
    if value.len() > MAX_TOKEN_BYTES {
        return Err(Rejection::new(Reason::HeaderTooLarge));
    }
    // A token is ASCII (RFC 6750's b64token); anything else is not worth guessing at. The
    // b64token check proves it for a token; what else a header holds is checked here.
    let not_ascii = || Rejection::new(Reason::HeaderNotAscii);
    let value = trim_spaces_and_tabs(value);
    let token = match strip_bearer(value) {
        // `credentials = "Bearer" 1*SP b64token`: a tab after the scheme is malformed, not
        // another scheme.
        Some([b'\t', ..]) => return Err(Rejection::new(Reason::HeaderMalformed)),
        Some(rest) => trim_start_spaces(rest),
        // `Authorization: Basic ...` and the like carry no bearer token.
        None if name == http::header::AUTHORIZATION && !value.is_empty() => {
            return if value.is_ascii() {
                Ok(None)
            } else {
                Err(not_ascii())
            };
        }
        None => value,
    };
    if token.is_empty() {
        return Err(Rejection::new(Reason::HeaderEmpty));
    }
    if !is_b64token(token) {
        return Err(if value.is_ascii() {
            Rejection::new(Reason::HeaderMalformed)
        } else {
            not_ascii()
        });
    }
    // A b64token is ASCII: this cannot fail, and costs one fast pass.
    std::str::from_utf8(token)
        .map(Some)
        .map_err(|_| not_ascii())
}

/// What follows the `Bearer` scheme (in any case), or `None` when the value has another
/// scheme or none.
fn strip_bearer(value: &[u8]) -> Option<&[u8]> {
    const BEARER: &[u8] = b"bearer";
    let (scheme, rest) = value.split_at_checked(BEARER.len())?;
    let ends_there = matches!(rest.first(), None | Some(b' ' | b'\t'));
    (ends_there && scheme.eq_ignore_ascii_case(BEARER)).then_some(rest)
}

/// `value` without the spaces and tabs HTTP allows around a field value.
fn trim_spaces_and_tabs(value: &[u8]) -> &[u8] {
    let blank = |b: &u8| matches!(b, b' ' | b'\t');
    let start = value.iter().position(|b| !blank(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |end| end + 1);
    &value[start..end]
}

/// `value` without the spaces after an auth scheme (`1*SP`).
fn trim_start_spaces(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|&b| b != b' ').unwrap_or(value.len());
    &value[start..]
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750 section 2.1).
///
/// Every byte of a token is checked on every request, so the check is a branch-free reduction
/// the compiler turns into vector instructions, rather than a loop that stops at the first
/// bad byte.
fn is_b64token(token: &[u8]) -> bool {
    let padding = token.iter().rev().take_while(|&&b| b == b'=').count();
    let body = &token[..token.len() - padding];
    !body.is_empty()
        && body
            .iter()
            .fold(true, |valid, &b| valid & is_b64token_byte(b))
}

#[inline(always)]
fn is_b64token_byte(b: u8) -> bool {
    // `| 0x20` folds `A..=Z` onto `a..=z` and sends no other byte there.
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    let digit = b.wrapping_sub(b'0') < 10;
    letter
        | digit
        | (b == b'-')
        | (b == b'.')
        | (b == b'_')
        | (b == b'~')
        | (b == b'+')
        | (b == b'/')
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue};

    use super::*;
    use crate::verification::rejection::RejectionKind;
    use crate::verification::verifier::default_headers;

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    fn kind(pairs: &[(&'static str, &[u8])]) -> RejectionKind {
        extract(&headers(pairs), &default_headers())
            .and_then(Credential::token)
            .unwrap_err()
            .kind()
    }

    fn token(pairs: &[(&'static str, &[u8])]) -> Result<String, RejectionKind> {
        match extract(&headers(pairs), &default_headers()) {
            Ok(Credential::Token(token)) => Ok(token.to_owned()),
            Ok(other) => panic!("{other:?}, not a token"),
            Err(rejection) => Err(rejection.kind()),
        }
    }

    const IAM_KEY: &[u8] = b"3f1e6c2a-9b4d-4e8f-a1b2-c3d4e5f60718";

    #[test]
    fn a_uuid_is_an_iam_key_in_any_case_and_in_any_token_header() {
        assert!(is_iam_key("3f1e6c2a-9b4d-4e8f-a1b2-c3d4e5f60718"));
        assert!(is_iam_key("3F1E6C2A-9B4D-4E8F-A1B2-C3D4E5F60718"));
        for not in [
            "3f1e6c2a-9b4d-4e8f-a1b2-c3d4e5f6071",
            "3f1e6c2a-9b4d-4e8f-a1b2-c3d4e5f607189",
            "3f1e6c2a9b4d-4e8f-a1b2-c3d4e5f60718-",
            "3f1e6c2a-9b4d-4e8f-a1b2-c3d4e5f6071g",
            "3f1e6c2a.9b4d.4e8f.a1b2.c3d4e5f60718",
            "",
        ] {
            assert!(!is_iam_key(not), "{not}");
        }
        for pairs in [
            &[("x-auth-token", IAM_KEY)][..],
            &[(
                "authorization",
                b"Bearer 3F1E6C2A-9B4D-4E8F-A1B2-C3D4E5F60718",
            )],
            &[("x-auth-token", IAM_KEY), ("x-auth-token", IAM_KEY)],
        ] {
            assert_eq!(
                extract(&headers(pairs), &default_headers()),
                Ok(Credential::IamKey),
                "{pairs:?}"
            );
        }
        let custom = headers(&[("x-token", IAM_KEY)]);
        assert_eq!(
            extract(&custom, &[HeaderName::from_static("x-token")]),
            Ok(Credential::IamKey)
        );
    }

    #[test]
    fn an_iam_key_beside_a_token_is_no_conflict_the_token_is_what_counts() {
        assert_eq!(
            token(&[
                ("x-auth-token", IAM_KEY),
                ("authorization", b"Bearer a.b.c")
            ]),
            Ok("a.b.c".to_owned())
        );
        assert_eq!(
            token(&[
                ("authorization", b"Bearer a.b.c"),
                ("x-auth-token", IAM_KEY)
            ]),
            Ok("a.b.c".to_owned())
        );
        // Two different tokens are still a conflict, IAM key or not.
        assert_eq!(
            kind(&[
                ("x-auth-token", IAM_KEY),
                ("authorization", b"Bearer a.b.c"),
                ("x-auth-token", b"d.e.f"),
            ]),
            RejectionKind::InvalidRequest
        );
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
                token(&[("authorization", value.as_bytes())]),
                Ok("a.b.c".to_owned())
            );
        }
        assert_eq!(token(&[("x-auth-token", b"a.b.c")]), Ok("a.b.c".to_owned()));
        assert_eq!(
            token(&[("x-auth-token", b"Bearer a.b.c")]),
            Ok("a.b.c".to_owned())
        );
    }

    #[test]
    fn a_reference_to_headers_reads_the_same_headers() {
        let map = headers(&[("x-auth-token", b"a.b.c")]);
        let by_reference: &http::HeaderMap = &map;
        assert_eq!(
            extract(&by_reference, &default_headers()).unwrap(),
            Credential::Token("a.b.c")
        );
    }

    #[test]
    fn bearer_is_a_whole_word() {
        // A raw token that merely starts with the letters `bearer` is read whole...
        assert_eq!(
            token(&[("x-auth-token", b"Bearerish.a.b")]),
            Ok("Bearerish.a.b".to_owned())
        );
        // ...and in `Authorization` it is another scheme, so no bearer token at all.
        assert_eq!(
            kind(&[("authorization", b"Bearerish a.b.c")]),
            RejectionKind::MissingCredentials
        );
        assert_eq!(
            kind(&[("authorization", b"Bearer\ta.b.c")]),
            RejectionKind::InvalidRequest,
            "a tab after the scheme is malformed, not another scheme"
        );
        assert_eq!(
            kind(&[("authorization", b"Beare a.b.c")]),
            RejectionKind::MissingCredentials
        );
        assert_eq!(
            token(&[("x-auth-token", b"beare.a.b")]),
            Ok("beare.a.b".to_owned()),
            "shorter than the scheme"
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
        assert_eq!(
            token(&[
                ("authorization", b"Bearer a.b.c"),
                ("x-auth-token", b"a.b.c"),
            ]),
            Ok("a.b.c".to_owned())
        );
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
        assert_eq!(MAX_TOKEN_BYTES, 8192, "8 KiB, as documented");
        let big = vec![b'a'; 8193];
        assert_eq!(
            extract(&headers(&[("x-auth-token", &big)]), &default_headers())
                .unwrap_err()
                .reason(),
            Reason::HeaderTooLarge
        );
        let mut bearer_fits = b"Bearer ".to_vec();
        bearer_fits.resize(8192, b'a');
        assert!(
            extract(
                &headers(&[("authorization", &bearer_fits)]),
                &default_headers()
            )
            .is_ok()
        );
        let big = vec![b'a'; MAX_TOKEN_BYTES + 1];
        assert_eq!(
            kind(&[("x-auth-token", &big)]),
            RejectionKind::InvalidRequest
        );
        let fits = vec![b'a'; MAX_TOKEN_BYTES];
        assert!(extract(&headers(&[("x-auth-token", &fits)]), &default_headers()).is_ok());
    }

    #[test]
    fn a_custom_header_set_reads_only_those_headers() {
        let map = headers(&[
            ("authorization", b"Bearer a.b.c"),
            ("scw-functions-token", b"d.e.f"),
        ]);
        assert_eq!(
            extract(&map, &[HeaderName::from_static("scw-functions-token")]),
            Ok(Credential::Token("d.e.f"))
        );
    }

    #[test]
    fn padding_is_allowed_at_the_end_only() {
        assert!(is_b64token(b"abc=="));
        assert!(!is_b64token(b"a=bc"));
        assert!(!is_b64token(b"=="));
    }

    /// The branch-free byte class against the grammar spelled out, for every byte.
    #[test]
    fn the_byte_class_is_exactly_rfc_6750_s() {
        for b in 0..=u8::MAX {
            let expected = b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
            assert_eq!(is_b64token_byte(b), expected, "{b:#04x}");
        }
    }
}
