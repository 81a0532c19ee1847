//! What one protected handler requires, fixed at compile time by `#[scw_private(...)]`.

use crate::verification::config::{ConfigError, Id, Origin};
use crate::verification::scope::Scope;

/// The requirements of one protected handler.
///
/// `#[scw_private(...)]` builds one from its arguments; without the macro, build one with the
/// `const` methods below and pass it to [`Verifier::authorize`](crate::Verifier::authorize),
/// [`ScwPrivateLayer`](crate::layer::ScwPrivateLayer) or
/// [`Verifier::preflight_all`](crate::Verifier::preflight_all).
///
/// A policy is fixed when the program is written: its ids and header are `&'static str`.
/// Ids known only at run time (read from a file, a flag, a secret store) belong on the
/// [`VerifierBuilder`](crate::VerifierBuilder), which every policy falls back on.
///
/// Middleware, logs and document generators can read a policy back with the `get_*` and
/// `is_*` methods, as `clap` names its getters:
///
/// ```
/// use scw_private::{Policy, Scope};
///
/// const ADMIN: Policy = Policy::new().scope(Scope::ContainerToken).header("X-Admin-Token");
///
/// assert_eq!(ADMIN.get_scope(), Scope::ContainerToken);
/// assert_eq!(ADMIN.get_header(), Some("X-Admin-Token"));
/// assert_eq!(ADMIN.get_container_id(), None); // the verifier's
/// assert!(!ADMIN.is_public_if_env());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub(crate) scope: Scope,
    pub(crate) namespace_id: Option<&'static str>,
    pub(crate) container_id: Option<&'static str>,
    pub(crate) header: Option<&'static str>,
    pub(crate) public_if_env: bool,
    pub(crate) platform_iam: bool,
}

