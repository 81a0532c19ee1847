use std::convert::Infallible;
use std::future::{Future, Ready};
use std::task::{Context, Poll};

use http_body::Body as _;
use tower_layer::Layer as _;
use tower_service::Service;

use super::*;
use crate::{Access, Claims, RejectionKind, Scope};

/// Answers 200 with the claims it was handed, or how the request got in.
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
            // Let through unchecked, by a `public` entry.
            (None, _) => "unchecked".to_owned(),
        };
        std::future::ready(Ok(http::Response::new(body)))
    }
}

fn ready<T>(future: impl Future<Output = T>) -> T {
    let waker = std::task::Waker::noop();
    match std::pin::pin!(future).poll(&mut Context::from_waker(waker)) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("every future here is ready on its first poll"),
    }
}

/// The whole body, read frame by frame as a server would.
fn text(response: &mut http::Response<ResponseBody<String>>) -> String {
    let mut text = Vec::new();
    let mut body = std::pin::pin!(response.body_mut());
    while let Some(frame) = ready(std::future::poll_fn(|cx| body.as_mut().poll_frame(cx))) {
        text.extend_from_slice(&frame.unwrap().into_data().unwrap());
    }
    String::from_utf8(text).unwrap()
}

fn call_with(
    layer: &ScwPrivateLayer,
    method: http::Method,
    headers: &[(&'static str, &str)],
) -> http::Response<ResponseBody<String>> {
    call_to(layer, method, "/", headers)
}

fn call_to(
    layer: &ScwPrivateLayer,
    method: http::Method,
    path: &str,
    headers: &[(&'static str, &str)],
) -> http::Response<ResponseBody<String>> {
    let mut request = http::Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = path.parse().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().unwrap());
    }
    ready(layer.layer(Echo).call(request)).unwrap()
}

fn call(
    layer: &ScwPrivateLayer,
    headers: &[(&'static str, &str)],
) -> http::Response<ResponseBody<String>> {
    call_with(layer, http::Method::POST, headers)
}

const PEM: &str = include_str!("../../../test-keys/rsa2048-a.pkcs1.pem");

fn verifier(public: bool) -> Verifier {
    Verifier::builder()
        .public_key_pem(PEM)
        .namespace_id("ns-1")
        .container_id("ct-1")
        .public(public)
        .build()
        .unwrap()
}

fn namespace_token() -> String {
    crate::verification::token::tests::sign(
        &serde_json::json!({"application_claim": [{"namespace_id": "ns-1"}]}),
    )
}

#[test]
fn refuses_with_the_rfc_6750_response_and_the_class_in_extensions() {
    let mut response = call(
        &ScwPrivateLayer::new(Policy::new()).verifier(verifier(false)),
        &[],
    );
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"scw-private\""
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(
        response.extensions().get::<RejectionKind>(),
        Some(&RejectionKind::MissingCredentials)
    );
    let json = r#"{"error":"missing_token","error_description":"the request carries no token"}"#;
    assert_eq!(response.body().size_hint().exact(), Some(json.len() as u64));
    assert!(!response.body().is_end_stream());
    assert_eq!(text(&mut response), json);
    assert!(response.body().is_end_stream(), "one frame, then the end");
}

#[test]
fn a_grpc_call_is_refused_in_grpc_and_nothing_else_is() {
    let layer =
        ScwPrivateLayer::new(Policy::new().scope(Scope::ContainerToken)).verifier(verifier(false));
    for content_type in [
        "application/grpc",
        "application/grpc+proto",
        "Application/GRPC+json",
        "application/grpc;charset=utf-8",
    ] {
        let mut response = call(&layer, &[("content-type", content_type)]);
        assert_eq!(response.status(), 200, "{content_type}");
        assert_eq!(response.headers()["grpc-status"], "16");
        assert_eq!(
            response.headers()["grpc-message"],
            "the request carries no token"
        );
        assert_eq!(response.headers()["cache-control"], "no-store");
        // Trailers-only: the stream ends with the headers.
        assert!(response.body().is_end_stream());
        assert_eq!(response.body().size_hint().exact(), Some(0));
        assert_eq!(text(&mut response), "");
        assert_eq!(
            response.extensions().get::<RejectionKind>(),
            Some(&RejectionKind::MissingCredentials)
        );
    }
    for content_type in [
        "application/grpc-web",
        "application/grpc-web+proto",
        "application/grpcx",
        "application/grp",
        "application/json",
    ] {
        let http = call(&layer, &[("content-type", content_type)]);
        assert_eq!(http.status(), 401, "{content_type}");
        assert!(!http.headers().contains_key("grpc-status"));
    }
    assert_eq!(call(&layer, &[]).status(), 401, "no content-type");
    // gRPC is a POST: any other method is answered in HTTP, whatever its content-type.
    for method in [http::Method::GET, http::Method::PUT, http::Method::OPTIONS] {
        let http = call_with(
            &layer,
            method.clone(),
            &[("content-type", "application/grpc")],
        );
        assert_eq!(http.status(), 401, "{method}");
        assert!(!http.headers().contains_key("grpc-status"), "{method}");
    }
}

#[test]
fn an_accepted_response_is_the_inner_body_untouched() {
    let layer = ScwPrivateLayer::new(Policy::new()).verifier(verifier(false));
    let mut response = call(&layer, &[("x-auth-token", &namespace_token())]);
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().size_hint().exact(), Some(9));
    assert_eq!(text(&mut response), "Namespace");
    assert!(response.extensions().get::<RejectionKind>().is_none());
}

#[test]
fn hands_the_claims_to_the_inner_service_and_keeps_the_scope() {
    let token = namespace_token();
    let container_only =
        ScwPrivateLayer::new(Policy::new().scope(Scope::ContainerToken)).verifier(verifier(false));
    assert_eq!(
        call(&container_only, &[("x-auth-token", &token)]).status(),
        403
    );
}

#[test]
fn public_if_env_and_header_options() {
    let public = ScwPrivateLayer::new(Policy::new().public_if_env(true)).verifier(verifier(true));
    assert_eq!(text(&mut call(&public, &[])), "public_container");
    let token = namespace_token();
    let custom = ScwPrivateLayer::new(Policy::new().header("X-Token")).verifier(verifier(false));
    assert_eq!(call(&custom, &[("x-auth-token", &token)]).status(), 401);
    assert_eq!(call(&custom, &[("x-token", &token)]).status(), 200);
}

#[test]
fn a_verifier_in_the_request_is_never_the_layer_s() {
    // The layer's own verifier is private with this key; a request that brings a verifier of a
    // public container in its extensions must not turn the route public.
    let layer = ScwPrivateLayer::new(Policy::new().public_if_env(true)).verifier(verifier(false));
    let mut request = http::Request::new(());
    request.extensions_mut().insert(verifier(true));
    let response = ready(layer.layer(Echo).call(request)).unwrap();
    assert_eq!(response.status(), 401);
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

#[test]
fn a_policy_the_attribute_refuses_answers_500_or_internal() {
    let conflicting = Policy::new()
        .scope(Scope::ContainerToken)
        .platform_iam(true);
    let layer = ScwPrivateLayer::new(conflicting).verifier(verifier(false));
    // On a private container, a call without a JWT would be the platform's word.
    assert_eq!(call(&layer, &[]).status(), 500);
    let grpc = call(&layer, &[("content-type", "application/grpc")]);
    assert_eq!(grpc.headers()["grpc-status"], "13");
}

#[test]
fn each_path_gets_its_entry_s_policy_and_the_rest_the_layer_s() {
    let layer = ScwPrivateLayer::new(Policy::new())
        .verifier(verifier(false))
        .path("/admin", Policy::new().scope(Scope::ContainerToken))
        .public("/healthz");
    let token = namespace_token();
    let get = |path: &str, headers: &[(&'static str, &str)]| {
        let mut response = call_to(&layer, http::Method::GET, path, headers);
        (response.status().as_u16(), text(&mut response))
    };
    assert_eq!(get("/healthz", &[]), (200, "unchecked".to_owned()));
    assert_eq!(get("/healthz/deep", &[]).0, 200);
    // The layer's own policy: a namespace token is in, nothing is refused.
    assert_eq!(get("/other", &[("x-auth-token", &token)]).0, 200);
    assert_eq!(get("/other", &[]).0, 401);
    assert_eq!(get("/healthzz", &[]).0, 401);
    assert_eq!(get("/healthz/../admin", &[]).0, 401);
    // The entry's policy: a namespace token is not enough.
    assert_eq!(get("/admin/users", &[("x-auth-token", &token)]).0, 403);
    let listed: Vec<_> = layer.policies().map(Policy::get_scope).collect();
    assert_eq!(listed, [Scope::AnyToken, Scope::ContainerToken]);
}

#[test]
fn the_body_and_the_future_say_what_they_are_in_debug() {
    assert_eq!(
        format!("{:?}", ResponseBody::<String>::refusal(None)),
        "ResponseBody::Refusal"
    );
    assert_eq!(
        format!("{:?}", ResponseBody::inner(String::new())),
        "ResponseBody::Inner"
    );
    let future = ResponseFuture::inner(std::future::ready(Ok::<_, Infallible>(
        http::Response::new(String::new()),
    )));
    assert_eq!(format!("{future:?}"), "ResponseFuture { .. }");
}

/// A check is counted under the protocol its refusal is answered in: gRPC for a gRPC call,
/// HTTP for anything else, a `GET` that claims gRPC's content type included.
#[cfg(feature = "metrics")]
#[test]
fn a_check_is_counted_under_the_protocol_it_is_answered_in() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let prometheus = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        // Built here: a verifier registers its handles with the recorder of its first check.
        let layer = ScwPrivateLayer::new(Policy::new()).verifier(verifier(false));
        let grpc = [("content-type", "application/grpc")];
        assert_eq!(call(&layer, &grpc).headers()["grpc-status"], "16");
        assert_eq!(call_with(&layer, http::Method::GET, &grpc).status(), 401);
        assert_eq!(
            call(&layer, &[("content-type", "application/json")]).status(),
            401
        );
    });
    let text = prometheus.render();
    for (protocol, count) in [("grpc", 1), ("http", 2)] {
        let series = format!(
            r#"scw_private_checks_total{{outcome="refused",class="missing_token",reason="no_token",protocol="{protocol}"}} {count}"#
        );
        assert!(
            text.lines().any(|line| line == series),
            "{series} in {text}"
        );
    }
}
