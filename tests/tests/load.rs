//! 100,000 mixed requests at concurrency 64 over loopback: zero wrong answers, zero errors,
//! memory that stays bounded. Not part of the default run (it is a load test, and figures
//! from a debug build mean little):
//!
//! ```sh
//! cargo test -p tests --release --test load -- --ignored --nocapture
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use axum::routing::get;
use axum::{Extension, Router};
use scw_private::testing::KeyPair;
use scw_private::{Claims, scw_private};
use tests::{CT, Connection, NS, PRIVATE_KEY, SIBLING, resident_kib, verifier};

const REQUESTS: usize = 100_000;
const CONCURRENCY: usize = 64;

#[scw_private]
async fn private(claims: Claims) -> String {
    format!("{:?}", claims.kind())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load test; run with --release -- --ignored --nocapture"]
async fn a_hundred_thousand_mixed_requests_at_concurrency_64() {
    let keys = KeyPair::from_private_pem(PRIVATE_KEY).unwrap();
    let (ns, ct) = (
        keys.token().namespace(NS).sign(),
        keys.token().container(NS, CT).sign(),
    );
    let sibling = keys.token().container(NS, SIBLING).sign();
    let expired = keys.token().namespace(NS).expired().sign();
    let forged = KeyPair::generate().token().namespace(NS).sign();
    let bearer = format!("Bearer {ct}");
    // (header name, value, expected status): valid, invalid, wrong scope, missing.
    let mix: Arc<Vec<(&'static str, String, u16)>> = Arc::new(vec![
        ("X-Auth-Token", ns, 200),
        ("Authorization", bearer, 200),
        ("X-Auth-Token", sibling, 403),
        ("X-Auth-Token", expired, 401),
        ("X-Auth-Token", forged, 401),
        ("X-Auth-Token", "not.a.jwt".to_owned(), 401),
        ("X-Nothing", String::new(), 401),
        ("X-Auth-Token", String::new(), 400),
    ]);

    let router = Router::new()
        .route("/", get(private))
        .layer(Extension(verifier(false)));
    let addr = tests::serve_axum(router).await;

    let next = Arc::new(AtomicUsize::new(0));
    let wrong = Arc::new(AtomicUsize::new(0));
    let rss_at_tenth = Arc::new(AtomicUsize::new(0));
    let rss_before = resident_kib().unwrap_or(0);
    let started = Instant::now();
    let clients: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (mix, next, wrong, rss_at_tenth) = (
                mix.clone(),
                next.clone(),
                wrong.clone(),
                rss_at_tenth.clone(),
            );
            tokio::spawn(async move {
                let mut connection = Connection::open(addr).await.expect("connect");
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= REQUESTS {
                        break;
                    }
                    if n == REQUESTS / 10 {
                        rss_at_tenth.store(resident_kib().unwrap_or(0) as usize, Ordering::Relaxed);
                    }
                    let (name, value, expected) = &mix[n % mix.len()];
                    let headers = if value.is_empty() && *name == "X-Nothing" {
                        vec![]
                    } else {
                        vec![(*name, value.as_str())]
                    };
                    let (status, _) = connection
                        .get("/", &headers)
                        .await
                        .expect("no transport error");
                    if status != *expected {
                        wrong.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for client in clients {
        client.await.expect("client task");
    }
    let elapsed = started.elapsed();
    let rss_after = resident_kib().unwrap_or(0);
    let rss_at_tenth = rss_at_tenth.load(Ordering::Relaxed) as u64;

    println!(
        "{REQUESTS} requests at concurrency {CONCURRENCY} in {:.2} s ({:.0} req/s); wrong answers: {}; \
         RSS before {rss_before} KiB, after 10% {rss_at_tenth} KiB, at the end {rss_after} KiB",
        elapsed.as_secs_f64(),
        REQUESTS as f64 / elapsed.as_secs_f64(),
        wrong.load(Ordering::Relaxed),
    );
    assert_eq!(wrong.load(Ordering::Relaxed), 0);
    // Bounded: the last 90% of the requests may not grow the process by more than 16 MiB.
    assert!(
        rss_after < rss_at_tenth + 16 * 1024,
        "RSS grew from {rss_at_tenth} KiB to {rss_after} KiB"
    );
}

/// What one cache entry costs: RSS before and after 5,000 distinct platform tokens are
/// accepted (the tokens themselves exist in both measurements).
///
/// ```sh
/// cargo test -p tests --release --test load cache_memory -- --ignored --nocapture
/// ```
#[test]
#[ignore = "measurement; run with --release -- --ignored --nocapture"]
fn cache_memory_per_entry() {
    const TOKENS: usize = 5_000;
    let keys = KeyPair::from_private_pem(PRIVATE_KEY).unwrap();
    let tokens: Vec<String> = (0..TOKENS)
        .map(|_| keys.token().container(NS, CT).sign())
        .collect();
    let verifier = scw_private::Verifier::builder()
        .public_key_pem(tests::PUBLIC_KEY)
        .namespace_id(NS)
        .container_id(CT)
        .cache_capacity(TOKENS)
        .build()
        .unwrap();
    let policy = scw_private::Policy::new();
    let before = resident_kib().unwrap();
    for token in &tokens {
        verifier.verify(token, &policy).unwrap();
    }
    let after = resident_kib().unwrap();
    println!(
        "{TOKENS} cached tokens: RSS {before} KiB -> {after} KiB, about {} bytes per entry",
        (after - before) * 1024 / TOKENS as u64
    );
    assert!(after >= before);
}
