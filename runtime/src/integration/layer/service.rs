//! The service the layer wraps around another: the check, then the inner service or a refusal.

use std::task::{Context, Poll};

use bytes::Bytes;
use tower_service::Service;

use super::ResponseFuture;
use super::paths::{Paths, Rule};
use crate::integration::hand_to_service;
use crate::verification::metrics::Protocol;
use crate::{Rejection, Verifier};

/// The service [`ScwPrivateLayer`](super::ScwPrivateLayer) wraps around another.
///
/// With tonic, it keeps the inner service's `NamedService` name, so one generated server can
/// be wrapped on its own: `Server::builder().add_service(ScwPrivateLayer::new(policy).layer(GreeterServer::new(..)))`.
#[derive(Clone, Debug)]
pub struct ScwPrivate<S> {
    inner: S,
    verifier: Verifier,
    paths: Paths,
}

impl<S> ScwPrivate<S> {
    pub(super) fn new(inner: S, verifier: Verifier, paths: Paths) -> Self {
        Self {
            inner,
            verifier,
            paths,
        }
    }
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for ScwPrivate<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
{
    type Response = http::Response<super::ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        let policy = match self.paths.rule(request.uri().path()) {
            Rule::Check(policy) => policy,
            Rule::Public => return ResponseFuture::inner(self.inner.call(request)),
        };
        // A layer sees no router: the path, without its query.
        let route = || Some(request.uri().path().into());
        match self.verifier.authorize_on(
            request.headers(),
            &policy,
            counted_protocol(&request),
            route,
        ) {
            Ok(access) => {
                hand_to_service(request.extensions_mut(), access);
                ResponseFuture::inner(self.inner.call(request))
            }
            Err(rejection) => ResponseFuture::refused(refusal(&rejection, is_grpc_call(&request))),
        }
    }
}

#[cfg(feature = "tonic-0_14")]
impl<S: tonic::server::NamedService> tonic::server::NamedService for ScwPrivate<S> {
    const NAME: &'static str = S::NAME;
}

/// The refusal as the caller understands it: a trailers-only gRPC response for a gRPC call,
/// the RFC 6750 response otherwise, with the class in the extensions for outer middleware.
pub(crate) fn refusal(rejection: &Rejection, grpc: bool) -> http::Response<Option<Bytes>> {
    let mut response = if grpc {
        rejection.to_grpc_response().map(|()| None)
    } else {
        rejection.to_response().map(|text| Some(Bytes::from(text)))
    };
    response.extensions_mut().insert(rejection.kind());
    response
}

/// The protocol a check is counted under: the one its refusal would be answered in. Read
/// only where checks are counted (feature `metrics`), so that without it an accepted request
/// costs no more than it did.
pub(crate) fn counted_protocol<B>(request: &http::Request<B>) -> Protocol {
    if cfg!(feature = "metrics") && is_grpc_call(request) {
        Protocol::Grpc
    } else {
        Protocol::Http
    }
}

/// Whether a request is a gRPC call: a `POST` whose `content-type` is `application/grpc`,
/// alone, with a `+proto`/`+json` (any) suffix, or with parameters. `application/grpc-web` is
/// another protocol, whose clients read HTTP statuses, and a `GET` is no gRPC call whatever it
/// claims: both are answered in HTTP.
pub(crate) fn is_grpc_call<B>(request: &http::Request<B>) -> bool {
    request.method() == http::Method::POST && Protocol::of(request.headers()) == Protocol::Grpc
}
