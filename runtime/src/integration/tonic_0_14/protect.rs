//! The piece that enforces `#[scw_private]` on a tonic service's methods before tonic reads a
//! call: [`protect`] wraps the generated `XServer` in a [`ScwPrivateServer`].
//!
//! tonic's generated server reads and decodes a call's whole message, and merges its trailers
//! into the metadata, before it calls the method: a check in the method's body is too late
//! for all three. So `#[scw_private]` on the `impl` gives the service a table of its methods
//! (name, policy), and the wrapper, in front of the generated server, maps each call's route
//! to its method and checks the call's *headers* against that method's policy before the
//! inner server sees a byte of the message. The method's body then only confirms that this
//! happened (a record the wrapper leaves in the request's extensions), as a second line.
//!
//! ```text
//! POST /helloworld.Greeter/SayHello   -- route's method `SayHello`
//!   -> the table's method whose name, without `_` and in lower case, is `sayhello`
//!      (`say_hello`, as prost and tonic-build name it), or whose `route = ".."` is `SayHello`
//!   -> its policy checked on the headers: refused at once, or the call goes on
//! ```

use std::task::{Context, Poll};

use bytes::Bytes;
use http::HeaderValue;
use tonic::server::NamedService;
use tower_service::Service;

use crate::Verifier;
use crate::expansion::ServiceMethod;
use crate::integration::hand_to_service;
use crate::integration::layer::service::{counted_protocol, is_grpc_call, refusal};
use crate::integration::layer::{ResponseBody, ResponseFuture};

/// A tonic service whose `impl` carries `#[scw_private]`, which gives it a table of its
/// methods and their policies: what [`protect`] enforces.
///
/// It is implemented by the attribute and cannot be implemented by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no table of protected methods",
    label = "`protect` needs the service whose `impl` carries `#[scw_private]`",
    note = "put `#[scw_private]` on the service's `impl` block, above `#[tonic::async_trait]`"
)]
pub trait ProtectedService {
    /// The service's methods, in the order written. Not public API.
    #[doc(hidden)]
    fn __methods() -> &'static [ServiceMethod];
}

/// Serves `service` through `server` (the generated constructor, `GreeterServer::new`, or a
/// closure that configures it) behind the check of its methods' `#[scw_private]` policies.
///
/// Every call is checked on its headers, against the policy of the method its route names,
/// before the generated server reads a byte of its message: a call without a valid credential
/// for its method gets its gRPC status at once, however long its message. A route that names
/// no method of the `impl` is refused with `UNIMPLEMENTED`; a method without the attribute is
/// let through. The check uses [`Verifier::global`] unless
/// [`ScwPrivateServer::verifier`] gives another.
///
/// ```
/// use scw_private::scw_private;
/// use scw_private::tonic_0_14::protect;
/// use tonic::{Request, Response, Status};
/// # mod greeter_server {
/// #     #[tonic::async_trait]
/// #     pub trait Greeter: Send + Sync + 'static {
/// #         async fn say_hello(&self, request: tonic::Request<String>) -> Result<tonic::Response<String>, tonic::Status>;
/// #     }
/// #     #[derive(Clone)]
/// #     pub struct GreeterServer<T>(std::sync::Arc<T>);
/// #     impl<T> GreeterServer<T> { pub fn new(inner: T) -> Self { Self(std::sync::Arc::new(inner)) } }
/// #     impl<T> tonic::server::NamedService for GreeterServer<T> { const NAME: &'static str = "helloworld.Greeter"; }
/// # }
/// use greeter_server::{Greeter, GreeterServer};
///
/// pub struct MyGreeter;
///
/// #[scw_private]
/// #[tonic::async_trait]
/// impl Greeter for MyGreeter {
///     #[scw_private(namespace)]
///     async fn say_hello(&self, request: Request<String>) -> Result<Response<String>, Status> {
///         Ok(Response::new("hello".to_owned()))
///     }
/// }
///
/// let greeter = protect(MyGreeter, GreeterServer::new);
/// // Server::builder().add_service(greeter).serve(addr)
/// ```
pub fn protect<T, S>(service: T, server: impl FnOnce(T) -> S) -> ScwPrivateServer<S>
where
    T: ProtectedService,
    S: NamedService,
{
    let methods = T::__methods();
    // So that preflight names these methods by their routes.
    crate::registry::record_service(S::NAME, methods);
    ScwPrivateServer {
        inner: server(service),
        methods,
        verifier: Verifier::global().clone(),
    }
}

