//! Real gRPC calls from a tonic client to a tonic service over loopback h2c, protected in each
//! of the three forms: `#[scw_private]` on the methods, `ScwPrivateInterceptor`, and the tower
//! layer.

use std::sync::atomic::Ordering;
use std::time::Duration;

use scw_private::testing::KeyPair;
use scw_private::{Policy, Scope};
use tests::grpc::{
    Call, Form, ProbeClient, call_route, every_form, grpc_client, serve_grpc, with_metadata,
};
use tests::{CT, NS, Route, SIBLING, Token, check_grpc_route_matrix, platform_token, verifier};
use tonic::Code;
use tonic::transport::server::TcpIncoming;

/// The cases of the HTTP matrix, with `#[scw_private(..)]` on each method: the same arguments
/// as the HTTP routes.
#[tokio::test]
async fn the_route_matrix_holds_over_grpc_with_the_attribute() {
    let (addr, _) = serve_grpc(Form::Attribute, Some(verifier(false))).await;
    let checked = check_grpc_route_matrix(|_| addr).await;
    // 7 routes x (10 tokens x 2 forms + no token).
    assert_eq!(checked, 7 * 21);
}

#[tokio::test]
async fn the_route_matrix_holds_over_grpc_with_the_interceptor() {
    let mut addrs = Vec::new();
    for route in Route::ALL {
        let form = Form::Interceptor(route.policy());
        addrs.push(serve_grpc(form, Some(verifier(false))).await.0);
    }
    let checked = check_grpc_route_matrix(|route| addrs[route as usize]).await;
    assert_eq!(checked, 7 * 21);
}

#[tokio::test]
async fn the_route_matrix_holds_over_grpc_with_the_layer() {
    let mut addrs = Vec::new();
    for route in Route::ALL {
        let form = Form::Layer(route.policy());
        addrs.push(serve_grpc(form, Some(verifier(false))).await.0);
    }
    let checked = check_grpc_route_matrix(|route| addrs[route as usize]).await;
    assert_eq!(checked, 7 * 21);
}

/// A refusal case: what it is, the metadata sent, the status and message expected.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Code, &'a str);

/// Every refusal a client meets first, with its exact status and message, in every form.
#[tokio::test]
async fn each_refusal_is_a_grpc_status_with_its_reason() {
    // Signed by another (test-only) key than the service's.
    let forged = KeyPair::from_private_pem(include_str!(
        "../../runtime/test-keys/rsa2048-a.private.pem"
    ))
    .unwrap()
    .token()
    .namespace(NS)
    .sign();
    let expired = Token::Expired.value().unwrap();
    let sibling = platform_token(Some(NS), Some(SIBLING));
    let iam_key = scw_private::testing::iam_secret_key();
    let cases: [Case<'_>; 7] = [
        (
            "no token",
            vec![],
            Code::Unauthenticated,
            "the request carries no token",
        ),
        (
            "a forged token",
            vec![("x-auth-token", &forged)],
            Code::Unauthenticated,
            "bad signature",
        ),
        (
            "an expired token",
            vec![("x-auth-token", &expired)],
            Code::Unauthenticated,
            "token expired",
        ),
        (
            "a sibling container's token",
            vec![("x-auth-token", &sibling)],
            Code::PermissionDenied,
            "the token does not grant access to this container",
        ),
        (
            "an IAM key alone",
            vec![("x-auth-token", &iam_key)],
            Code::Unauthenticated,
            "an IAM secret key can only be checked by the platform's edge; send a JWT issued for this container",
        ),
        (
            "a malformed header",
            vec![("authorization", "Bearer two words")],
            Code::InvalidArgument,
            "the token header is malformed",
        ),
        (
            "two different tokens",
            vec![("x-auth-token", &expired), ("x-auth-token", &sibling)],
            Code::InvalidArgument,
            "the request carries more than one token",
        ),
    ];
    for form in every_form(Policy::new()) {
        let (addr, _) = serve_grpc(form.clone(), Some(verifier(false))).await;
        let mut client = grpc_client(addr).await;
        for (case, metadata, code, message) in &cases {
            let status = call_route(&mut client, Route::Any, metadata)
                .await
                .expect_err(case);
            assert_eq!(status.code(), *code, "{form:?} {case}: {status:?}");
            assert_eq!(status.message(), *message, "{form:?} {case}");
            // Never the credential, in the message or anywhere in the answer's metadata.
            for (_, value) in metadata {
                assert!(!format!("{status:?}").contains(value), "{form:?} {case}");
            }
        }
    }
}

/// Both spellings a private container's callers use, in every form.
#[tokio::test]
async fn both_metadata_spellings_are_read() {
    let token = platform_token(Some(NS), Some(CT));
    let bearer = format!("Bearer {token}");
    for form in every_form(Policy::new()) {
        let (addr, _) = serve_grpc(form.clone(), Some(verifier(false))).await;
        let mut client = grpc_client(addr).await;
        for metadata in [
            [("x-auth-token", token.as_str())],
            [("authorization", &bearer)],
        ] {
            let caller = call_route(&mut client, Route::Any, &metadata)
                .await
                .unwrap_or_else(|status| panic!("{form:?} {metadata:?}: {status:?}"));
            assert_eq!(
                (caller.access.as_str(), caller.kind.as_str()),
                ("token", "container")
            );
        }
    }
}

