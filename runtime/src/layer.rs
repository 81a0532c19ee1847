//! The attribute's check as tower middleware, for a whole service or router (feature `tower`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use crate::{Policy, Rejection, Verifier, access, grpc};

/// Protects every request to the wrapped service with a [`Policy`], the same options and the
/// same responses as `#[scw_private]`.
///
/// An accepted request reaches the inner service with its [`Access`](crate::Access) in the request
/// extensions, and its [`Claims`](crate::Claims) when a token let it in (so axum's
/// extractors find them without verifying again). A
/// refused one never reaches it: the layer answers with the RFC 6750 response, whose body type
/// is built `From<String>` (axum's `Body`, `http_body_util::Full<Bytes>`, `String`, ...).
///
/// The verifier is the one given with [`verifier`](Self::verifier), else a request extension
/// of type [`Verifier`], else [`Verifier::global`].
///
/// ```
/// # #[cfg(feature = "axum-0_8")] {
/// use axum::{Router, routing::get};
/// use scw_private::layer::ScwPrivateLayer;
/// use scw_private::{Claims, Policy, Scope};
///
/// async fn whoami(claims: Claims) -> String {
///     format!("{:?}", claims.kind())
/// }
///
/// let app: Router = Router::new()
///     .route("/whoami", get(whoami))
///     .layer(ScwPrivateLayer::new(Policy::new().scope(Scope::ContainerToken)));
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct ScwPrivateLayer {
    verifier: Option<Verifier>,
    policy: Policy,
}

impl ScwPrivateLayer {
    /// Protects with `policy` (like the attribute's arguments), checked by the environment's
    /// verifier unless [`verifier`](Self::verifier) gives another.
    pub fn new(policy: Policy) -> Self {
        Self {
            verifier: None,
            policy,
        }
    }

    /// Checks requests with this verifier.
    pub fn verifier(mut self, verifier: Verifier) -> Self {
        self.verifier = Some(verifier);
        self
    }
}

impl<S> Layer<S> for ScwPrivateLayer {
    type Service = ScwPrivate<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ScwPrivate {
            inner,
            verifier: self.verifier.clone(),
            policy: self.policy,
        }
    }
}

/// The service [`ScwPrivateLayer`] wraps around another.
#[derive(Clone, Debug)]
pub struct ScwPrivate<S> {
    inner: S,
    verifier: Option<Verifier>,
    policy: Policy,
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for ScwPrivate<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    ResBody: RefusalBody,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        let verifier = match &self.verifier {
            Some(verifier) => verifier,
            None => Verifier::of_request(request.extensions()),
        };
        match verifier.authorize(request.headers(), &self.policy) {
            Ok(access) => {
                access::hand_to_service(request.extensions_mut(), access);
                ResponseFuture::inner(self.inner.call(request))
            }
            Err(rejection) => {
                let grpc = grpc::is_grpc_call(request.headers());
                ResponseFuture::refused(response(&rejection, grpc))
            }
        }
    }
}

/// The refusal as the caller understands it: a trailers-only gRPC response for a gRPC call,
/// the RFC 6750 response otherwise.
fn response<B: RefusalBody>(rejection: &Rejection, grpc: bool) -> http::Response<B> {
    let response = if grpc {
        rejection.to_grpc_response()
    } else {
        rejection.to_response()
    };
    let mut response = response.map(B::from_refusal);
    response.extensions_mut().insert(rejection.kind());
    response
}

/// A response body the layer can answer a refusal with: the RFC 6750 JSON text, or the empty
/// body of a gRPC refusal.
///
/// Implemented for the bodies of the frameworks this crate supports. For a body of your own,
/// implement it (or map your service's body to one of these before the layer):
///
/// ```
/// use scw_private::layer::RefusalBody;
///
/// struct Text(String);
///
/// impl RefusalBody for Text {
///     fn from_refusal(text: String) -> Self {
///         Text(text)
///     }
/// }
/// ```
pub trait RefusalBody {
    /// The body holding `text` (empty for a gRPC refusal).
    fn from_refusal(text: String) -> Self;
}

impl RefusalBody for String {
    fn from_refusal(text: String) -> Self {
        text
    }
}

