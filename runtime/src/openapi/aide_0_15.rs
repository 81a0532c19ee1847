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
//! `Claims`, `OptionalClaims` and `Access` may be taken by any aide handler; they add nothing
//! to the document themselves. A route protected by the tower layer, or by extractors without
//! the attribute, declares its requirement with aide's own `TransformOperation` methods; a
//! policy with a custom `header` gets the extension but no requirement, since the schemes
//! name the default headers.

use aide::generate::GenContext;
use aide::openapi::{Operation, Response, SecurityRequirement, SecurityScheme};
use aide::operation::OperationInput;
use aide::transform::TransformOpenApi;

use crate::policy::Policy;
use crate::private::{Guard, HandlerPolicy};
use crate::scope::Scope;
use crate::{Access, Claims, OptionalClaims};

/// Declares the two security schemes ([`X_AUTH_TOKEN`](super::X_AUTH_TOKEN),
/// [`BEARER`](super::BEARER)): pass it to aide's `finish_api_with`, or call it inside your
/// own transform.
pub fn security_schemes(api: TransformOpenApi<'_>) -> TransformOpenApi<'_> {
    api.security_scheme(
        super::X_AUTH_TOKEN,
        SecurityScheme::ApiKey {
            location: aide::openapi::ApiKeyLocation::Header,
            name: "X-Auth-Token".to_owned(),
            description: Some(super::X_AUTH_TOKEN_DESCRIPTION.to_owned()),
            extensions: Default::default(),
        },
    )
    .security_scheme(
        super::BEARER,
        SecurityScheme::Http {
            scheme: "bearer".to_owned(),
            bearer_format: Some("JWT".to_owned()),
            description: Some(super::BEARER_DESCRIPTION.to_owned()),
            extensions: Default::default(),
        },
    )
}

/// Documents `policy` on `operation`: its security requirement, its refusals, and what it
/// accepts. Idempotent: aide may ask an input twice.
fn document(policy: &Policy, operation: &mut Operation) {
    if policy.header.is_none() {
        let mut alternatives: Vec<SecurityRequirement> = [super::X_AUTH_TOKEN, super::BEARER]
            .into_iter()
            .map(|scheme| [(scheme.to_owned(), Vec::new())].into_iter().collect())
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

/// The refusals a protected operation may answer (RFC 6750).
fn refusals() -> Vec<(Option<u16>, Response)> {
    let response = |description: &str| Response {
        description: description.to_owned(),
        ..Response::default()
    };
    vec![
        (
            Some(401),
            response("No token, or a token that is not valid here (RFC 6750)"),
        ),
        (
            Some(403),
            response(
                "A valid token that does not grant this container (RFC 6750 `insufficient_scope`)",
            ),
        ),
    ]
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
        let custom = documented(Policy::new().header("X-Admin-Token"));
        assert!(custom.get("security").is_none(), "{custom}");
        assert_eq!(custom["x-scw-private"]["header"], "X-Admin-Token");
    }

    #[test]
    fn refusals_are_401_and_403() {
        let statuses: Vec<_> = refusals().into_iter().map(|(status, _)| status).collect();
        assert_eq!(statuses, [Some(401), Some(403)]);
        assert!(
            refusals()
                .iter()
                .all(|(_, r)| r.description.contains("RFC 6750"))
        );
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
        assert_eq!(statuses, [Some(401), Some(403)]);
    }
}