/// A generated tonic server behind the check of its methods' policies: what [`protect`]
/// returns, to give to `Server::builder().add_service(..)`. It keeps the inner server's name.
#[derive(Clone, Debug)]
#[must_use]
pub struct ScwPrivateServer<S> {
    inner: S,
    methods: &'static [ServiceMethod],
    verifier: Verifier,
}

impl<S> ScwPrivateServer<S> {
    /// Checks calls with this verifier instead of [`Verifier::global`].
    pub fn verifier(mut self, verifier: Verifier) -> Self {
        self.verifier = verifier;
        self
    }
}

impl<S: NamedService> NamedService for ScwPrivateServer<S> {
    const NAME: &'static str = S::NAME;
}

/// What the wrapper leaves in an accepted call's extensions for the method's own check: the
/// name of the method whose policy it checked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CheckedMethod(pub(crate) &'static str);

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for ScwPrivateServer<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + NamedService,
{
    type Response = http::Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        let method = route_method(request.uri().path(), S::NAME)
            .and_then(|route| method_of(self.methods, route));
        let Some(method) = method else {
            return ResponseFuture::refused(unimplemented(is_grpc_call(&request)));
        };
        let Some(policy) = &method.policy else {
            // A method without the attribute: nothing to check.
            return ResponseFuture::inner(self.inner.call(request));
        };
        // `/package.Service/Method`.
        let route = || Some(request.uri().path().into());
        match self.verifier.authorize_on(
            request.headers(),
            policy,
            counted_protocol(&request),
            route,
        ) {
            Ok(access) => {
                hand_to_service(request.extensions_mut(), access);
                request.extensions_mut().insert(CheckedMethod(method.name));
                ResponseFuture::inner(self.inner.call(request))
            }
            Err(rejection) => ResponseFuture::refused(refusal(&rejection, is_grpc_call(&request))),
        }
    }
}

/// The method part of a gRPC route, `/{service}/{Method}`, when the service is `service`.
fn route_method<'p>(path: &'p str, service: &str) -> Option<&'p str> {
    let method = path
        .strip_prefix('/')?
        .strip_prefix(service)?
        .strip_prefix('/')?;
    (!method.is_empty() && !method.contains('/')).then_some(method)
}

/// The method a route names: the one given that exact `route`, else the one whose Rust name
/// is the route's in prost's and tonic-build's naming (`GetHTTPStatus` is `get_http_status`):
/// both compared without `_` and in ASCII lower case, which every snake-casing rule agrees
/// on. Two methods that compare equal so are refused by the attribute at compile time.
fn method_of<'m>(methods: &'m [ServiceMethod], route: &str) -> Option<&'m ServiceMethod> {
    if let Some(named) = methods.iter().find(|method| method.route == Some(route)) {
        return Some(named);
    }
    methods
        .iter()
        .find(|method| method.route.is_none() && same_name(method.name, route))
}

/// Whether a Rust method name (`say_hello`, `r#type`, `self_`) and a route's method
/// (`SayHello`) name the same method: equal once `_` is dropped and ASCII is lower-cased.
fn same_name(rust: &str, route: &str) -> bool {
    let rust = rust.strip_prefix("r#").unwrap_or(rust);
    folded(rust).eq(folded(route))
}

/// A name's bytes without `_`, ASCII in lower case.
fn folded(name: &str) -> impl Iterator<Item = u8> + '_ {
    name.bytes()
        .filter(|byte| *byte != b'_')
        .map(|byte| byte.to_ascii_lowercase())
}