impl Policy {
    /// Any token that grants this container, ids from the verifier, the verifier's headers.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            scope: Scope::AnyToken,
            namespace_id: None,
            container_id: None,
            header: None,
            public_if_env: false,
            platform_iam: false,
        }
    }

    /// Which kinds of token are accepted.
    #[must_use = "a `Policy` is a value: this returns the changed policy and leaves `self` as it was"]
    pub const fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// Protect as if the container were in this namespace, whatever the verifier says.
    #[must_use = "a `Policy` is a value: this returns the changed policy and leaves `self` as it was"]
    pub const fn namespace_id(mut self, id: &'static str) -> Self {
        self.namespace_id = Some(id);
        self
    }

    /// Protect as if this were this container, whatever the verifier says.
    #[must_use = "a `Policy` is a value: this returns the changed policy and leaves `self` as it was"]
    pub const fn container_id(mut self, id: &'static str) -> Self {
        self.container_id = Some(id);
        self
    }

    /// Read the token from this header only: a raw token or `Bearer <token>`.
    #[must_use = "a `Policy` is a value: this returns the changed policy and leaves `self` as it was"]
    pub const fn header(mut self, name: &'static str) -> Self {
        self.header = Some(name);
        self
    }

    /// Let requests that carry no credential through, as
    /// [`Access::PublicContainer`](crate::Access::PublicContainer), where `SCW_PUBLIC` says
    /// `true`. A request that does carry one is checked as on any other route: a valid token
    /// lets it in as [`Access::Token`](crate::Access::Token) with its claims (a handler may
    /// personalise its answer), and a forged, expired or out-of-scope token, or an IAM key
    /// alone, is refused, never treated as anonymous. This is the rule
    /// [`OptionalClaims`](crate::OptionalClaims) follows. Anywhere else (`false`, unset, any
    /// other value) a token is required.
    #[must_use = "a `Policy` is a value: this returns the changed policy and leaves `self` as it was"]
    pub const fn public_if_env(mut self, public_if_env: bool) -> Self {
        self.public_if_env = public_if_env;
        self
    }

    /// Trust the platform's edge where `SCW_PUBLIC` says `false`: a request that carries no
    /// JWT is let through as [`Access::PlatformIam`](crate::Access::PlatformIam); a JWT is still
    /// verified in full. Anywhere else (`true`, unset, any other value) nothing is let through
    /// on the platform's word. What this trusts, and why: [the IAM era](crate::guide::iam_era).
    #[must_use = "a `Policy` is a value: this returns the changed policy and leaves `self` as it was"]
    pub const fn platform_iam(mut self, platform_iam: bool) -> Self {
        self.platform_iam = platform_iam;
        self
    }

    /// The combinations `#[scw_private]` refuses at compile time, refused here for a policy
    /// built by hand: [`Verifier::preflight`](crate::Verifier::preflight) reports them, and
    /// every form answers 500 while they last, whatever the request carries.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let conflict = |first, second| Err(ConfigError::ConflictingPolicy { first, second });
        // IAM keys are scoped to a project: the platform's word names no namespace or
        // container, so a route that requires one cannot take that word.
        match (self.platform_iam, self.scope) {
            (true, Scope::NamespaceToken) => return conflict("platform_iam", "namespace"),
            (true, Scope::ContainerToken) => return conflict("platform_iam", "container"),
            _ => {}
        }
        if self.scope == Scope::NamespaceToken && self.container_id.is_some() {
            // A namespace token names no container.
            return conflict("namespace", "container_id");
        }
        if let Some(id) = self.namespace_id {
            Id::Namespace.check(id, Origin::Policy)?;
        }
        if let Some(id) = self.container_id {
            Id::Container.check(id, Origin::Policy)?;
        }
        Ok(())
    }

    /// Which kinds of token are accepted.
    #[must_use]
    pub const fn get_scope(&self) -> Scope {
        self.scope
    }

    /// The namespace id this policy checks against, if it names one; `None` means the
    /// verifier's (`SCW_NAMESPACE_ID` or [`VerifierBuilder::namespace_id`](crate::VerifierBuilder::namespace_id)).
    #[must_use]
    pub const fn get_namespace_id(&self) -> Option<&'static str> {
        self.namespace_id
    }

    /// The container id this policy checks against, if it names one; `None` means the
    /// verifier's (`SCW_APPLICATION_ID` or [`VerifierBuilder::container_id`](crate::VerifierBuilder::container_id)).
    #[must_use]
    pub const fn get_container_id(&self) -> Option<&'static str> {
        self.container_id
    }

    /// The one header the token is read from, if the policy names one; `None` means the
    /// verifier's headers (by default `Authorization` and `X-Auth-Token`).
    #[must_use]
    pub const fn get_header(&self) -> Option<&'static str> {
        self.header
    }

    /// Whether requests without a credential are let through where `SCW_PUBLIC` says `true`.
    #[must_use]
    pub const fn is_public_if_env(&self) -> bool {
        self.public_if_env
    }

    /// Whether the platform's edge is trusted where `SCW_PUBLIC` says `false`.
    #[must_use]
    pub const fn is_platform_iam(&self) -> bool {
        self.platform_iam
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conflict(policy: Policy) -> (&'static str, &'static str) {
        match policy.check() {
            Err(ConfigError::ConflictingPolicy { first, second }) => (first, second),
            other => panic!("{policy:?}: {other:?}"),
        }
    }

    #[test]
    fn every_combination_the_attribute_refuses_is_refused_here() {
        let iam = Policy::new().platform_iam(true);
        assert_eq!(
            conflict(iam.scope(Scope::ContainerToken)),
            ("platform_iam", "container")
        );
        assert_eq!(
            conflict(iam.scope(Scope::NamespaceToken)),
            ("platform_iam", "namespace")
        );
        assert_eq!(
            conflict(
                Policy::new()
                    .scope(Scope::NamespaceToken)
                    .container_id("ct")
            ),
            ("namespace", "container_id")
        );
        // Empty or padded ids, in the policy's words.
        for (policy, wanted) in [
            (Policy::new().namespace_id(""), "MissingNamespaceId"),
            (Policy::new().container_id(""), "MissingContainerId"),
            (Policy::new().namespace_id(" ns"), "PaddedNamespaceId"),
            (Policy::new().container_id("ct\n"), "PaddedContainerId"),
        ] {
            let error = policy.check().unwrap_err();
            assert!(format!("{error:?}").starts_with(wanted), "{error:?}");
            assert!(error.to_string().contains("the policy's"), "{error}");
        }
    }

    #[test]
    fn every_combination_the_attribute_accepts_is_accepted_here() {
        for scope in [
            Scope::AnyToken,
            Scope::ContainerToken,
            Scope::NamespaceToken,
        ] {
            for public_if_env in [false, true] {
                let policy = Policy::new()
                    .scope(scope)
                    .public_if_env(public_if_env)
                    .namespace_id("ns")
                    .header("X-T");
                assert_eq!(policy.check(), Ok(()), "{policy:?}");
                if scope != Scope::NamespaceToken {
                    assert_eq!(policy.container_id("ct").check(), Ok(()), "{policy:?}");
                }
            }
        }
        assert_eq!(
            Policy::new().platform_iam(true).public_if_env(true).check(),
            Ok(())
        );
        assert_eq!(
            Policy::new().platform_iam(true).container_id("ct").check(),
            Ok(())
        );
    }

    #[test]
    fn a_policy_reads_back_what_it_was_built_with() {
        let none = Policy::new();
        assert_eq!(none.get_scope(), Scope::AnyToken);
        assert_eq!(
            (
                none.get_namespace_id(),
                none.get_container_id(),
                none.get_header()
            ),
            (None, None, None)
        );
        assert!(!none.is_public_if_env() && !none.is_platform_iam());
        let all = Policy::new()
            .scope(Scope::NamespaceToken)
            .namespace_id("ns")
            .container_id("ct")
            .header("X-T")
            .public_if_env(true)
            .platform_iam(true);
        assert_eq!(all.get_scope(), Scope::NamespaceToken);
        assert_eq!(all.get_namespace_id(), Some("ns"));
        assert_eq!(all.get_container_id(), Some("ct"));
        assert_eq!(all.get_header(), Some("X-T"));
        assert!(all.is_public_if_env() && all.is_platform_iam());
        // Each flag on its own.
        assert!(Policy::new().public_if_env(true).is_public_if_env());
        assert!(!Policy::new().public_if_env(true).is_platform_iam());
        assert!(Policy::new().platform_iam(true).is_platform_iam());
        assert!(!Policy::new().platform_iam(true).is_public_if_env());
    }
}
