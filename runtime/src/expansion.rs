//! What `#[scw_private]` expansions name. Not public API: it may change in any release.

use std::marker::PhantomData;

use crate::Rejection;
pub use crate::registry::ProtectedHandler;
pub use crate::verification::policy::Policy;
pub use crate::verification::scope::Scope;
/// The distributed-slice macro, named by expansions through this path so that users never
/// add linkme themselves.
pub use linkme;

/// The fixed requirements of one protected handler, implemented by a type the macro generates.
pub trait HandlerPolicy: 'static {
    /// What the handler requires.
    const POLICY: Policy;
}

/// The policy of a handler whose attribute names no string and no function, as a type the
/// runtime defines: the expansion then puts nothing beside the handler, so it may also be an
/// associated function in an `impl` block. `SCOPE`: 0 any token, 1 container, 2 namespace.
pub struct Flags<const SCOPE: u8, const PUBLIC_IF_ENV: bool, const PLATFORM_IAM: bool>;

impl<const SCOPE: u8, const PUBLIC_IF_ENV: bool, const PLATFORM_IAM: bool> HandlerPolicy
    for Flags<SCOPE, PUBLIC_IF_ENV, PLATFORM_IAM>
{
    const POLICY: Policy = Policy::new()
        .scope(match SCOPE {
            0 => Scope::AnyToken,
            1 => Scope::ContainerToken,
            2 => Scope::NamespaceToken,
            // Evaluated at compile time: a code the macro never writes fails the build.
            _ => panic!("no such scope code"),
        })
        .public_if_env(PUBLIC_IF_ENV)
        .platform_iam(PLATFORM_IAM);
}

impl<const SCOPE: u8, const PUBLIC_IF_ENV: bool, const PLATFORM_IAM: bool>
    RenderRejection<Flags<SCOPE, PUBLIC_IF_ENV, PLATFORM_IAM>> for Refusal
{
    fn render(self) -> Reply {
        Reply::Default(self.0)
    }
}

/// A refusal on its way to a handler's renderer. A type of this module's rather than
/// [`Rejection`] itself, so that the impls expansions write never show on `Rejection`'s page.
pub struct Refusal(pub Rejection);

/// How the handler with policy `P` renders a refusal, implemented by the macro for every
/// handler: the RFC 6750 response, or the `on_reject` function's.
///
/// It is implemented on [`Refusal`], taking `self`, because a named parameter in generated
/// code would clash with a unit struct of the same name in the user's scope, whatever its
/// hygiene.
pub trait RenderRejection<P> {
    /// Renders the refusal.
    fn render(self) -> Reply;
}

/// Proof that a web framework feature is enabled, which every expansion asks for: without
/// one, `#[scw_private]` would fail later with an error about the route's handler that names
/// nothing to fix.
#[diagnostic::on_unimplemented(
    message = "`#[scw_private]` needs a web framework: enable the `axum-0_8` or `actix-web-4` feature of `scw-private`",
    label = "no framework feature of `scw-private` is enabled",
    note = "in Cargo.toml: `scw-private = {{ version = \"0.1\", features = [\"axum-0_8\"] }}`"
)]
pub trait FrameworkEnabled {}

#[cfg(any(feature = "axum-0_8", feature = "actix-web-4"))]
impl FrameworkEnabled for () {}

