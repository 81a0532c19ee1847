//! A fresh process receiving 256 concurrent first requests reads its environment, and so loads
//! the key, exactly once, and answers every request correctly. One test per binary: the
//! environment is set before any other thread exists.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use scw_private::testing::KeyPair;
use scw_private::{Claims, scw_private};
use tests::{CT, NS, PRIVATE_KEY, PUBLIC_KEY, SIBLING, get as http_get};

#[scw_private]
async fn private(claims: Claims) -> String {
    format!("{:?}", claims.kind())
}

#[test]
fn concurrent_first_requests_load_the_key_once() {
    // SAFETY: the first statement of the only test in this binary; no other thread exists.
    unsafe {
        std::env::set_var("SCW_PUBLIC_KEY", PUBLIC_KEY);
        std::env::set_var("SCW_NAMESPACE_ID", NS);
        std::env::set_var("SCW_APPLICATION_ID", CT);
    }
    let keys = KeyPair::from_private_pem(PRIVATE_KEY).unwrap();
    let cases = Arc::new([
        (Some(keys.token().namespace(NS).sign()), 200),
        (Some(keys.token().container(NS, SIBLING).sign()), 403),
        (None, 401),
        (Some(keys.token().container(NS, CT).sign()), 200),
    ]);
    assert_eq!(scw_private::__private::environment_reads(), 0);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let addr = tests::serve_axum(Router::new().route("/", get(private))).await;

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
    });
    assert_eq!(
        scw_private::__private::environment_reads(),
        1,
        "the environment was read more than once"
    );
}
