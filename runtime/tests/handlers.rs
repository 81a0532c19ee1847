//! Every `#[scw_private]` handler of a binary is recorded by the attribute, so one call checks
//! them all before the server binds: `ProtectedHandler::all` and
//! `Verifier::preflight_handlers`, with real handlers, in the crate's own tests.

#![allow(
    dead_code,
    reason = "the handlers exist to be recorded; no test here serves them"
)]

use scw_private::registry::ProtectedHandler;
use scw_private::{ConfigError, Policy, Scope, Verifier, scw_private};

/// Test-only key (see `test-keys/README.md`).
const PUBLIC_KEY: &str = include_str!("../test-keys/rsa2048-a.pkcs1.pem");
const NS: &str = "11111111-1111-4111-8111-111111111111";
const CT: &str = "22222222-2222-4222-8222-222222222222";

#[scw_private]
async fn any_token() -> &'static str {
    "any token"
}

#[scw_private(container, header = "X-Admin-Token")]
async fn admin() -> &'static str {
    "admin"
}

#[scw_private(namespace, public_if_env)]
async fn maybe_public() -> &'static str {
    "maybe public"
}

mod routes {
    use scw_private::scw_private;

    #[scw_private(platform_iam, container_id = "another-container")]
    pub(crate) async fn iam() -> &'static str {
        "iam"
    }
}

/// The handlers of this file (the shared test library may add its own).
fn here() -> Vec<&'static ProtectedHandler> {
    let mut here: Vec<_> = ProtectedHandler::all()
        .iter()
        .filter(|handler| handler.module_path().starts_with("handlers"))
        .collect();
    here.sort_by_key(|handler| handler.name());
    here
}

#[test]
fn the_attribute_records_every_handler_with_its_policy() {
    let here = here();
    let names: Vec<String> = here.iter().map(ToString::to_string).collect();
    assert_eq!(
        names,
        [
            "handlers::admin",
            "handlers::any_token",
            "handlers::routes::iam",
            "handlers::maybe_public",
        ]
    );
    assert!(
        here.iter()
            .all(|handler| handler.module_path().starts_with("handlers"))
    );
    let policies: Vec<Policy> = here.iter().map(|handler| *handler.policy()).collect();
    assert_eq!(
        policies,
        [
            Policy::new()
                .scope(Scope::ContainerToken)
                .header("X-Admin-Token"),
            Policy::new(),
            Policy::new()
                .platform_iam(true)
                .container_id("another-container"),
            Policy::new()
                .scope(Scope::NamespaceToken)
                .public_if_env(true),
        ]
    );
}

fn verifier(container_id: Option<&'static str>, public: Option<&'static str>) -> Verifier {
    Verifier::from_variables(move |name| match name {
        "SCW_PUBLIC_KEY" => Some(PUBLIC_KEY.into()),
        "SCW_NAMESPACE_ID" => Some(NS.into()),
        "SCW_APPLICATION_ID" => container_id.map(Into::into),
        "SCW_PUBLIC" => public.map(Into::into),
        _ => None,
    })
}

#[test]
fn preflight_handlers_checks_them_all_and_names_the_first_that_cannot_be_served() {
    // This binary's handlers are exactly the four above: every one is checked, and counted.
    assert_eq!(ProtectedHandler::all().len(), 4);
    assert_eq!(
        verifier(Some(CT), Some("false"))
            .preflight_handlers()
            .unwrap(),
        4
    );

    // Without a container id only `admin` and `any_token` fail (`iam` names its own, and
    // `maybe_public` wants a namespace token): the first of them is named.
    let problem = verifier(None, Some("false"))
        .preflight_handlers()
        .unwrap_err();
    assert!(
        ["admin", "any_token"].contains(&problem.handler().unwrap().name()),
        "{problem}"
    );
    assert!(matches!(
        problem.config_error(),
        Some(ConfigError::MissingContainerId { .. })
    ));
    assert!(
        problem.to_string().starts_with(&format!(
            "handler `{}` cannot be protected: ",
            problem.handler().unwrap()
        )) && problem.to_string().contains("SCW_APPLICATION_ID"),
        "{problem}"
    );

    // An unusable `SCW_PUBLIC` breaks exactly the handlers that read it.
    let problem = verifier(Some(CT), Some("garbage"))
        .preflight_handlers()
        .unwrap_err();
    assert!(
        ["iam", "maybe_public"].contains(&problem.handler().unwrap().name()),
        "{problem}"
    );
    assert!(matches!(
        problem.config_error(),
        Some(ConfigError::InvalidPrivacy)
    ));
}
