//! aide 0.15: the attribute's extractor documents the operation it protects.
//!
//! A `#[scw_private]` handler routed with aide's `api_route` gets, with no code of yours, the
//! security requirement of its policy, the `401` and `403` it may answer, and an
//! `x-scw-private` extension saying what it accepts (a JWT; an IAM secret key checked by the
//! platform's edge for `platform_iam`; anyone on a public container for `public_if_env`).
//! Declare the schemes once, when the document is finished:
//!
//! ```
//! use aide::axum::ApiRouter;
//! use aide::axum::routing::get;
//! use aide::openapi::OpenApi;
//! use scw_private::{Claims, scw_private};
//!
//! #[scw_private(container)]
//! async fn private(claims: Claims) -> String {
//!     format!("{:?}", claims.container_id())
//! }
//!
//! let mut api = OpenApi::default();
//! let _app: axum::Router = ApiRouter::new()
//!     .api_route("/private", get(private))
//!     .finish_api_with(&mut api, scw_private::openapi::aide_0_15::security_schemes);
//! let document = serde_json::to_value(&api).unwrap();
//! assert_eq!(
//!     document["paths"]["/private"]["get"]["security"],
//!     serde_json::json!([{"scw_x_auth_token": []}, {"scw_bearer": []}])
//! );
//! ```
//!
//! A route protected by the tower layer, or by the extractors alone, carries no attribute:
//! document it in one line with [`protected`] and aide's `*_with` routing functions,
//! `get_with(handler, protected(policy))`. `Claims`, `OptionalClaims` and `Access` add nothing
//! to the document themselves.
//!
//! A policy that reads its own header (`header = "X-Admin-Token"`) requires a scheme for that
//! header ([`header_scheme`](super::header_scheme)), which [`security_schemes`] declares with
//! the others, so the document never calls a protected route public.

use aide::generate::GenContext;
use aide::openapi::{
    ApiKeyLocation, Operation, ReferenceOr, Response, SecurityRequirement, SecurityScheme,
    StatusCode,
};
use aide::operation::OperationInput;
use aide::transform::{TransformOpenApi, TransformOperation};

use crate::expansion::{Guard, HandlerPolicy};
use crate::verification::policy::Policy;
use crate::verification::scope::Scope;
use crate::{Access, Claims, OptionalClaims};

