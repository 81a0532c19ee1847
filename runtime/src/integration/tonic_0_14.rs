//! gRPC services with tonic 0.14 (feature `tonic-0_14`).
//!
//! A private container's gRPC calls carry the same tokens as its HTTP requests, in metadata
//! (`x-auth-token`, or `authorization: Bearer ...`). Three ways to check them, each with the
//! same policies and the same refusals, as gRPC statuses. Each reads the call's headers only,
//! before tonic's generated server reads a byte of the call's message:
//!
//! | | protects | how |
//! |---|---|---|
//! | [`#[scw_private]`](crate::scw_private) on the methods and on the `impl` | each method, its own policy | [`protect`]`(MyGreeter, GreeterServer::new)` |
//! | [`ScwPrivateInterceptor`] | one service | `XServer::with_interceptor(service, ScwPrivateInterceptor::new(policy))` |
//! | [`ScwPrivateLayer`](crate::layer::ScwPrivateLayer) | every service of a server, one service, or a router mixing REST and gRPC | `Server::builder().layer(ScwPrivateLayer::new(policy))` |
//!
//! A refused call never reaches the method: a message that never ends cannot hold it, a
//! malformed message is never decoded, and a token in the call's trailers is never read. The
//! status is the refusal's class
//! ([`RejectionKind::grpc_code`](crate::RejectionKind::grpc_code)), and its message the
//! same short text as the HTTP body's `error_description`, never a token or a key:
//!
#![doc = include_str!("../../docs/grpc-statuses.md")]
//!
//! An accepted call carries what the check found in its extensions: the [`Access`], and the
//! [`Claims`](crate::Claims) when a token let it in.
//!
//! ```
//! use scw_private::tonic_0_14::ScwPrivateInterceptor;
//! use scw_private::{Claims, Policy, Scope};
//!
//! // `GreeterServer::with_interceptor(MyGreeter, interceptor)`, for tonic-build's code.
//! let interceptor = ScwPrivateInterceptor::new(Policy::new().scope(Scope::NamespaceToken));
//!
//! // In a method: the claims the interceptor verified.
//! fn caller(request: &tonic::Request<()>) -> Option<&Claims> {
//!     request.extensions().get::<Claims>()
//! }
//! ```
//!
//! The whole guide, with a runnable service: [`guide::grpc`](crate::guide::grpc).

use tonic::service::Interceptor;
use tonic::{Code, Request, Status};

mod protect;

pub use self::protect::{ProtectedService, ScwPrivateServer, protect};

use self::protect::CheckedMethod;
use crate::ConfigError;
use crate::expansion::MethodRequest;
use crate::integration::{hand_to_service, request_verifier};
use crate::verification::log;
use crate::verification::metrics::{self, Protocol};
use crate::{Access, Policy, Rejection, Verifier};

/// Checks every call of one tonic service with a [`Policy`]: give it to the generated
/// `XServer::with_interceptor`.
///
/// An accepted call reaches the method with its [`Access`] (and [`Claims`](crate::Claims),
/// when a token let it in) in [`Request::extensions`]. A refused one never does: tonic answers
/// the [`Status`] this returns before the request's body is read. The verifier is fixed when
/// the interceptor is built: [`Verifier::global`], or the one given with
/// [`verifier`](Self::verifier). A request extension of type [`Verifier`] is never read (see
/// [which verifier checks a request](crate::Verifier#which-verifier-checks-a-request)).
///
/// ```
/// use scw_private::tonic_0_14::ScwPrivateInterceptor;
/// use scw_private::{Policy, RejectionKind, Verifier};
///
/// # let pem = include_str!("../../test-keys/rsa2048-a.pkcs1.pem");
/// let verifier = Verifier::builder()
///     .public_key_pem(pem)
///     .namespace_id("11111111-1111-1111-1111-111111111111")
///     .container_id("22222222-2222-2222-2222-222222222222")
///     .build()?;
/// let mut interceptor = ScwPrivateInterceptor::new(Policy::new()).verifier(verifier);
///
/// use tonic::service::Interceptor as _;
/// let status = interceptor.call(tonic::Request::new(())).unwrap_err();
/// assert_eq!(status.code(), tonic::Code::Unauthenticated);
/// assert_eq!(status.message(), "the request carries no token");
/// # Ok::<(), scw_private::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct ScwPrivateInterceptor {
    verifier: Verifier,
    policy: Policy,
    /// `/package.Service`, the route a refusal's event names, when the service's name was
    /// given. Shared: a router may clone the interceptor for every call.
    route: Option<std::sync::Arc<str>>,
}