/// hyper's usual body.
impl RefusalBody for http_body_util::Full<bytes::Bytes> {
    fn from_refusal(text: String) -> Self {
        http_body_util::Full::new(bytes::Bytes::from(text))
    }
}

#[cfg(feature = "axum-0_8")]
impl RefusalBody for axum::body::Body {
    fn from_refusal(text: String) -> Self {
        axum::body::Body::from(text)
    }
}

#[cfg(feature = "tonic-0_14")]
impl RefusalBody for tonic::body::Body {
    fn from_refusal(text: String) -> Self {
        if text.is_empty() {
            // Ends the stream with the headers: a trailers-only response.
            tonic::body::Body::empty()
        } else {
            tonic::body::Body::new(text)
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`ScwPrivate`]: the inner service's, or a refusal.
    pub struct ResponseFuture<F, B> {
        #[pin]
        state: State<F, B>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProjection]
    enum State<F, B> {
        Inner { #[pin] future: F },
        Refused { response: Option<http::Response<B>> },
    }
}

impl<F, B> ResponseFuture<F, B> {
    fn inner(future: F) -> Self {
        Self {
            state: State::Inner { future },
        }
    }

    fn refused(response: http::Response<B>) -> Self {
        Self {
            state: State::Refused {
                response: Some(response),
            },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<http::Response<B>, E>>,
{
    type Output = Result<http::Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProjection::Inner { future } => future.poll(cx),
            StateProjection::Refused { response } => Poll::Ready(Ok(response
                .take()
                .expect("ResponseFuture polled after completion"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::future::Ready;

    use super::*;
    use crate::{Access, Claims, Scope};

    /// Answers 200 with the claims it was handed, or `public`.
    #[derive(Clone)]
    struct Echo;

    impl Service<http::Request<()>> for Echo {
        type Response = http::Response<String>;
        type Error = Infallible;
        type Future = Ready<Result<Self::Response, Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: http::Request<()>) -> Self::Future {
            let access = request.extensions().get::<Access>();
            let claims = request.extensions().get::<Claims>();
            assert_eq!(access.and_then(Access::claims), claims, "both or neither");
            let body = match (access, claims) {
                (Some(_), Some(claims)) => format!("{:?}", claims.kind()),
                (Some(access), None) => access.as_str().to_owned(),
                (None, _) => unreachable!("the layer always says how a request got in"),
            };
            std::future::ready(Ok(http::Response::new(body)))
        }
    }

    fn call(layer: &ScwPrivateLayer, headers: &[(&'static str, &str)]) -> http::Response<String> {
        let mut request = http::Request::new(());
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.parse().unwrap());
        }
        let mut service = layer.layer(Echo);
        let future = service.call(request);
        // Both futures are ready on the first poll.
        let waker = std::task::Waker::noop();
        match std::pin::pin!(future).poll(&mut Context::from_waker(waker)) {
            Poll::Ready(Ok(response)) => response,
            _ => unreachable!(),
        }
    }

    const PEM: &str = include_str!("../test-keys/rsa2048-a.pkcs1.pem");

    fn verifier(public: bool) -> Verifier {
        Verifier::builder()
            .public_key_pem(PEM)
            .namespace_id("ns-1")
            .container_id("ct-1")
            .public(public)
            .build()
            .unwrap()
    }

    #[test]
    fn refuses_with_the_rfc_6750_response_and_the_class_in_extensions() {
        let response = call(
            &ScwPrivateLayer::new(Policy::new()).verifier(verifier(false)),
            &[],
        );
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"scw-private\""
        );
        assert_eq!(
            response.body(),
            r#"{"error":"missing_token","error_description":"the request carries no token"}"#
        );
        assert_eq!(
            response.extensions().get::<crate::RejectionKind>(),
            Some(&crate::RejectionKind::MissingCredentials)
        );
    }

    #[test]
    fn a_grpc_call_is_refused_in_grpc_and_nothing_else_is() {
        let layer = ScwPrivateLayer::new(Policy::new().scope(Scope::ContainerToken))
            .verifier(verifier(false));
        for content_type in ["application/grpc", "application/grpc+proto"] {
            let response = call(&layer, &[("content-type", content_type)]);
            assert_eq!(response.status(), 200, "{content_type}");
            assert_eq!(response.headers()["grpc-status"], "16");
            assert_eq!(
                response.headers()["grpc-message"],
                "the request carries no token"
            );
            assert!(response.body().is_empty());
            assert_eq!(
                response.extensions().get::<crate::RejectionKind>(),
                Some(&crate::RejectionKind::MissingCredentials)
            );
        }
        let http = call(&layer, &[("content-type", "application/grpc-web")]);
        assert_eq!(http.status(), 401);
        assert!(!http.headers().contains_key("grpc-status"));
    }

    #[test]
    fn every_refusal_body_holds_the_text() {
        use http_body_util::BodyExt as _;

        let collect = |body: http_body_util::Full<bytes::Bytes>| {
            let future = body.collect();
            match std::pin::pin!(future).poll(&mut Context::from_waker(std::task::Waker::noop())) {
                Poll::Ready(Ok(collected)) => collected.to_bytes(),
                _ => unreachable!("a full body is ready"),
            }
        };
        assert_eq!(String::from_refusal("x".to_owned()), "x");
        let full = http_body_util::Full::<bytes::Bytes>::from_refusal("{}".to_owned());
        assert_eq!(collect(full), "{}");
    }

    #[cfg(feature = "tonic-0_14")]
    #[test]
    fn tonic_s_body_is_empty_for_a_grpc_refusal() {
        use http_body::Body as _;

        assert!(tonic::body::Body::from_refusal(String::new()).is_end_stream());
        let json = tonic::body::Body::from_refusal("{}".to_owned());
        assert!(!json.is_end_stream());
        assert_eq!(json.size_hint().exact(), Some(2));
    }

    #[cfg(feature = "axum-0_8")]
    #[test]
    fn axum_s_body_holds_the_text() {
        use http_body::Body as _;

        let body = axum::body::Body::from_refusal("{}".to_owned());
        assert_eq!(body.size_hint().exact(), Some(2));
    }

    #[test]
    fn hands_the_claims_to_the_inner_service() {
        let token = crate::token::tests::sign(
            &serde_json::json!({"application_claim": [{"namespace_id": "ns-1"}]}),
        );
        let layer = ScwPrivateLayer::new(Policy::new()).verifier(verifier(false));
        let response = call(&layer, &[("x-auth-token", &token)]);
        assert_eq!(
            (response.status().as_u16(), response.body().as_str()),
            (200, "Namespace")
        );
        let container_only = ScwPrivateLayer::new(Policy::new().scope(Scope::ContainerToken))
            .verifier(verifier(false));
        assert_eq!(
            call(&container_only, &[("x-auth-token", &token)]).status(),
            403
        );
    }

    #[test]
    fn public_if_env_and_header_options() {
        let public =
            ScwPrivateLayer::new(Policy::new().public_if_env(true)).verifier(verifier(true));
        assert_eq!(call(&public, &[]).body(), "public_container");
        let token = crate::token::tests::sign(
            &serde_json::json!({"application_claim": [{"namespace_id": "ns-1"}]}),
        );
        let custom =
            ScwPrivateLayer::new(Policy::new().header("X-Token")).verifier(verifier(false));
        assert_eq!(call(&custom, &[("x-auth-token", &token)]).status(), 401);
        assert_eq!(call(&custom, &[("x-token", &token)]).status(), 200);
    }

    /// An inner service that is not ready, and says so.
    #[derive(Clone)]
    struct Busy;

    impl Service<http::Request<()>> for Busy {
        type Response = http::Response<String>;
        type Error = &'static str;
        type Future = Ready<Result<Self::Response, Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Err("busy"))
        }

        fn call(&mut self, _: http::Request<()>) -> Self::Future {
            unreachable!("never ready")
        }
    }

    #[test]
    fn readiness_is_the_inner_service_s() {
        let mut service = ScwPrivateLayer::new(Policy::new())
            .verifier(verifier(false))
            .layer(Busy);
        let waker = std::task::Waker::noop();
        assert_eq!(
            service.poll_ready(&mut Context::from_waker(waker)),
            Poll::Ready(Err("busy"))
        );
    }
}
