//! The quickstart's routes on plain hyper 1, no web framework: `cargo run --example hyper`.
//!
//! Each protected route is a tower service wrapped in `ScwPrivateLayer`, which answers
//! refusals itself and hands the verified claims over in the request's extensions. The
//! layer's responses carry its own body type (the route's, or the refusal's), so the routes
//! are boxed to one body type, as a router of mixed services does.

use std::convert::Infallible;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use scw_private::layer::ScwPrivateLayer;
use scw_private::{Access, Claims, Policy, RejectionKind, Scope};
use serde_json::{Value, json};
use tower::util::BoxCloneSyncService;
use tower::{Layer as _, ServiceExt as _, service_fn};

type Body = BoxBody<Bytes, Infallible>;
type Route = BoxCloneSyncService<Request<Incoming>, Response<Body>, Infallible>;

fn json_response(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::from(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        "content-type",
        "application/json".parse().expect("a header value"),
    );
    response
}

fn caller(request: &Request<Incoming>) -> Value {
    match request.extensions().get::<Claims>() {
        Some(claims) => json!(examples::Caller::from(claims.clone())),
        None => json!({"public": true}),
    }
}

/// A route answering who called, behind `layer`.
// The routes' policies. The layer protects them, not the attribute, so
// `Verifier::preflight_handlers` cannot see them: `announce` checks them by list, one per
// protected route (`/echo` is `PRIVATE`).
const PRIVATE: Policy = Policy::new();
const CONTAINER_ONLY: Policy = Policy::new().scope(Scope::ContainerToken);
const NAMESPACE_ONLY: Policy = Policy::new().scope(Scope::NamespaceToken);
const MAYBE_PUBLIC: Policy = Policy::new().public_if_env(true);
const PLATFORM_IAM: Policy = Policy::new().platform_iam(true);
const LAYER_POLICIES: [Policy; 6] = [
    PRIVATE,
    CONTAINER_ONLY,
    NAMESPACE_ONLY,
    MAYBE_PUBLIC,
    PLATFORM_IAM,
    PRIVATE,
];

fn protected(layer: ScwPrivateLayer) -> Route {
    let handler = service_fn(|request: Request<Incoming>| async move {
        Ok::<_, Infallible>(json_response(StatusCode::OK, &caller(&request)))
    });
    route(layer, handler)
}

/// `handler` behind `layer`, its responses' bodies boxed.
fn route<S>(layer: ScwPrivateLayer, handler: S) -> Route
where
    S: tower::Service<
            Request<Incoming>,
            Response = Response<Full<Bytes>>,
            Error = Infallible,
            Future: Send,
        > + Clone
        + Send
        + Sync
        + 'static,
{
    BoxCloneSyncService::new(
        layer
            .layer(handler)
            .map_response(|response| response.map(|body| body.boxed())),
    )
}

/// Behind the platform's edge: the verified token's caller, or the platform's word.
fn platform_iam() -> Route {
    let handler = service_fn(|request: Request<Incoming>| async move {
        // The layer always says how a request got in.
        let access = request.extensions().get::<Access>().cloned();
        let body = access.map_or(json!({"kind": "unknown"}), examples::platform_iam_caller);
        Ok::<_, Infallible>(json_response(StatusCode::OK, &body))
    });
    route(ScwPrivateLayer::new(PLATFORM_IAM), handler)
}

fn echo() -> Route {
    let handler = service_fn(|request: Request<Incoming>| async move {
        let body = match request.into_body().collect().await {
            Ok(body) => body.to_bytes(),
            Err(_) => {
                return Ok(json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": "unreadable body"}),
                ));
            }
        };
        Ok::<_, Infallible>(match serde_json::from_slice::<Value>(&body) {
            Ok(value) => json_response(StatusCode::OK, &value),
            Err(_) => json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": "the body is not JSON"}),
            ),
        })
    });
    route(ScwPrivateLayer::new(PRIVATE), handler)
}

#[derive(Clone)]
struct Routes {
    private: Route,
    container_only: Route,
    namespace_only: Route,
    maybe_public: Route,
    platform_iam: Route,
    echo: Route,
}

impl Routes {
    fn new() -> Self {
        Self {
            private: protected(ScwPrivateLayer::new(PRIVATE)),
            container_only: protected(ScwPrivateLayer::new(CONTAINER_ONLY)),
            namespace_only: protected(ScwPrivateLayer::new(NAMESPACE_ONLY)),
            maybe_public: protected(ScwPrivateLayer::new(MAYBE_PUBLIC)),
            platform_iam: platform_iam(),
            echo: echo(),
        }
    }

    async fn handle(self, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
        let (method, path) = (request.method().clone(), request.uri().path().to_owned());
        let route = match (&method, path.as_str()) {
            (&Method::GET, "/") => None,
            (&Method::GET, "/private") => Some(self.private),
            (&Method::GET, "/container-only") => Some(self.container_only),
            (&Method::GET, "/namespace-only") => Some(self.namespace_only),
            (&Method::GET, "/maybe-public") => Some(self.maybe_public),
            (&Method::GET, "/platform-iam") => Some(self.platform_iam),
            (&Method::POST, "/echo") => Some(self.echo),
            _ => {
                let response = json_response(StatusCode::NOT_FOUND, &json!({"error": "not found"}));
                examples::log_request(method.as_str(), &path, 404, None);
                return Ok(response.map(|body| body.boxed()));
            }
        };
        let response = match route {
            Some(route) => route.oneshot(request).await?,
            None => json_response(StatusCode::OK, &examples::index()).map(|body| body.boxed()),
        };
        let refusal = response.extensions().get::<RejectionKind>().copied();
        examples::log_request(method.as_str(), &path, response.status().as_u16(), refusal);
        Ok(response)
    }
}

fn main() {
    let mode = examples::start();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(examples::listen_addr())
            .await
            .expect("the port is free");
        examples::announce(
            &mode,
            "hyper example",
            listener.local_addr().expect("a bound address"),
            &LAYER_POLICIES,
        );
        let routes = Routes::new();
        let service = service_fn(move |request| routes.clone().handle(request));
        examples::serve(listener, service).await;
    });
}