impl ScwPrivateInterceptor {
    /// Checks calls with `policy` (like the attribute's arguments), with [`Verifier::global`]
    /// unless [`verifier`](Self::verifier) gives another.
    pub fn new(policy: Policy) -> Self {
        Self {
            verifier: Verifier::global().clone(),
            policy,
            route: None,
        }
    }

    /// Checks calls with this verifier instead of [`Verifier::global`].
    pub fn verifier(mut self, verifier: Verifier) -> Self {
        self.verifier = verifier;
        self
    }

    /// Names the service in the event of each refusal, as its `route`: `/package.Service`.
    /// An interceptor cannot see which method was called (tonic hands it the metadata
    /// alone), so without this its refusals name no route. The generated server's name is
    /// its `NamedService::NAME`.
    ///
    /// ```
    /// use scw_private::Policy;
    /// use scw_private::tonic_0_14::ScwPrivateInterceptor;
    ///
    /// // tonic-build's code: `ScwPrivateInterceptor::new(policy).service_name(GreeterServer::<MyGreeter>::NAME)`.
    /// let interceptor = ScwPrivateInterceptor::new(Policy::new()).service_name("helloworld.Greeter");
    /// ```
    pub fn service_name(mut self, name: &str) -> Self {
        self.route = Some(format!("/{name}").into());
        self
    }
}

impl Interceptor for ScwPrivateInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        // The metadata's headers as received: ASCII entries are the token headers; a `-bin`
        // entry has another name (`x-auth-token-bin`), so it is never read as a token.
        let route = || self.route.as_deref().map(Into::into);
        let access = self.verifier.authorize_on(
            request.metadata().as_ref(),
            &self.policy,
            Protocol::Grpc,
            route,
        )?;
        hand_to_service(request.extensions_mut(), access);
        Ok(request)
    }
}

/// Checks one call against `policy`, from inside a method: to choose the policy at run time,
/// or to check more than the method's form already did.
///
/// **It runs late.** By the time any method runs, tonic has read and decoded the call's whole
/// message, and merged the call's trailers into its metadata, which this function reads: a
/// token sent in the trailers counts here. So this is no way to protect a method on its own:
/// put the method behind [`protect`], the interceptor or the layer, which refuse a call on its
/// headers before its message is read, and use this only in addition.
///
/// On success the request's extensions hold the [`Access`] (and the
/// [`Claims`](crate::Claims), when a token let it in), which is also returned. The verifier
/// is a request extension of type [`Verifier`] if there is one, else [`Verifier::global`].
///
/// ```
/// use scw_private::tonic_0_14::authorize;
/// use scw_private::{Policy, Scope};
/// use tonic::{Request, Response, Status};
///
/// const CONTAINER_ONLY: Policy = Policy::new().scope(Scope::ContainerToken);
///
/// async fn restart(mut request: Request<()>) -> Result<Response<()>, Status> {
///     authorize(&mut request, &CONTAINER_ONLY)?;
///     Ok(Response::new(()))
/// }
/// ```
pub fn authorize<T>(request: &mut Request<T>, policy: &Policy) -> Result<Access, Status> {
    let verifier = request_verifier(request.extensions());
    let access =
        verifier.authorize_on(request.metadata().as_ref(), policy, Protocol::Grpc, || None)?;
    hand_to_service(request.extensions_mut(), access.clone());
    Ok(access)
}

