//! The cost of protecting a gRPC service: unary calls from a tonic client to a tonic server
//! over loopback h2c, unprotected and in each protected form, side by side in one run.
//!
//! `cargo bench -p tests --bench grpc`. Each iteration sends a batch of 32 concurrent calls on
//! one HTTP/2 connection, all with the same container token signed with the platform's key
//! size (4096 bits), so the crate's forms verify it once and then hit the token cache. Five
//! servers run side by side and are measured in turn, three rounds: unprotected, the layer,
//! the interceptor, the attribute behind `protect`, and the way tonic users protect a service
//! today, a hand-written `Interceptor` that calls `jsonwebtoken::decode` (aws-lc) on every
//! call, with no cache. criterion reports the throughput in calls per second;
//! docs/performance.md has the figures.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use scw_private::Policy;
use tests::grpc::{Call, Form, Plain, ProbeServer, grpc_client, serve_grpc, with_metadata};
use tests::{CT, NS, PUBLIC_KEY, platform_token, verifier};
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

/// What a tonic user writes today without this crate: every call's token decoded and its
/// signature verified, no cache, no scope rule.
fn hand_written_interceptor() -> impl tonic::service::Interceptor + Clone {
    let key = DecodingKey::from_rsa_pem(PUBLIC_KEY.as_bytes()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.set_audience(&["functions"]);
    move |request: tonic::Request<()>| {
        let token = request
            .metadata()
            .get("x-auth-token")
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| tonic::Status::unauthenticated("no token"))?;
        jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
            .map_err(|_| tonic::Status::unauthenticated("invalid token"))?;
        Ok(request)
    }
}

/// The hand-written interceptor's server, on a free loopback port.
async fn serve_hand_written() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let service = ProbeServer::with_interceptor(Plain::default(), hand_written_interceptor());
    tokio::spawn(
        Server::builder()
            .add_service(service)
            .serve_with_incoming(incoming),
    );
    addr
}

/// Calls in flight per iteration.
const BATCH: usize = 32;

/// Rounds of the four forms in turn: a drift of the machine over the run (this 2-core virtual
/// machine's throughput wanders by a few percent over minutes) then shows as a difference
/// between rounds, not between forms.
const ROUNDS: usize = 3;

fn unary_4096(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let token = platform_token(Some(NS), Some(CT));
    let forms = [
        ("unprotected", Form::Unprotected),
        ("layer", Form::Layer(Policy::new())),
        ("interceptor", Form::Interceptor(Policy::new())),
        ("attribute", Form::Attribute),
    ];
    let mut clients: Vec<_> = forms
        .into_iter()
        .map(|(name, form)| {
            let client = runtime.block_on(async {
                let (addr, _) = serve_grpc(form, Some(verifier(false))).await;
                grpc_client(addr).await
            });
            (name, client)
        })
        .collect();
    let hand_written = runtime.block_on(async { grpc_client(serve_hand_written().await).await });
    clients.push(("hand_written_jsonwebtoken", hand_written));
    let mut group = c.benchmark_group("grpc_unary_rsa4096");
    group
        .throughput(Throughput::Elements(BATCH as u64))
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for round in 1..=ROUNDS {
        for (name, client) in &clients {
            group.bench_function(format!("round{round}/{name}"), |b| {
                b.iter(|| {
                    runtime.block_on(async {
                        let handles: Vec<_> = (0..BATCH)
                            .map(|_| {
                                let mut client = client.clone();
                                let request =
                                    with_metadata(Call::default(), &[("x-auth-token", &token)]);
                                tokio::spawn(async move { client.any(request).await })
                            })
                            .collect();
                        for handle in handles {
                            let caller = handle.await.unwrap().expect("an answer").into_inner();
                            std::hint::black_box(caller);
                        }
                    });
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, unary_4096);
criterion_main!(benches);
