//! A fresh verifier receiving 256 concurrent first requests reads its variables, and so loads
//! the key, exactly once, and answers every request correctly. The variables are read through
//! a lookup that counts: the same lazy path `Verifier::from_env` (and so the global verifier)
//! takes through the process environment.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::routing::get;
use axum::{Extension, Router};
use scw_private::testing::KeyPair;
use scw_private::{Claims, Verifier, env, scw_private};
use tests::{CT, NS, PRIVATE_KEY, PUBLIC_KEY, SIBLING, get as http_get};

#[scw_private]
async fn private(claims: Claims) -> String {
    format!("{:?}", claims.kind())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_requests_load_the_key_once() {
    let key_reads = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&key_reads);
    let verifier = Verifier::from_variables(move |name| match name {
        env::PUBLIC_KEY => {
            counter.fetch_add(1, Ordering::SeqCst);
            Some(PUBLIC_KEY.to_owned())
        }
        env::NAMESPACE_ID => Some(NS.to_owned()),
        env::CONTAINER_ID => Some(CT.to_owned()),
        _ => None,
    });
    assert_eq!(
        key_reads.load(Ordering::SeqCst),
        0,
        "nothing is read before use"
    );

    let keys = KeyPair::from_private_pem(PRIVATE_KEY).unwrap();
    let cases = Arc::new([
        (Some(keys.token().namespace(NS).sign()), 200),
        (Some(keys.token().container(NS, SIBLING).sign()), 403),
        (None, 401),
        (Some(keys.token().container(NS, CT).sign()), 200),
    ]);
    let app = Router::new()
        .route("/", get(private))
        .layer(Extension(verifier));
    let addr = tests::serve_axum(app).await;

    let start = Arc::new(tokio::sync::Barrier::new(256));
    let tasks: Vec<_> = (0..256)
        .map(|i| {
            let (start, cases) = (Arc::clone(&start), Arc::clone(&cases));
            tokio::spawn(async move {
                let (token, expected) = &cases[i % cases.len()];
                let headers: Vec<(&str, &str)> =
                    token.iter().map(|t| ("X-Auth-Token", t.as_str())).collect();
                start.wait().await;
                let response = http_get(addr, "/", &headers).await;
                assert_eq!(response.status, *expected, "request {i}: {response:?}");
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        key_reads.load(Ordering::SeqCst),
        1,
        "the variables were read more than once"
    );
}
