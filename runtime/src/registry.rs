//! Every `#[scw_private]` handler of the program, recorded by the attribute where the
//! verifier can find them all before the server binds its port.
//!
//! The attribute adds one element per handler to a distributed slice (linkme): the linker
//! gathers the elements of every crate of the program into one static array, so nothing runs
//! before `main`, nothing is allocated, and no handler can be forgotten by a list kept by hand.
//!
//! This module sits above the verification core: it imports the core, never the reverse, and
//! it is the one place outside `verification` with an `impl Verifier`
//! ([`Verifier::preflight_handlers`]), because checking the recorded handlers is the
//! registry's job.

use std::fmt;
use std::sync::Mutex;

use crate::expansion::ServiceMethod;
use crate::{ConfigError, Policy, Verifier};

/// The gRPC services served through `tonic_0_14::protect` so far: their names and methods, so
/// that a preflight error names a method by its route (`/helloworld.Greeter/SayHello`).
static SERVICES: Mutex<Vec<(&'static str, &'static [ServiceMethod])>> = Mutex::new(Vec::new());

/// Records a service as `protect` wraps it.
#[cfg_attr(
    not(feature = "tonic-0_14"),
    allow(dead_code, reason = "called by `tonic_0_14::protect`")
)]
pub(crate) fn record_service(name: &'static str, methods: &'static [ServiceMethod]) {
    let mut services = SERVICES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // A service wrapped again (a test's many servers) replaces its entry: the list stays as
    // long as the program has services.
    match services.iter_mut().find(|(known, _)| *known == name) {
        Some(entry) => *entry = (name, methods),
        None => services.push((name, methods)),
    }
}

/// The route of a protected handler that is a method of a recorded gRPC service.
fn route_of(handler: &ProtectedHandler) -> Option<String> {
    let services = SERVICES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    services.iter().find_map(|(service, methods)| {
        methods
            .iter()
            .find(|method| {
                method.policy.is_some()
                    && method.name == handler.name
                    && method.module_path == handler.module_path
            })
            .map(|method| format!("/{service}/{}", method.route_name()))
    })
}

/// Every `#[scw_private]` handler of the program: each expansion adds its own element.
///
/// linkme names the linker section after this static (`linkme_SCW_PRIVATE_0_1_HANDLERS`), so
/// the name carries the crate's version as Cargo reads it for compatibility (`0.1`, then `1`,
/// `2`, ...): a program that links this release and a later major one, as the migration the
/// versioned features promise does, gets two sections that never mix. The name is permanent
/// for 0.1 (`tests::the_section_is_named_after_this_release`).
#[doc(hidden)]
#[linkme::distributed_slice]
pub static SCW_PRIVATE_0_1_HANDLERS: [ProtectedHandler];

/// A slice this crate alone fills with one element, in the same way as the handlers' slice.
/// A linker that drops distributed slices (some `--gc-sections` setups under LTO) drops both
/// alike, so an empty `LINKED` tells "nothing recorded" from "no handler".
#[linkme::distributed_slice]
static SCW_PRIVATE_0_1_LINKED: [u8];

// The crate's one exception to `unsafe_code`: an element is a static in a named linker
// section, which the lint counts as unsafe; no unsafe code runs.
#[allow(
    unsafe_code,
    reason = "a distributed slice's element sits in a linker section"
)]
#[linkme::distributed_slice(SCW_PRIVATE_0_1_LINKED)]
static RECORDING_WORKS: u8 = 1;

/// What expansions record for one handler. Not public API: named through `__private`.
#[doc(hidden)]
pub const fn protected_handler(
    name: &'static str,
    module_path: &'static str,
    policy: Policy,
) -> ProtectedHandler {
    ProtectedHandler {
        name,
        module_path,
        policy,
    }
}

/// A handler protected by `#[scw_private]`, as the attribute recorded it: where it is and
/// what it requires.
///
/// [`ProtectedHandler::all`] lists every one in the program; [`Verifier::preflight_handlers`]
/// checks them all before the server binds its port.
///
/// ```
/// # #[cfg(feature = "axum-0_8")] {
/// use scw_private::registry::ProtectedHandler;
/// use scw_private::{Scope, scw_private};
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
    /// their policies with [`Verifier::preflight_all`].
    #[must_use]
    pub fn all() -> &'static [ProtectedHandler] {
        &SCW_PRIVATE_0_1_HANDLERS
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
}

impl fmt::Display for ProtectedHandler {
    /// `module::path::name`, the handler's full path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", self.module_path, self.name)
    }
}