/// Binary metadata (`-bin`) has another name: a token in it is no token.
#[tokio::test]
async fn binary_metadata_is_never_read_as_a_token() {
    let token = platform_token(Some(NS), Some(CT));
    for form in every_form(Policy::new()) {
        let (addr, _) = serve_grpc(form.clone(), Some(verifier(false))).await;
        let mut client = grpc_client(addr).await;
        for name in ["x-auth-token-bin", "authorization-bin"] {
            let value = if name.starts_with("authorization") {
                format!("Bearer {token}")
            } else {
                token.clone()
            };
            let status = call_route(&mut client, Route::Any, &[(name, &value)])
                .await
                .expect_err(name);
            assert_eq!(status.code(), Code::Unauthenticated, "{form:?} {name}");
            assert_eq!(status.message(), "the request carries no token");
        }
    }
}

/// A client stream that sends one message and then never ends: a server that read it to the
/// end would never answer.
fn endless_upload() -> impl tokio_stream::Stream<Item = Call> {
    use tokio_stream::StreamExt as _;
    tokio_stream::iter([Call::default()]).chain(tokio_stream::pending())
}

/// A refused client-streaming call never runs the method, so its stream is never read; the
/// refusal comes at once. The same call with a token runs and reads.
#[tokio::test]
async fn a_refused_client_stream_is_answered_at_once_and_never_read() {
    let token = platform_token(Some(NS), Some(CT));
    for form in every_form(Policy::new()) {
        let (addr, runs) = serve_grpc(form.clone(), Some(verifier(false))).await;
        let mut client = grpc_client(addr).await;
        let refused = tokio::time::timeout(
            Duration::from_secs(10),
            client.upload(with_metadata(endless_upload(), &[])),
        )
        .await
        .expect("the refusal does not wait for the stream")
        .expect_err("no token");
        assert_eq!(refused.code(), Code::Unauthenticated, "{form:?}");
        assert_eq!(runs.load(Ordering::SeqCst), 0, "{form:?}: the method ran");

        let accepted = tokio::time::timeout(
            Duration::from_secs(10),
            client.upload(with_metadata(endless_upload(), &[("x-auth-token", &token)])),
        )
        .await
        .expect("the method answers after one message")
        .unwrap_or_else(|status| panic!("{form:?}: {status:?}"))
        .into_inner();
        assert_eq!(accepted.received, 1, "{form:?}");
        assert_eq!(runs.load(Ordering::SeqCst), 1, "{form:?}");
    }
}

/// A server-streaming method for containers only: its stream with a container token, a
/// refusal before it runs with a namespace token.
#[tokio::test]
async fn a_server_stream_is_protected_like_a_unary_call() {
    let container = platform_token(Some(NS), Some(CT));
    let namespace = platform_token(Some(NS), None);
    for form in every_form(Policy::new().scope(Scope::ContainerToken)) {
        let (addr, runs) = serve_grpc(form.clone(), Some(verifier(false))).await;
        let mut client = grpc_client(addr).await;
        let status = client
            .watch(with_metadata(
                Call::default(),
                &[("x-auth-token", &namespace)],
            ))
            .await
            .expect_err("a namespace token");
        assert_eq!(status.code(), Code::PermissionDenied, "{form:?}");
        assert_eq!(
            status.message(),
            "a container token for this container is required"
        );
        assert_eq!(runs.load(Ordering::SeqCst), 0, "{form:?}");

        let mut stream = client
            .watch(with_metadata(
                Call::default(),
                &[("x-auth-token", &container)],
            ))
            .await
            .unwrap_or_else(|status| panic!("{form:?}: {status:?}"))
            .into_inner();
        let mut received = 0;
        while let Some(caller) = stream.message().await.unwrap() {
            assert_eq!(caller.kind, "container");
            received += 1;
        }
        assert_eq!(received, 2, "{form:?}");
    }
}

/// On a public container, `public_if_env` lets a call without a token through, anonymous.
#[tokio::test]
async fn public_if_env_on_a_public_container_lets_an_anonymous_call_through() {
    for form in every_form(Policy::new().public_if_env(true)) {
        let (addr, _) = serve_grpc(form.clone(), Some(verifier(true))).await;
        let mut client: ProbeClient<_> = grpc_client(addr).await;
        let caller = call_route(&mut client, Route::MaybePublic, &[])
            .await
            .unwrap_or_else(|status| panic!("{form:?}: {status:?}"));
        assert_eq!(
            (caller.access.as_str(), caller.kind.as_str()),
            ("public_container", "")
        );
    }
}

/// One layer in front of a server that mixes REST and gRPC: a gRPC call is refused in gRPC's
/// words, an HTTP request with the RFC 6750 response, and both get through with a token.
#[tokio::test]
async fn one_layer_answers_grpc_calls_in_grpc_and_http_requests_in_http() {
    use scw_private::layer::ScwPrivateLayer;
    use tests::grpc::{Plain, ProbeServer};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let rest = axum::Router::new().route("/health", axum::routing::get(|| async { "ok" }));
    let routes = tonic::service::Routes::from(rest).add_service(ProbeServer::new(Plain::default()));
    let server = tonic::transport::Server::builder()
        .accept_http1(true)
        .layer(ScwPrivateLayer::new(Policy::new()).verifier(verifier(false)))
        .add_routes(routes)
        .serve_with_incoming(TcpIncoming::from(listener).with_nodelay(Some(true)));
    tokio::spawn(server);

    let refused = tests::get(addr, "/health", &[]).await;
    refused.assert_refusal(401, "missing_token");
    assert_eq!(refused.header("grpc-status"), None);

    let mut client = grpc_client(addr).await;
    let status = call_route(&mut client, Route::Any, &[]).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "the request carries no token");

    let token = platform_token(Some(NS), Some(CT));
    let accepted = tests::get(addr, "/health", &[("X-Auth-Token", &token)]).await;
    assert_eq!((accepted.status, accepted.body.as_str()), (200, "ok"));
    let caller = call_route(&mut client, Route::Any, &[("x-auth-token", &token)])
        .await
        .unwrap();
    assert_eq!(caller.kind, "container");
}