/// What `#[scw_private]` on a method calls at the top of its body: the second line, behind
/// [`protect`], which checked the call before its message was read. A call that reached the
/// method without that check is refused as a misconfiguration (`INTERNAL`, logged at error
/// level), never checked late on metadata that tonic has merged with the call's trailers.
impl<T> MethodRequest for Request<T> {
    type Status = Status;

    #[inline]
    fn confirm(&self, method: &'static str) -> Result<(), Status> {
        match self.extensions().get::<CheckedMethod>() {
            Some(CheckedMethod(checked)) if *checked == method => Ok(()),
            // Checked for another method, or not at all.
            _ => {
                let rejection = Rejection::misconfigured(ConfigError::UncheckedMethod { method });
                metrics::check_without_verifier(Err(&rejection), Protocol::Grpc);
                log::refused(&rejection, false, log::Context::default());
                Err(rejection.into())
            }
        }
    }
}

impl From<Rejection> for Status {
    /// The refusal as a gRPC status: its class's code ([`RejectionKind::grpc_code`]) and its
    /// reason's text. Nothing about the configuration, which only the logs see.
    ///
    /// The rejection itself is the status's [`source`](std::error::Error::source), for code of
    /// the server's that holds the status (an interceptor wrapping this one): it can read why
    /// with `status.source().and_then(|e| e.downcast_ref::<Rejection>())`. It never leaves the
    /// server.
    ///
    /// [`RejectionKind::grpc_code`]: crate::RejectionKind::grpc_code
    fn from(rejection: Rejection) -> Self {
        let mut status = Status::new(
            Code::from(rejection.kind().grpc_code()),
            rejection.reason().as_str(),
        );
        status.set_source(std::sync::Arc::new(rejection));
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Claims, Reason, RejectionKind, Scope};

    const PEM: &str = include_str!("../../test-keys/rsa2048-a.pkcs1.pem");

    fn verifier() -> Verifier {
        Verifier::builder()
            .public_key_pem(PEM)
            .namespace_id("ns-1")
            .container_id("ct-1")
            .public(false)
            .build()
            .unwrap()
    }

