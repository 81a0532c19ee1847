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

/// What the `X-Auth-Token` scheme says to a reader of the document.
#[cfg_attr(
    not(any(feature = "aide-0_15", feature = "utoipa-6")),
    allow(dead_code)
)]
const X_AUTH_TOKEN_DESCRIPTION: &str = "A Scaleway Serverless token (a JWT issued for this \
    container or its namespace). The platform's edge also accepts the secret key of an IAM API \
    key here, on operations that trust it.";

/// What the bearer scheme says to a reader of the document.
#[cfg_attr(
    not(any(feature = "aide-0_15", feature = "utoipa-6")),
    allow(dead_code)
)]
const BEARER_DESCRIPTION: &str =
    "A Scaleway Serverless token (a JWT issued for this container or its namespace).";