/// Declares the security schemes: [`X_AUTH_TOKEN`](super::X_AUTH_TOKEN),
/// [`BEARER`](super::BEARER), and one for each other header a documented policy reads. Pass it
/// to aide's `finish_api_with` (the paths are in the document by then), or call it inside your
/// own transform.
pub fn security_schemes(mut api: TransformOpenApi<'_>) -> TransformOpenApi<'_> {
    let mut headers: Vec<String> = api
        .inner_mut()
        .operations()
        .flat_map(|(_, _, operation)| &operation.security)
        .flat_map(|requirement| requirement.keys())
        .filter(|scheme| super::header_of(scheme).is_some())
        .cloned()
        .collect();
    headers.sort();
    headers.dedup();
    let mut api = api
        .security_scheme(
            super::X_AUTH_TOKEN,
            api_key("X-Auth-Token", super::X_AUTH_TOKEN_DESCRIPTION),
        )
        .security_scheme(
            super::BEARER,
            SecurityScheme::Http {
                scheme: "bearer".to_owned(),
                bearer_format: Some("JWT".to_owned()),
                description: Some(super::BEARER_DESCRIPTION.to_owned()),
                extensions: Default::default(),
            },
        );
    for scheme in &headers {
        let header = super::header_of(scheme).unwrap_or_default();
        api = api.security_scheme(scheme, api_key(header, super::HEADER_DESCRIPTION));
    }
    api
}

fn api_key(header: &str, description: &str) -> SecurityScheme {
    SecurityScheme::ApiKey {
        location: ApiKeyLocation::Header,
        name: header.to_owned(),
        description: Some(description.to_owned()),
        extensions: Default::default(),
    }
}

/// Documents a route that the tower layer or the extractors protect with `policy`, as the
/// attribute documents its own: for aide's `*_with` routing functions.
///
/// ```
/// use aide::axum::ApiRouter;
/// use aide::axum::routing::get_with;
/// use aide::openapi::OpenApi;
/// use scw_private::openapi::aide_0_15::{protected, security_schemes};
/// use scw_private::{Claims, Policy};
///
/// // No attribute: the `Claims` extractor checks the request with the default policy.
/// async fn me(claims: Claims) -> String {
///     format!("{:?}", claims.kind())
/// }
///
/// let mut api = OpenApi::default();
/// let _app: axum::Router = ApiRouter::new()
///     .api_route("/me", get_with(me, protected(Policy::new())))
///     .finish_api_with(&mut api, security_schemes);
/// let document = serde_json::to_value(&api).unwrap();
/// assert_eq!(
///     document["paths"]["/me"]["get"]["security"],
///     serde_json::json!([{"scw_x_auth_token": []}, {"scw_bearer": []}])
/// );
/// assert!(document["paths"]["/me"]["get"]["responses"]["401"].is_object());
/// ```
pub fn protected(policy: Policy) -> impl FnOnce(TransformOperation<'_>) -> TransformOperation<'_> {
    move |mut transform| {
        let operation = transform.inner_mut();
        document(&policy, operation);
        let responses = operation.responses.get_or_insert_with(Default::default);
        for (status, response) in refusals() {
            if let Some(status) = status {
                responses
                    .responses
                    .entry(StatusCode::Code(status))
                    .or_insert(ReferenceOr::Item(response));
            }
        }
        transform
    }
}

/// Documents `policy` on `operation`: its security requirement, its refusals, and what it
/// accepts. Idempotent: aide may ask an input twice.
fn document(policy: &Policy, operation: &mut Operation) {
    let schemes = match policy.header {
        None => vec![super::X_AUTH_TOKEN.to_owned(), super::BEARER.to_owned()],
        Some(header) => vec![super::header_scheme(header)],
    };
    let mut alternatives: Vec<SecurityRequirement> = schemes
        .into_iter()
        .map(|scheme| [(scheme, Vec::new())].into_iter().collect())
        .collect();
    if policy.public_if_env {
        // Anyone, when the platform says the container is public.
        alternatives.push(SecurityRequirement::default());
    }
    for requirement in alternatives {
        if !operation.security.contains(&requirement) {
            operation.security.push(requirement);
        }
    }
    let scope = match policy.scope {
        Scope::AnyToken => "namespace_or_container",
        Scope::ContainerToken => "container",
        Scope::NamespaceToken => "namespace",
    };
    let mut accepts = vec!["jwt"];
    if policy.platform_iam {
        accepts.push("iam_secret_key_checked_by_the_platform");
    }
    operation.extensions.insert(
        "x-scw-private".to_owned(),
        serde_json::json!({
            "accepts": accepts,
            "token_scope": scope,
            "header": policy.header,
            "anonymous_when_public": policy.public_if_env,
        }),
    );
}

/// What a protected operation may answer besides its own responses: the RFC 6750 refusals
/// and a misconfigured server.
fn refusals() -> Vec<(Option<u16>, Response)> {
    super::REFUSALS
        .iter()
        .map(|(status, description)| {
            let response = Response {
                description: (*description).to_owned(),
                ..Response::default()
            };
            (Some(*status), response)
        })
        .collect()
}

impl<P: HandlerPolicy> OperationInput for Guard<P> {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        document(&P::POLICY, operation);
    }

    fn inferred_early_responses(
        _: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        refusals()
    }
}

/// Nothing to add: behind the attribute its extractor documents the operation.
impl OperationInput for Claims {}

/// Nothing to add: behind the attribute its extractor documents the operation.
impl OperationInput for OptionalClaims {}

/// Nothing to add: behind the attribute its extractor documents the operation.
impl OperationInput for Access {}

#[cfg(test)]
mod tests {
    use aide::openapi::OpenApi;
    use serde_json::json;

    use super::*;

    fn documented(policy: Policy) -> serde_json::Value {
        let mut operation = Operation::default();
        document(&policy, &mut operation);
        // Asked twice, as aide may: nothing doubles.
        document(&policy, &mut operation);
        serde_json::to_value(&operation).unwrap()
    }

    fn schemes() -> serde_json::Value {
        json!([{"scw_x_auth_token": []}, {"scw_bearer": []}])
    }

    #[test]
    fn each_policy_says_what_it_requires_and_accepts() {
        let default = documented(Policy::new());
        assert_eq!(default["security"], schemes());
        assert_eq!(
            default["x-scw-private"],
            json!({"accepts": ["jwt"], "token_scope": "namespace_or_container",
                   "header": null, "anonymous_when_public": false})
        );
        let container = documented(Policy::new().scope(Scope::ContainerToken));
        assert_eq!(container["x-scw-private"]["token_scope"], "container");
        let namespace = documented(Policy::new().scope(Scope::NamespaceToken));
        assert_eq!(namespace["x-scw-private"]["token_scope"], "namespace");
        let public = documented(Policy::new().public_if_env(true));
        assert_eq!(
            public["security"],
            json!([{"scw_x_auth_token": []}, {"scw_bearer": []}, {}])
        );
        assert_eq!(public["x-scw-private"]["anonymous_when_public"], true);
        let iam = documented(Policy::new().platform_iam(true));
        assert_eq!(iam["security"], schemes());
        assert_eq!(
            iam["x-scw-private"]["accepts"],
            json!(["jwt", "iam_secret_key_checked_by_the_platform"])
        );
        // A header of its own requires that header's scheme: never documented as public.
        let custom = documented(Policy::new().header("X-Admin-Token"));
        assert_eq!(
            custom["security"],
            json!([{"scw_header.x-admin-token": []}])
        );
        assert_eq!(custom["x-scw-private"]["header"], "X-Admin-Token");
        let default_header = documented(Policy::new().header("X-Auth-Token").public_if_env(true));
        assert_eq!(
            default_header["security"],
            json!([{"scw_x_auth_token": []}, {}])
        );
    }

    #[test]
    fn refusals_are_400_401_403_and_500() {
        let statuses: Vec<_> = refusals().into_iter().map(|(status, _)| status).collect();
        assert_eq!(statuses, [Some(400), Some(401), Some(403), Some(500)]);
        let rfc_6750 = refusals()
            .iter()
            .filter(|(_, r)| r.description.contains("RFC 6750"))
            .count();
        assert_eq!(rfc_6750, 3);
    }

    #[test]
    fn a_scheme_is_declared_for_every_header_a_document_requires() {
        let mut api = OpenApi::default();
        let mut operation = Operation::default();
        document(&Policy::new().header("X-Admin-Token"), &mut operation);
        let item = aide::openapi::PathItem {
            get: Some(operation),
            ..Default::default()
        };
        api.paths
            .get_or_insert_with(Default::default)
            .paths
            .insert("/admin".to_owned(), ReferenceOr::Item(item));
        let _ = security_schemes(TransformOpenApi::new(&mut api));
        let document = serde_json::to_value(&api).unwrap();
        assert_eq!(
            document["components"]["securitySchemes"]["scw_header.x-admin-token"],
            json!({"type": "apiKey", "in": "header", "name": "x-admin-token",
                   "description": super::super::HEADER_DESCRIPTION})
        );
    }

    #[test]
    fn protected_documents_a_route_without_the_attribute() {
        let mut operation = Operation::default();
        let _ = protected(Policy::new().scope(Scope::ContainerToken))(TransformOperation::new(
            &mut operation,
        ));
        let operation = serde_json::to_value(&operation).unwrap();
        assert_eq!(operation["security"], schemes());
        assert_eq!(operation["x-scw-private"]["token_scope"], "container");
        for status in ["400", "401", "403", "500"] {
            assert!(
                operation["responses"][status].is_object(),
                "{status}: {operation}"
            );
        }
    }

    #[test]
    fn the_schemes_are_declared() {
        let mut api = OpenApi::default();
        let _ = security_schemes(TransformOpenApi::new(&mut api));
        let document = serde_json::to_value(&api).unwrap();
        let schemes = &document["components"]["securitySchemes"];
        assert_eq!(
            schemes["scw_x_auth_token"],
            json!({"type": "apiKey", "in": "header", "name": "X-Auth-Token",
                   "description": super::super::X_AUTH_TOKEN_DESCRIPTION})
        );
        assert_eq!(
            schemes["scw_bearer"],
            json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                   "description": super::super::BEARER_DESCRIPTION})
        );
    }

    /// The policy of a `#[scw_private(container)]` handler, as the attribute would write it.
    struct ContainerRoute;

    impl HandlerPolicy for ContainerRoute {
        const POLICY: Policy = Policy::new().scope(Scope::ContainerToken);
    }

    #[test]
    fn the_attribute_s_extractor_documents_its_operation() {
        let (operation, responses) = aide::generate::in_context(|ctx| {
            let mut operation = Operation::default();
            <Guard<ContainerRoute> as OperationInput>::operation_input(ctx, &mut operation);
            let responses = <Guard<ContainerRoute> as OperationInput>::inferred_early_responses(
                ctx,
                &mut operation,
            );
            (serde_json::to_value(&operation).unwrap(), responses)
        });
        assert_eq!(operation["security"], schemes());
        assert_eq!(operation["x-scw-private"]["token_scope"], "container");
        let statuses: Vec<_> = responses.iter().map(|(status, _)| *status).collect();
        assert_eq!(statuses, [Some(400), Some(401), Some(403), Some(500)]);
    }
}