    fn request(metadata: &[(&'static str, &str)]) -> Request<()> {
        let mut request = Request::new(());
        for (name, value) in metadata {
            request.metadata_mut().insert(*name, value.parse().unwrap());
        }
        request
    }

    fn namespace_token() -> String {
        crate::verification::token::tests::sign(
            &serde_json::json!({"application_claim": [{"namespace_id": "ns-1"}]}),
        )
    }

    #[test]
    fn each_class_is_its_grpc_code_with_the_reason_as_message() {
        for (reason, code) in [
            (Reason::NoToken, Code::Unauthenticated),
            (Reason::Expired, Code::Unauthenticated),
            (Reason::HeaderMalformed, Code::InvalidArgument),
            (Reason::NotGranted, Code::PermissionDenied),
            (Reason::Misconfigured, Code::Internal),
        ] {
            let status = Status::from(Rejection::new(reason));
            assert_eq!(status.code(), code, "{reason:?}");
            assert_eq!(status.message(), reason.as_str());
            assert!(status.metadata().is_empty());
            // Why, for the server's own code: the rejection is the status's source.
            let source = std::error::Error::source(&status)
                .and_then(|source| source.downcast_ref::<Rejection>())
                .expect("the rejection as the source");
            assert_eq!(source.reason(), reason);
        }
    }

    #[test]
    fn the_interceptor_hands_the_claims_over_or_refuses() {
        let mut interceptor = ScwPrivateInterceptor::new(Policy::new()).verifier(verifier());
        let accepted = interceptor
            .call(request(&[("x-auth-token", &namespace_token())]))
            .unwrap();
        let claims = accepted.extensions().get::<Claims>().unwrap();
        assert_eq!(claims.namespace_id(), Some("ns-1"));
        assert_eq!(
            accepted
                .extensions()
                .get::<Access>()
                .and_then(Access::claims),
            Some(claims)
        );

        let bearer = format!("Bearer {}", namespace_token());
        assert!(
            interceptor
                .call(request(&[("authorization", &bearer)]))
                .is_ok()
        );

        let mut container_only =
            ScwPrivateInterceptor::new(Policy::new().scope(Scope::ContainerToken))
                .verifier(verifier());
        let refused = container_only
            .call(request(&[("x-auth-token", &namespace_token())]))
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);
        assert_eq!(refused.message(), Reason::ContainerTokenRequired.as_str());
    }

    #[test]
    fn a_policy_the_attribute_refuses_is_internal_in_both_forms() {
        let conflicting = Policy::new()
            .scope(Scope::ContainerToken)
            .platform_iam(true);
        let mut interceptor = ScwPrivateInterceptor::new(conflicting).verifier(verifier());
        assert_eq!(
            interceptor.call(request(&[])).unwrap_err().code(),
            Code::Internal
        );
        let mut call = request(&[]);
        call.extensions_mut().insert(verifier());
        assert_eq!(
            authorize(&mut call, &conflicting).unwrap_err().code(),
            Code::Internal
        );
    }

    #[test]
    fn the_interceptor_never_takes_a_verifier_from_the_request() {
        // Built with a private container's verifier: a request that brings a public one must
        // not make a `public_if_env` service public.
        let mut interceptor =
            ScwPrivateInterceptor::new(Policy::new().public_if_env(true)).verifier(verifier());
        let public = Verifier::builder()
            .public_key_pem(PEM)
            .namespace_id("ns-1")
            .container_id("ct-1")
            .public(true)
            .build()
            .unwrap();
        let mut call = request(&[]);
        call.extensions_mut().insert(public);
        assert_eq!(
            interceptor.call(call).unwrap_err().code(),
            Code::Unauthenticated
        );
    }

    #[test]
    fn a_method_confirms_only_a_check_made_for_it() {
        let unchecked = Request::new(());
        let refused = unchecked.confirm("say_hello").unwrap_err();
        assert_eq!(refused.code(), Code::Internal);
        assert_eq!(refused.message(), Reason::Misconfigured.as_str());
        let mut checked = Request::new(());
        checked.extensions_mut().insert(CheckedMethod("say_hello"));
        assert!(checked.confirm("say_hello").is_ok());
        // Checked for another method: the route named another method than this one.
        assert_eq!(
            checked.confirm("restart").unwrap_err().code(),
            Code::Internal
        );
    }

    /// A method that finds its call unchecked counts a misconfiguration, though no verifier
    /// is at hand.
    #[cfg(feature = "metrics")]
    #[test]
    fn an_unchecked_method_is_counted_as_misconfigured() {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let prometheus = recorder.handle();
        ::metrics::with_local_recorder(&recorder, || {
            for _ in 0..2 {
                assert!(Request::new(()).confirm("say_hello").is_err());
            }
        });
        let series = r#"scw_private_checks_total{outcome="misconfigured",setting="method",protocol="grpc"} 2"#;
        let text = prometheus.render();
        assert!(text.lines().any(|line| line == series), "{text}");
    }

    #[test]
    fn binary_metadata_is_never_a_token() {
        let mut interceptor = ScwPrivateInterceptor::new(Policy::new()).verifier(verifier());
        let mut call = Request::new(());
        call.metadata_mut().insert_bin(
            "x-auth-token-bin",
            tonic::metadata::MetadataValue::from_bytes(namespace_token().as_bytes()),
        );
        let refused = interceptor.call(call).unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated);
        assert_eq!(refused.message(), Reason::NoToken.as_str());
    }

    #[test]
    fn authorize_takes_the_verifier_from_the_extensions() {
        let mut call = request(&[("x-auth-token", &namespace_token())]);
        call.extensions_mut().insert(verifier());
        let access = authorize(&mut call, &Policy::new()).unwrap();
        assert_eq!(access.claims().and_then(Claims::namespace_id), Some("ns-1"));
        assert_eq!(call.extensions().get::<Access>(), Some(&access));
        let refused = authorize(&mut call, &Policy::new().scope(Scope::ContainerToken));
        assert_eq!(
            refused.unwrap_err().code(),
            Code::from(RejectionKind::InsufficientScope.grpc_code())
        );
    }
}