/// The request of a tonic service method that `#[scw_private]` protects. A trait, so that
/// without the feature the error says what to enable.
#[diagnostic::on_unimplemented(
    message = "`#[scw_private]` on a method protects a tonic service method, which takes `tonic::Request<_>`; enable the `tonic-0_14` feature of `scw-private`",
    label = "not a `tonic::Request` with the `tonic-0_14` feature",
    note = "axum and actix-web handlers take no `self`: write them as free functions"
)]
pub trait MethodRequest {
    /// The method's error type.
    type Status;
    /// Confirms, at the top of the method's body, that the service's enforcing piece
    /// (`tonic_0_14::protect`) checked this call for this very method before its message was
    /// read; refuses the call otherwise. Reads nothing of the request but that record.
    fn confirm(&self, method: &'static str) -> Result<(), Self::Status>;
}

/// One method of a tonic service's `impl`, as `#[scw_private]` on the `impl` records it: its
/// name in Rust, the route name it was given (`route = ".."`), and its policy, `None` for a
/// method without the attribute.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(
    not(feature = "tonic-0_14"),
    allow(dead_code, reason = "read by `tonic_0_14::protect`")
)]
pub struct ServiceMethod {
    pub(crate) name: &'static str,
    pub(crate) module_path: &'static str,
    pub(crate) route: Option<&'static str>,
    pub(crate) policy: Option<Policy>,
}

impl ServiceMethod {
    /// A method with `#[scw_private(..)]`, in the `impl` of module `module_path`.
    pub const fn protected(
        name: &'static str,
        module_path: &'static str,
        route: Option<&'static str>,
        policy: Policy,
    ) -> Self {
        Self {
            name,
            module_path,
            route,
            policy: Some(policy),
        }
    }

    /// A method without the attribute: its calls are let through.
    pub const fn public(name: &'static str, module_path: &'static str) -> Self {
        Self {
            name,
            module_path,
            route: None,
            policy: None,
        }
    }

    /// The method part of its route: the one given, else its name in the route's case
    /// (`say_hello` is `SayHello`), for messages.
    pub(crate) fn route_name(&self) -> String {
        if let Some(route) = self.route {
            return route.to_owned();
        }
        let name = self.name.strip_prefix("r#").unwrap_or(self.name);
        name.split('_')
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect()
    }
}

/// What `#[scw_private]` on a service's `impl` implements without the `tonic-0_14` feature: a
/// stand-in for `tonic_0_14::ProtectedService`, so that the expansion compiles and the one
/// error is the method's, which says which feature to enable.
#[cfg(not(feature = "tonic-0_14"))]
pub trait ProtectedServiceStandIn {
    /// The methods, in the order written.
    fn __methods() -> &'static [ServiceMethod];
}

/// The extractor the macro puts first in a protected handler's parameters, so the token is
/// checked before any other extractor runs (and before any body is read).
pub struct Guard<P>(PhantomData<fn() -> P>);

impl<P> Guard<P> {
    #[cfg_attr(
        not(any(feature = "axum-0_8", feature = "actix-web-4")),
        allow(dead_code)
    )]
    pub(crate) fn new() -> Self {
        Self(PhantomData)
    }
}

/// A refusal turned into a response of one of the supported frameworks.
#[non_exhaustive]
pub enum Reply {
    /// The RFC 6750 response.
    Default(Rejection),
    /// An `on_reject` function's axum response.
    #[cfg(feature = "axum-0_8")]
    Axum(axum::response::Response),
    /// An `on_reject` function's actix-web response.
    #[cfg(feature = "actix-web-4")]
    Actix(actix_web::HttpResponse),
}

/// What an `on_reject` function may return.
#[diagnostic::on_unimplemented(
    message = "an `on_reject` function must return `axum::response::Response` or `actix_web::HttpResponse`, not `{Self}`",
    label = "this function's return type",
    note = "with axum, call `.into_response()` on the value and declare `-> axum::response::Response`"
)]
pub trait IntoReply {
    /// Wraps the response.
    fn into_reply(self) -> Reply;
}

// `do_not_recommend` keeps these impls, which live in this crate's sources, out of the
// error a wrong `on_reject` gets: the message above says all there is to say.
#[cfg(feature = "axum-0_8")]
#[diagnostic::do_not_recommend]
impl IntoReply for axum::response::Response {
    fn into_reply(self) -> Reply {
        Reply::Axum(self)
    }
}

#[cfg(feature = "actix-web-4")]
#[diagnostic::do_not_recommend]
impl IntoReply for actix_web::HttpResponse {
    fn into_reply(self) -> Reply {
        Reply::Actix(self)
    }
}
