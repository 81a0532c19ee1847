//! OpenAPI documents that say how a protected operation is called (features `aide-0_15` and
//! `utoipa-6`).
//!
//! Two security schemes describe how to send a token: [`X_AUTH_TOKEN`], an API key in the
//! `X-Auth-Token` header (the platform's documented header, which also carries an IAM secret
//! key to the platform's edge), and [`BEARER`], `Authorization: Bearer <jwt>`. A protected
//! operation requires either of them; a `public_if_env` operation also lists the empty
//! requirement, since a public container lets anyone in.
//!
//! - aide: a `#[scw_private]` handler's operation carries its requirement with no code of
//!   yours (the extractor the attribute adds documents itself); declare the schemes once with
//!   [`aide_0_15::security_schemes`].
//! - utoipa: register [`utoipa_6::SecuritySchemes`] as a `Modify` addon, and name the schemes in
//!   `#[utoipa::path(security(("scw_x_auth_token" = []), ("scw_bearer" = [])))]`.
//!
//! Each module is named after the feature that enables it and the major version it
//! integrates, as the features are: aide 0.16 will arrive as `openapi::aide_0_16` (feature
//! `aide-0_16`) in a minor release, beside `aide_0_15`, and each user moves when they choose.

#[cfg(feature = "aide-0_15")]
pub mod aide_0_15;
#[cfg(feature = "utoipa-6")]
pub mod utoipa_6;

/// The name of the security scheme for a token (or an IAM secret key) in `X-Auth-Token`.
pub const X_AUTH_TOKEN: &str = "scw_x_auth_token";

/// The name of the security scheme for `Authorization: Bearer <jwt>`.
pub const BEARER: &str = "scw_bearer";

/// What the names of the schemes for other headers start with.
const HEADER_SCHEME_PREFIX: &str = "scw_header.";

/// The name of the security scheme for a token in `header`, the header a policy reads
/// (`#[scw_private(header = "...")]`, [`Policy::header`](crate::Policy::header)): [`X_AUTH_TOKEN`]
/// for `X-Auth-Token` and [`BEARER`] for `Authorization` (in any case), otherwise
/// `scw_header.` and the header's name in lower case, which the integrations declare as an
/// API key in that header. A document never calls a protected route public.
///
/// ```
/// use scw_private::openapi::{BEARER, X_AUTH_TOKEN, header_scheme};
///
/// assert_eq!(header_scheme("X-Admin-Token"), "scw_header.x-admin-token");
/// assert_eq!(header_scheme("x-auth-token"), X_AUTH_TOKEN);
/// assert_eq!(header_scheme("Authorization"), BEARER);
/// ```
#[must_use]
pub fn header_scheme(header: &str) -> String {
    if header.eq_ignore_ascii_case("x-auth-token") {
        return X_AUTH_TOKEN.to_owned();
    }
    if header.eq_ignore_ascii_case("authorization") {
        return BEARER.to_owned();
    }
    // A component name is `[a-zA-Z0-9._-]+`; a header name may hold a few more symbols.
    let name: String = header
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '.' | '-' | '_') => c,
            _ => '_',
        })
        .collect();
    format!("{HEADER_SCHEME_PREFIX}{name}")
}

/// The header a scheme named by [`header_scheme`] stands for, if it names one of its own.
fn header_of(scheme: &str) -> Option<&str> {
    scheme
        .strip_prefix(HEADER_SCHEME_PREFIX)
        .filter(|header| !header.is_empty())
}

/// Whether a security requirement's scheme is one of this crate's.
#[cfg_attr(not(feature = "utoipa-6"), allow(dead_code))]
fn is_ours(scheme: &str) -> bool {
    scheme == X_AUTH_TOKEN || scheme == BEARER || header_of(scheme).is_some()
}

/// Every answer a protected operation may give besides its own: the RFC 6750 refusals and a
/// misconfigured server.
const REFUSALS: [(u16, &str); 4] = [
    (
        400,
        "A malformed request: two different tokens, or a header that holds no token (RFC 6750 `invalid_request`)",
    ),
    (
        401,
        "No token, or a token that is not valid here (RFC 6750 `invalid_token`)",
    ),
    (
        403,
        "A valid token that does not grant this container (RFC 6750 `insufficient_scope`)",
    ),
    (
        500,
        "The server cannot verify tokens: its configuration is wrong, and its log says why",
    ),
];

/// What the `X-Auth-Token` scheme says to a reader of the document.
#[cfg_attr(
    not(any(feature = "aide-0_15", feature = "utoipa-6")),
    allow(dead_code)
)]
const X_AUTH_TOKEN_DESCRIPTION: &str = "A Scaleway Serverless token (a JWT issued for this \
    container or its namespace). The platform's edge also accepts the secret key of an IAM API \
    key here, on operations that trust it.";

/// What a scheme for another header says to a reader of the document.
const HEADER_DESCRIPTION: &str = "A Scaleway Serverless token (a JWT issued for this container \
    or its namespace), raw or as `Bearer <token>`.";

/// What the bearer scheme says to a reader of the document.
#[cfg_attr(
    not(any(feature = "aide-0_15", feature = "utoipa-6")),
    allow(dead_code)
)]
const BEARER_DESCRIPTION: &str =
    "A Scaleway Serverless token (a JWT issued for this container or its namespace).";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_schemes_are_valid_component_names_and_keep_the_default_headers_schemes() {
        assert_eq!(header_scheme("X-Auth-Token"), X_AUTH_TOKEN);
        assert_eq!(header_scheme("X-AUTH-TOKEN"), X_AUTH_TOKEN);
        assert_eq!(header_scheme("authorization"), BEARER);
        assert_eq!(header_scheme("X-Admin-Token"), "scw_header.x-admin-token");
        assert_eq!(header_scheme("x.a_b-c9"), "scw_header.x.a_b-c9");
        assert_eq!(header_scheme("x!#$%&'*+^`|~"), "scw_header.x____________");
        assert_eq!(header_of("scw_header.x-admin-token"), Some("x-admin-token"));
        assert_eq!(header_of("scw_header."), None);
        assert_eq!(header_of(X_AUTH_TOKEN), None);
        assert!(is_ours(X_AUTH_TOKEN) && is_ours(BEARER) && is_ours("scw_header.x"));
        assert!(!is_ours("scw_header.") && !is_ours("api_key") && !is_ours("scw_bearer2"));
    }
}
