//! What one protected handler requires, fixed at compile time by `#[scw_private(...)]`.

use crate::scope::Scope;

/// The requirements of one protected handler.
///
/// `#[scw_private(...)]` builds one from its arguments; without the macro, build one with the
/// `const` methods below and pass it to [`Verifier::authorize`](crate::Verifier::authorize).
///
/// ```
/// use scw_private::{Policy, Scope};
///
/// const ADMIN: Policy = Policy::new().scope(Scope::ContainerToken).header("X-Admin-Token");
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

    /// Let requests through without a token, as [`Access::PublicContainer`](crate::Access::PublicContainer),
    /// where `SCW_PUBLIC` says `true`. Anywhere else (`false`, unset, any other value) a token
    /// is required.
    #[must_use = "a `Policy` is a value: this returns the changed policy and leaves `self` as it was"]
    pub const fn public_if_env(mut self, public_if_env: bool) -> Self {
        self.public_if_env = public_if_env;
        self
    }

    /// Trust the platform's edge where `SCW_PUBLIC` says `false`: a request that carries no
    /// JWT is let through as [`Access::Platform`](crate::Access::Platform); a JWT is still
    /// verified in full. Anywhere else (`true`, unset, any other value) nothing is let through
    /// on the platform's word. What this trusts, and why: [the IAM era](crate::guide::iam_era).
    #[must_use = "a `Policy` is a value: this returns the changed policy and leaves `self` as it was"]
    pub const fn platform_iam(mut self, platform_iam: bool) -> Self {
        self.platform_iam = platform_iam;
        self
    }
}
