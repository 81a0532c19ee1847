//! utoipa 6: the security schemes, and the refusals of protected operations, as a `Modify`
//! addon.
//!
//! utoipa documents what `#[utoipa::path(..)]` says, so name the schemes there, on the same
//! handler as `#[scw_private]` (the order of the two attributes does not matter: utoipa
//! reads the function, the check is added to it). [`SecuritySchemes`] then declares every
//! scheme the document names and adds the `400`, `401`, `403` and `500` a protected operation
//! may answer to each operation that requires one of them:
//!
//! ```
//! # #[cfg(feature = "axum-0_8")] {
//! use scw_private::openapi::utoipa_6::SecuritySchemes;
//! use scw_private::{Claims, scw_private};
//! use utoipa::OpenApi as _;
//!
//! #[derive(utoipa::OpenApi)]
//! #[openapi(paths(private, admin), modifiers(&SecuritySchemes))]
//! struct Api;
//!
//! /// Who called.
//! #[utoipa::path(get, path = "/private", security(("scw_x_auth_token" = []), ("scw_bearer" = [])))]
//! #[scw_private(container)]
//! async fn private(claims: Claims) -> String {
//!     format!("{:?}", claims.container_id())
//! }
//!
//! /// A header of its own: its scheme is `header_scheme("X-Admin-Token")`.
//! #[utoipa::path(get, path = "/admin", security(("scw_header.x-admin-token" = [])))]
//! #[scw_private(header = "X-Admin-Token")]
//! async fn admin() -> &'static str {
//!     "admin"
//! }
//!
//! let document = serde_json::to_value(Api::openapi()).unwrap();
//! let schemes = &document["components"]["securitySchemes"];
//! assert_eq!(schemes["scw_header.x-admin-token"]["name"], "x-admin-token");
//! let responses = &document["paths"]["/private"]["get"]["responses"];
//! assert!(["400", "401", "403", "500"].iter().all(|status| responses[status].is_object()));
//! # }
//! ```
//!
//! utoipa's `security(..)` takes string literals, so the constants cannot be used there: the
//! names are `"scw_x_auth_token"` ([`X_AUTH_TOKEN`](super::X_AUTH_TOKEN)), `"scw_bearer"`
//! ([`BEARER`](super::BEARER)) and, for a policy's own header, `"scw_header."` followed by the
//! header's name in lower case ([`header_scheme`](super::header_scheme)).

use std::collections::BTreeSet;

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr, Response};

/// Declares the security schemes the document names ([`X_AUTH_TOKEN`](super::X_AUTH_TOKEN),
/// [`BEARER`](super::BEARER), and one per other header named as
/// [`header_scheme`](super::header_scheme) names it), and adds to each operation that requires
/// one of them the `400`, `401`, `403` and `500` it may answer, where the operation does not
/// describe them itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let mut headers = BTreeSet::new();
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                let schemes = scheme_names(operation);
                if !schemes.iter().any(|scheme| super::is_ours(scheme)) {
                    continue;
                }
                headers.extend(
                    schemes
                        .into_iter()
                        .filter(|s| super::header_of(s).is_some()),
                );
                for (status, description) in super::REFUSALS {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| RefOr::T(Response::new(description)));
                }
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            super::X_AUTH_TOKEN,
            api_key("X-Auth-Token", super::X_AUTH_TOKEN_DESCRIPTION),
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
        for scheme in &headers {
            let header = super::header_of(scheme).unwrap_or_default();
            components.add_security_scheme(scheme, api_key(header, super::HEADER_DESCRIPTION));
        }
    }
}

fn api_key(header: &str, description: &str) -> SecurityScheme {
    SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
        header,
        description,
    )))
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

/// The schemes an operation's security requirements name. utoipa keeps a requirement's map
/// private; its serialized form is the map itself.
fn scheme_names(operation: &Operation) -> Vec<String> {
    operation
        .security
        .iter()
        .flatten()
        .filter_map(|requirement| serde_json::to_value(requirement).ok())
        .filter_map(|value| match value {
            serde_json::Value::Object(map) => Some(map.into_iter().map(|(name, _)| name)),
            _ => None,
        })
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use utoipa::Modify as _;
    use utoipa::openapi::OpenApiBuilder;
    use utoipa::openapi::path::{Operation, PathItem};

    use super::*;

    fn operation(security: &[&str]) -> Operation {
        let mut operation = Operation::new();
        operation.security = Some(
            security
                .iter()
                .map(|scheme| {
                    utoipa::openapi::security::SecurityRequirement::new::<_, _, String>(*scheme, [])
                })
                .collect(),
        );
        operation
    }

    #[test]
    fn protected_operations_get_their_refusals_and_their_header_s_scheme() {
        let mut paths = utoipa::openapi::path::PathsBuilder::new().build();
        let mut admin = PathItem::default();
        admin.get = Some(operation(&["scw_header.x-admin-token"]));
        admin.post = Some(operation(&["scw_x_auth_token", "scw_bearer"]));
        let mut other = PathItem::default();
        other.get = Some(operation(&["someone_else_s"]));
        other.put = Some(Operation::new());
        paths.paths.insert("/admin".to_owned(), admin);
        paths.paths.insert("/other".to_owned(), other);
        let mut api = OpenApiBuilder::new().paths(paths).build();
        SecuritySchemes.modify(&mut api);
        let document = serde_json::to_value(&api).unwrap();
        for method in ["get", "post"] {
            let responses = &document["paths"]["/admin"][method]["responses"];
            for status in ["400", "401", "403", "500"] {
                assert!(
                    responses[status].is_object(),
                    "{method} {status}: {document}"
                );
            }
        }
        for method in ["get", "put"] {
            let responses = &document["paths"]["/other"][method]["responses"];
            assert!(responses.get("401").is_none(), "{method}: {document}");
        }
        let schemes = &document["components"]["securitySchemes"];
        assert_eq!(schemes["scw_header.x-admin-token"]["name"], "x-admin-token");
        assert!(schemes.get("someone_else_s").is_none());
    }

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
