//! Every `#[scw_private]` handler of the program, recorded by the attribute where the
//! verifier can find them all before the server binds its port.
//!
//! The attribute adds one element per handler to a distributed slice (linkme): the linker
//! gathers the elements of every crate of the program into one static array, so nothing runs
//! before `main`, nothing is allocated, and no handler can be forgotten by a list kept by hand.

use std::fmt;

use crate::config::ConfigError;
use crate::policy::Policy;

/// A handler protected by `#[scw_private]`, as the attribute recorded it: where it is and
/// what it requires.
///
/// [`ProtectedHandler::all`] lists every one in the program; [`Verifier::preflight_handlers`]
/// checks them all before the server binds its port.
///
/// [`Verifier::preflight_handlers`]: crate::Verifier::preflight_handlers
///
/// ```
/// # #[cfg(feature = "axum-0_8")] {
/// use scw_private::{ProtectedHandler, Scope, scw_private};
///
/// #[scw_private(container)]
/// async fn admin() -> &'static str {
///     "only a token for this very container gets here"
/// }
///
/// let admin = ProtectedHandler::all()
///     .iter()
///     .find(|handler| handler.name() == "admin")
///     .unwrap();
/// assert_eq!(admin.policy().get_scope(), Scope::ContainerToken);
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ProtectedHandler {
    name: &'static str,
    module_path: &'static str,
    policy: Policy,
}

impl ProtectedHandler {
    /// Every handler of this program that carries `#[scw_private]`, in every crate linked
    /// into it, in no particular order.
    ///
    /// The list is built by the linker (on Linux, macOS, Windows, Android, iOS, FreeBSD,
    /// OpenBSD and illumos; the crate does not build for other targets). Handlers protected
    /// by the tower layer or by extractors alone carry no attribute and are not listed: check
    /// their policies with [`Verifier::preflight_all`](crate::Verifier::preflight_all).
    #[must_use]
    pub fn all() -> &'static [ProtectedHandler] {
        &crate::private::PROTECTED_HANDLERS
    }

    /// The handler function's name, as written.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The module the handler is defined in, as `module_path!()` gives it
    /// (`my_service::routes`).
    #[must_use]
    pub const fn module_path(&self) -> &'static str {
        self.module_path
    }

    /// What the handler requires, as its attribute's arguments say.
    #[must_use]
    pub const fn policy(&self) -> &Policy {
        &self.policy
    }

    /// What expansions record; not public API.
    #[doc(hidden)]
    pub const fn __new(name: &'static str, module_path: &'static str, policy: Policy) -> Self {
        Self {
            name,
            module_path,
            policy,
        }
    }
}

impl fmt::Display for ProtectedHandler {
    /// `module::path::name`, the handler's full path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", self.module_path, self.name)
    }
}

/// A protected handler that cannot be served as configured: which one, and why.
///
/// Returned by [`Verifier::preflight_handlers`](crate::Verifier::preflight_handlers). Its
/// message names the handler, the variable at fault and the fix, and never contains a key.
///
/// # What this type promises
///
/// As [`ConfigError`]: `Clone`, `Debug`, `Display`, [`Error`](std::error::Error), `Send`,
/// `Sync` and `'static`, and not `PartialEq`.
#[derive(Clone, Debug)]
pub struct PreflightError {
    handler: ProtectedHandler,
    error: ConfigError,
}

impl PreflightError {
    pub(crate) fn new(handler: ProtectedHandler, error: ConfigError) -> Self {
        Self { handler, error }
    }

    /// The first handler found that cannot be served.
    #[must_use]
    pub fn handler(&self) -> &ProtectedHandler {
        &self.handler
    }

    /// What is misconfigured for it.
    #[must_use]
    pub fn config_error(&self) -> &ConfigError {
        &self.error
    }
}

impl fmt::Display for PreflightError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "handler `{}` cannot be protected: {}",
            self.handler, self.error
        )
    }
}

impl std::error::Error for PreflightError {}
