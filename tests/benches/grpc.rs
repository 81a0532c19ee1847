//! The cost of protecting a gRPC service: unary calls from a tonic client to a tonic server
//! over loopback h2c, unprotected and in each protected form, side by side in one run.
//!
//! `cargo bench -p tests --bench grpc`. Each iteration sends a batch of 32 concurrent calls on
//! one HTTP/2 connection, all with the same container token signed with the platform's key
//! size (4096 bits), so the protected forms verify it once and then hit the token cache. The
//! four servers (unprotected, the layer, the interceptor, the attribute) run side by side and
//! are measured in turn, three rounds. criterion reports the throughput in calls per second;
//! docs/performance.md has the figures.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use scw_private::Policy;
use tests::grpc::{Call, Form, grpc_client, serve_grpc, with_metadata};
use tests::{CT, NS, platform_token, verifier};

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
    let clients: Vec<_> = forms
        .into_iter()
        .map(|(name, form)| {
            let client = runtime.block_on(async {
                let (addr, _) = serve_grpc(form, Some(verifier(false))).await;
                grpc_client(addr).await
            });
            (name, client)
        })
        .collect();
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