/// Why the protected handlers cannot be served as configured.
///
/// Returned by [`Verifier::preflight_handlers`]. Its message names the handler, the
/// variable at fault and the fix, and never contains a key.
///
/// # What this type promises
///
/// As [`ConfigError`]: `Clone`, `Debug`, `Display`, [`Error`](std::error::Error), `Send`,
/// `Sync` and `'static`, and not `PartialEq`.
#[derive(Clone, Debug)]
pub struct PreflightError {
    // Boxed: a preflight error happens once, at start, and keeps `Result<usize, Self>` small.
    cause: Box<Cause>,
}

#[derive(Clone, Debug)]
enum Cause {
    /// A handler whose policy cannot be served.
    Handler {
        handler: ProtectedHandler,
        error: ConfigError,
    },
    /// The linker kept none of the records, so none could be checked.
    NothingRecorded,
}

impl PreflightError {
    /// The first handler found that cannot be served; `None` when the program's records of
    /// its handlers were lost at link time, so that none could be checked.
    #[must_use]
    pub fn handler(&self) -> Option<&ProtectedHandler> {
        match &*self.cause {
            Cause::Handler { handler, .. } => Some(handler),
            Cause::NothingRecorded => None,
        }
    }

    /// What is misconfigured for [`handler`](Self::handler).
    #[must_use]
    pub fn config_error(&self) -> Option<&ConfigError> {
        match &*self.cause {
            Cause::Handler { error, .. } => Some(error),
            Cause::NothingRecorded => None,
        }
    }
}

impl fmt::Display for PreflightError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.cause {
            Cause::Handler { handler, error } => match route_of(handler) {
                Some(route) => write!(
                    f,
                    "gRPC method `{route}` (`{handler}`) cannot be protected: {error}"
                ),
                None => write!(f, "handler `{handler}` cannot be protected: {error}"),
            },
            Cause::NothingRecorded => f.write_str(
                "the linker discarded the records of `#[scw_private]` handlers, so none can be \
                 checked; build without the linker flags that drop unreferenced sections, or \
                 check the routes' policies with `Verifier::preflight_all`",
            ),
        }
    }
}

impl std::error::Error for PreflightError {}

impl Verifier {
    /// [`preflight`](Self::preflight) for every `#[scw_private]` handler of the program, in
    /// every crate linked into it ([`ProtectedHandler::all`]), as one call before the server
    /// binds its port. Returns how many handlers were checked, or the first that cannot be
    /// served, with the variable at fault and the fix.
    ///
    /// The platform marks a container ready when it listens, and keeps the previous revision
    /// serving while a new one never does: refusing to start on an error here turns a
    /// misconfiguration into a failed deploy instead of a revision that answers 500 to every
    /// protected call. Routes protected by the tower layer or by extractors alone carry no
    /// attribute: add their policies with [`preflight_all`](Self::preflight_all).
    ///
    /// A gRPC method is named by its route (`/helloworld.Greeter/SayHello`) once its service
    /// was wrapped by `tonic_0_14::protect`: build the services, then preflight, then serve.
    ///
    /// `Ok(0)` means the program has no `#[scw_private]` handler. When the linker dropped the
    /// records (so that handlers could exist unchecked) this is an error instead: the crate
    /// records one element of its own beside the handlers', and finds it missing.
    ///
    /// ```no_run
    /// use scw_private::Verifier;
    ///
    /// match Verifier::global().preflight_handlers() {
    ///     Ok(count) => eprintln!("{count} protected handlers ready"),
    ///     Err(problem) => {
    ///         eprintln!("not starting: {problem}");
    ///         std::process::exit(1);
    ///     }
    /// }
    /// // bind the port and serve
    /// ```
    pub fn preflight_handlers(&self) -> Result<usize, PreflightError> {
        self.preflight_recorded(ProtectedHandler::all(), SCW_PRIVATE_0_1_LINKED.len())
    }

    fn preflight_recorded(
        &self,
        handlers: &[ProtectedHandler],
        linked: usize,
    ) -> Result<usize, PreflightError> {
        if linked == 0 {
            return Err(PreflightError {
                cause: Box::new(Cause::NothingRecorded),
            });
        }
        for handler in handlers {
            self.preflight(handler.policy())
                .map_err(|error| PreflightError {
                    cause: Box::new(Cause::Handler {
                        handler: *handler,
                        error,
                    }),
                })?;
        }
        Ok(handlers.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A slice as a later major release would declare it, in the same program.
    #[linkme::distributed_slice]
    static SCW_PRIVATE_9_HANDLERS: [ProtectedHandler];

    #[allow(
        unsafe_code,
        reason = "a distributed slice's element sits in a linker section"
    )]
    #[linkme::distributed_slice(SCW_PRIVATE_9_HANDLERS)]
    static NEXT_MAJOR: ProtectedHandler = protected_handler("next", "next_major", Policy::new());

