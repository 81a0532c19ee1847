//! `ScwPrivateLayer` in the stacks users build: in front of axum and of tonic, inside and
//! outside tower-http's `CompressionLayer` and `TraceLayer`, and around a boxed body. Each
//! stack refuses a request without a token and serves one with a token, compressed where the
//! client asks; real requests over loopback.

use axum::Router;
use axum::routing::get;
use http_body_util::BodyExt as _;
use scw_private::Policy;
use scw_private::layer::ScwPrivateLayer;
use tests::grpc::{Call, Plain, ProbeClient, ProbeServer, grpc_client, with_metadata};
use tests::{CT, NS, platform_token, send_raw, serve_axum, verifier};
use tonic::Code;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// Long and repetitive: compressed whenever the client accepts gzip.
const TEXT: &str = "a protected answer that compresses well; a protected answer that compresses well; a protected answer that compresses well";

fn layer() -> ScwPrivateLayer {
    ScwPrivateLayer::new(Policy::new()).verifier(verifier(false))
}

fn routes() -> Router {
    Router::new().route("/text", get(|| async { TEXT }))
}

/// Every stack of the layer with tower-http's layers, by name, as users write them.
fn stacks() -> Vec<(&'static str, Router)> {
    vec![
        ("the layer alone", routes().layer(layer())),
        (
            "compression outside the layer",
            routes().layer(layer()).layer(CompressionLayer::new()),
        ),
        (
            "compression inside the layer",
            routes().layer(CompressionLayer::new()).layer(layer()),
        ),
        (
            "trace outside the layer",
            routes().layer(layer()).layer(TraceLayer::new_for_http()),
        ),
        (
            "trace inside the layer",
            routes().layer(TraceLayer::new_for_http()).layer(layer()),
        ),
        (
            "trace and compression inside the layer",
            routes()
                .layer(CompressionLayer::new())
                .layer(TraceLayer::new_for_http())
                .layer(layer()),
        ),
        (
            "around a boxed body",
            routes()
                .layer(tower::util::MapResponseLayer::new(
                    |response: axum::response::Response| response.map(|body| body.boxed_unsync()),
                ))
                .layer(layer()),
        ),
    ]
}

fn get_request(headers: &[(&str, &str)]) -> Vec<u8> {
    let mut request =
        String::from("GET /text HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.into_bytes()
}

#[tokio::test]
async fn every_axum_stack_refuses_without_a_token_and_serves_with_one() {
    let token = platform_token(Some(NS), None);
    let bearer = format!("Bearer {token}");
    for (name, router) in stacks() {
        let addr = serve_axum(router).await;

        let refused = send_raw(addr, &get_request(&[])).await;
        refused.assert_refusal(401, "missing_token");
        assert_eq!(refused.header("cache-control"), Some("no-store"), "{name}");

        let served = send_raw(addr, &get_request(&[("Authorization", &bearer)])).await;
        assert_eq!((served.status, served.body.as_str()), (200, TEXT), "{name}");
        assert_eq!(served.header("content-encoding"), None, "{name}");

        let gzip = send_raw(
            addr,
            &get_request(&[("Authorization", &bearer), ("Accept-Encoding", "gzip")]),
        )
        .await;
        assert_eq!(gzip.status, 200, "{name}");
        let compressed = name.starts_with("compression") || name.contains("and compression");
        if compressed {
            assert_eq!(gzip.header("content-encoding"), Some("gzip"), "{name}");
            assert_ne!(gzip.body, TEXT, "{name}");
        } else {
            assert_eq!(gzip.body, TEXT, "{name}");
        }

        // A refusal asked for gzip: compressed only by a compression layer outside the check,
        // and a refusal still.
        let refused = send_raw(addr, &get_request(&[("Accept-Encoding", "gzip")])).await;
        assert_eq!(refused.status, 401, "{name}");
        assert!(
            refused
                .header("www-authenticate")
                .is_some_and(|challenge| challenge.starts_with("Bearer realm=")),
            "{name}"
        );
        let outside = name == "compression outside the layer";
        assert_eq!(
            refused.header("content-encoding"),
            outside.then_some("gzip"),
            "{name}"
        );
    }
}

/// Serves the Probe service behind `$server` (a `Server` with its layers) on a free loopback
/// port (h2c), and connects a client. A macro: each stack is a type of its own.
macro_rules! serve_tonic {
    ($server:expr) => {{
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        let router = $server.add_service(ProbeServer::new(Plain::default()));
        tokio::spawn(router.serve_with_incoming(incoming));
        grpc_client(addr).await
    }};
}

#[tokio::test]
async fn every_tonic_stack_refuses_without_a_token_and_serves_with_one() {
    let token = platform_token(None, Some(CT));
    let mut clients: Vec<(&str, ProbeClient<tonic::transport::Channel>)> = vec![
        (
            "the layer alone",
            serve_tonic!(Server::builder().layer(layer())),
        ),
        (
            "trace outside the layer",
            serve_tonic!(
                Server::builder()
                    .layer(TraceLayer::new_for_grpc())
                    .layer(layer())
            ),
        ),
        (
            "trace inside the layer",
            serve_tonic!(
                Server::builder()
                    .layer(layer())
                    .layer(TraceLayer::new_for_grpc())
            ),
        ),
        (
            "compression outside the layer",
            serve_tonic!(
                Server::builder()
                    .layer(CompressionLayer::new())
                    .layer(layer())
            ),
        ),
        (
            "compression inside the layer",
            serve_tonic!(
                Server::builder()
                    .layer(layer())
                    .layer(CompressionLayer::new())
            ),
        ),
    ];
    for (name, client) in &mut clients {
        let refused = client
            .any(with_metadata(Call::default(), &[]))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated, "{name}");
        assert_eq!(refused.message(), "the request carries no token", "{name}");
        let served = client
            .any(with_metadata(Call::default(), &[("x-auth-token", &token)]))
            .await;
        assert!(served.is_ok(), "{name}: {served:?}");
    }
}
