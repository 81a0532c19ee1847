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
    pub const fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// Protect as if the container were in this namespace, whatever the verifier says.
    pub const fn namespace_id(mut self, id: &'static str) -> Self {
        self.namespace_id = Some(id);
        self
    }

    /// Protect as if this were this container, whatever the verifier says.
    pub const fn container_id(mut self, id: &'static str) -> Self {
        self.container_id = Some(id);
        self
    }

    /// Read the token from this header only: a raw token or `Bearer <token>`.
    pub const fn header(mut self, name: &'static str) -> Self {
        self.header = Some(name);
        self
    }

    /// Let requests through without a token when the container is public (`SCW_PUBLIC=true`).
    pub const fn public_if_env(mut self, public_if_env: bool) -> Self {
        self.public_if_env = public_if_env;
        self
    }

    /// Trust the platform's edge on a private container (`SCW_PUBLIC` set and not `true`): a
    /// request that carries no JWT (an IAM secret key, or nothing since the edge may strip it)
    /// is let through as authenticated by the platform. A request that does carry a JWT still
    /// has it verified in full. Where `SCW_PUBLIC` is `true` or unset, nothing is let through
    /// on the platform's word. See "The IAM era" in the crate docs.
    pub const fn platform_iam(mut self, platform_iam: bool) -> Self {
        self.platform_iam = platform_iam;
        self
    }
}