    #[allow(
        unsafe_code,
        reason = "a distributed slice's element sits in a linker section"
    )]
    #[linkme::distributed_slice(SCW_PRIVATE_0_1_HANDLERS)]
    static THIS_RELEASE: ProtectedHandler =
        protected_handler("this", "this_release", Policy::new());

    #[test]
    fn two_majors_keep_their_own_handlers() {
        let this: Vec<_> = ProtectedHandler::all().iter().map(|h| h.name()).collect();
        let next: Vec<_> = SCW_PRIVATE_9_HANDLERS.iter().map(|h| h.name()).collect();
        assert_eq!(this, ["this"]);
        assert_eq!(next, ["next"]);
    }

    #[test]
    fn the_section_is_named_after_this_release() {
        // Cargo's compatibility rule: `0.y` for 0.x releases, the major version after that.
        let version = env!("CARGO_PKG_VERSION");
        let mut parts = version.split('.');
        let major = parts.next().unwrap();
        let release = match major {
            "0" => format!("0_{}", parts.next().unwrap()),
            major => major.to_owned(),
        };
        let name = stringify!(SCW_PRIVATE_0_1_HANDLERS);
        assert_eq!(
            name,
            format!("SCW_PRIVATE_{release}_HANDLERS"),
            "version {version}: a new compatible release needs a section of its own"
        );
        assert_eq!(SCW_PRIVATE_0_1_LINKED.len(), 1, "recording works here");
    }

    fn verifier() -> Verifier {
        Verifier::builder()
            .public_key_pem(include_str!("../test-keys/rsa2048-a.pkcs1.pem"))
            .namespace_id("ns")
            .container_id("ct")
            .build()
            .unwrap()
    }

    #[test]
    fn lost_records_are_an_error_never_zero_handlers() {
        let error = verifier().preflight_recorded(&[], 0).unwrap_err();
        assert!(error.handler().is_none() && error.config_error().is_none());
        assert!(error.to_string().contains("linker discarded"), "{error}");
        assert_eq!(verifier().preflight_recorded(&[], 1).unwrap(), 0);
        assert_eq!(verifier().preflight_handlers().unwrap(), 1);
    }

    #[test]
    fn a_grpc_method_is_named_by_its_route_once_its_service_is_recorded() {
        const METHODS: &[ServiceMethod] = &[
            ServiceMethod::protected("say_hello", "greeting", None, Policy::new()),
            ServiceMethod::protected("status", "greeting", Some("GetHTTPStatus"), Policy::new()),
            ServiceMethod::public("open", "greeting"),
        ];
        let say_hello = protected_handler("say_hello", "greeting", Policy::new());
        let status = protected_handler("status", "greeting", Policy::new());
        let elsewhere = protected_handler("say_hello", "elsewhere", Policy::new());
        assert_eq!(route_of(&say_hello), None, "not recorded yet");
        record_service("helloworld.Greeter", METHODS);
        assert_eq!(
            route_of(&say_hello).as_deref(),
            Some("/helloworld.Greeter/SayHello")
        );
        assert_eq!(
            route_of(&status).as_deref(),
            Some("/helloworld.Greeter/GetHTTPStatus")
        );
        assert_eq!(route_of(&elsewhere), None, "another module's method");
        // Wrapped again with another table: the newer one names the routes.
        const RENAMED: &[ServiceMethod] = &[ServiceMethod::protected(
            "say_hello",
            "greeting",
            Some("Hello"),
            Policy::new(),
        )];
        record_service("helloworld.Greeter", RENAMED);
        assert_eq!(
            route_of(&say_hello).as_deref(),
            Some("/helloworld.Greeter/Hello")
        );
        record_service("helloworld.Greeter", METHODS);
        let no_ids = Verifier::builder()
            .public_key_pem(include_str!("../test-keys/rsa2048-a.pkcs1.pem"))
            .build()
            .unwrap();
        let error = no_ids.preflight_recorded(&[say_hello], 1).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("gRPC method `/helloworld.Greeter/SayHello` (`greeting::say_hello`) cannot be protected: "),
            "{error}"
        );
    }

    #[test]
    fn the_first_handler_that_cannot_be_served_is_named() {
        let no_ids = Verifier::builder()
            .public_key_pem(include_str!("../test-keys/rsa2048-a.pkcs1.pem"))
            .build()
            .unwrap();
        let handlers = [
            protected_handler(
                "fine",
                "m",
                Policy::new().namespace_id("ns").container_id("ct"),
            ),
            protected_handler("bad", "m", Policy::new()),
        ];
        let error = no_ids.preflight_recorded(&handlers, 1).unwrap_err();
        assert_eq!(error.handler().map(ProtectedHandler::name), Some("bad"));
        assert!(error.config_error().is_some());
        assert!(
            error
                .to_string()
                .starts_with("handler `m::bad` cannot be protected: "),
            "{error}"
        );
    }
}
