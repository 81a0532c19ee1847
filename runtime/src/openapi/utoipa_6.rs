//! utoipa 6: the security schemes as a `Modify` addon.
//!
//! ```
//! use scw_private::openapi::utoipa_6::SecuritySchemes;
//! use utoipa::OpenApi as _;
//!
//! #[derive(utoipa::OpenApi)]
//! #[openapi(paths(private), modifiers(&SecuritySchemes))]
//! struct Api;
//!
//! /// Who called.
//! #[utoipa::path(get, path = "/private", security(("scw_x_auth_token" = []), ("scw_bearer" = [])))]
//! async fn private() -> &'static str {
//!     "only a token for this container gets here"
//! }
//!
//! let document = Api::openapi();
//! let schemes = &document.components.unwrap().security_schemes;
//! assert!(schemes.contains_key(scw_private::openapi::X_AUTH_TOKEN));
//! assert!(schemes.contains_key(scw_private::openapi::BEARER));
//! ```
//!
//! utoipa's `security(..)` takes string literals; the names are
//! [`X_AUTH_TOKEN`](super::X_AUTH_TOKEN) (`"scw_x_auth_token"`) and
//! [`BEARER`](super::BEARER) (`"scw_bearer"`).

use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

/// Declares the two security schemes ([`X_AUTH_TOKEN`](super::X_AUTH_TOKEN),
/// [`BEARER`](super::BEARER)) in the document's components.
#[derive(Clone, Copy, Debug, Default)]
pub struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            super::X_AUTH_TOKEN,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Auth-Token",
                super::X_AUTH_TOKEN_DESCRIPTION,
            ))),
        );
        components.add_security_scheme(
            super::BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(super::BEARER_DESCRIPTION))
                    .build(),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use utoipa::Modify as _;
    use utoipa::openapi::OpenApiBuilder;

    use super::*;

    #[test]
    fn declares_both_schemes() {
        let mut api = OpenApiBuilder::new().build();
        SecuritySchemes.modify(&mut api);
        let document = serde_json::to_value(&api).unwrap();
        let schemes = &document["components"]["securitySchemes"];
        assert_eq!(
            schemes["scw_x_auth_token"],
            serde_json::json!({
                "type": "apiKey", "in": "header", "name": "X-Auth-Token",
                "description": super::super::X_AUTH_TOKEN_DESCRIPTION
            })
        );
        assert_eq!(
            schemes["scw_bearer"],
            serde_json::json!({
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": super::super::BEARER_DESCRIPTION
            })
        );
    }
}