/// The answer to a route that names no method of the service: gRPC's `UNIMPLEMENTED`, as
/// tonic answers an unknown method, without reading the call; `404` to anything but a gRPC
/// call.
fn unimplemented(grpc: bool) -> http::Response<Option<Bytes>> {
    let mut response = http::Response::new(None);
    let headers = response.headers_mut();
    headers.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    if grpc {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/grpc"),
        );
        headers.insert(
            "grpc-status",
            HeaderValue::from(tonic::Code::Unimplemented as i32),
        );
        headers.insert(
            "grpc-message",
            HeaderValue::from_static("no method of this service has this route"),
        );
    } else {
        *response.status_mut() = http::StatusCode::NOT_FOUND;
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Policy;

    #[test]
    fn a_route_names_its_service_s_method_and_nothing_else() {
        let s = "helloworld.Greeter";
        assert_eq!(
            route_method("/helloworld.Greeter/SayHello", s),
            Some("SayHello")
        );
        for other in [
            "/helloworld.Greeter/",
            "/helloworld.Greeter",
            "/helloworld.GreeterX/SayHello",
            "/other.Greeter/SayHello",
            "/helloworld.Greeter/Say/Hello",
            "helloworld.Greeter/SayHello",
            "/",
            "",
        ] {
            assert_eq!(route_method(other, s), None, "{other}");
        }
    }

    #[test]
    fn names_match_by_every_snake_casing_rule() {
        for (rust, route) in [
            ("say_hello", "SayHello"),
            ("get_http_status", "GetHTTPStatus"),
            ("get_http_status", "GetHttpStatus"),
            ("r#type", "Type"),
            ("self_", "Self"),
            ("get2_fa", "Get2Fa"),
            ("v2", "V2"),
        ] {
            assert!(same_name(rust, route), "{rust} {route}");
        }
        for (rust, route) in [
            ("say_hello", "SayHi"),
            ("say_hello", "SayHelloX"),
            ("a", ""),
        ] {
            assert!(!same_name(rust, route), "{rust} {route}");
        }
    }

    const POLICY: Policy = Policy::new();

    #[test]
    fn an_explicit_route_wins_and_is_exact() {
        let methods = [
            ServiceMethod::protected("status", "m", Some("GetHTTPStatus"), POLICY),
            ServiceMethod::public("get_http_status", "m"),
        ];
        assert_eq!(method_of(&methods, "GetHTTPStatus").unwrap().name, "status");
        // Not by its Rust name: its route was given.
        assert!(method_of(&methods, "Status").is_none());
        // The other method is found by its name, never as `status`.
        assert_eq!(
            method_of(&methods, "GetHttpStatus").unwrap().name,
            "get_http_status"
        );
        assert!(method_of(&methods, "Unknown").is_none());
    }

    /// A generated server that is never ready, and says so.
    #[derive(Clone)]
    struct Busy;

    impl NamedService for Busy {
        const NAME: &'static str = "test.Busy";
    }

    impl Service<http::Request<()>> for Busy {
        type Response = http::Response<String>;
        type Error = &'static str;
        type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Err("busy"))
        }

        fn call(&mut self, _: http::Request<()>) -> Self::Future {
            unreachable!("never ready")
        }
    }

    struct Table;

    impl ProtectedService for Table {
        fn __methods() -> &'static [ServiceMethod] {
            &[]
        }
    }

    #[test]
    fn readiness_is_the_generated_server_s() {
        let mut server = protect(Table, |_| Busy);
        let waker = std::task::Waker::noop();
        assert_eq!(
            Service::<http::Request<()>>::poll_ready(&mut server, &mut Context::from_waker(waker)),
            Poll::Ready(Err("busy"))
        );
    }

    #[test]
    fn an_unknown_route_is_unimplemented_without_a_body() {
        let grpc = unimplemented(true);
        assert_eq!(grpc.status(), 200);
        assert_eq!(grpc.headers()["grpc-status"], "12");
        assert_eq!(grpc.headers()["cache-control"], "no-store");
        assert!(grpc.body().is_none());
        let http = unimplemented(false);
        assert_eq!(http.status(), 404);
        assert!(!http.headers().contains_key("grpc-status"));
    }
}
