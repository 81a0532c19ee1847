//! The cost of protection, from the raw signature check to a full axum request.
//!
//! `cargo bench -p scw-private`. The figures in the README come from this file:
//!
//! - (a) `jsonwebtoken::decode` of a platform-shaped token with a prepared key and an
//!   equivalent `Validation` (RS256, leeway 60 s, `nbf`, audience `functions`, no required
//!   claims), into an equivalent claims struct;
//! - (b) the verifier with the cache off, (c) the verifier on a cache hit;
//! - (d) taking the token from the headers;
//! - (e) one request through an axum router with `tower::ServiceExt::oneshot`: unprotected,
//!   unprotected with the same `Extension(verifier)` layer the protected routers use (the
//!   like-for-like baseline: the layer is how an application hands its verifier to axum),
//!   protected with the cache, protected without it;
//! - (f) the first protected request of a process (environment read and key load included)
//!   against a warm one;
//! - (g) what a cache miss adds: a token refused before any cryptography (its signature is not
//!   base64url), with the cache on and off.
//! - (h) what the `metrics` feature adds to a warm check and to a refusal: with no recorder
//!   installed, and with a Prometheus recorder (`metrics-exporter-prometheus`).
//!
//! Each runs twice, in the groups `rsa4096` (the platform's keys) and `rsa2048`, on a token of
//! the platform's exact shape. `cargo bench -p scw-private -- rsa4096` runs one group.

use std::hint::black_box;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request};
use axum::routing::get;
use axum::{Extension, Router};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use scw_private::testing::KeyPair;
use scw_private::{Claims, Policy, Verifier, scw_private};
use serde::Deserialize;
use tower::ServiceExt as _;

/// Test-only key pairs: (group, public PEM, private PEM).
const KEYS: [(&str, &str, &str); 2] = [
    (
        "rsa4096",
        include_str!("../test-keys/rsa4096.pkcs1.pem"),
        include_str!("../test-keys/rsa4096.private.pem"),
    ),
    (
        "rsa2048",
        include_str!("../test-keys/rsa2048-a.pkcs1.pem"),
        include_str!("../test-keys/rsa2048-a.private.pem"),
    ),
];
const NS: &str = "11111111-1111-4111-8111-111111111111";
const CT: &str = "22222222-2222-4222-8222-222222222222";

/// What a peer decodes into: the same shape as this crate's claims.
#[allow(dead_code)]
#[derive(Deserialize)]
struct PeerClaims {
    #[serde(default)]
    application_claim: Vec<PeerEntry>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    iss: Option<String>,
    sub: Option<String>,
    jti: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PeerEntry {
    namespace_id: Option<String>,
    application_id: Option<String>,
    container_id: Option<String>,
}

fn verifier(public_key: &str, cache: usize) -> Verifier {
    Verifier::builder()
        .public_key_pem(public_key)
        .namespace_id(NS)
        .container_id(CT)
        .cache_capacity(cache)
        .build()
        .unwrap()
}

#[scw_private]
async fn protected(claims: Claims) -> &'static str {
    black_box(claims);
    "ok"
}

async fn unprotected() -> &'static str {
    "ok"
}

fn benches(c: &mut Criterion) {
    for (group, public_key, private_key) in KEYS {
        bench_key(c, group, public_key, private_key);
    }
}

fn bench_key(c: &mut Criterion, group: &str, public_key: &str, private_key: &str) {
    let mut c = c.benchmark_group(group);
    let verifier = |cache| verifier(public_key, cache);
    // A platform token, to the letter: one container entry, version, aud, jti, iat, iss, nbf,
    // sub, no expiry.
    let token = KeyPair::from_private_pem(private_key)
        .unwrap()
        .token()
        .container(NS, CT)
        .sign();
    let policy = Policy::new();

    let key = jsonwebtoken::DecodingKey::from_rsa_pem(public_key.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.leeway = 60;
    validation.validate_nbf = true;
    validation.set_audience(&["functions"]);
    // jsonwebtoken's own `decode` needs a process-wide provider when feature unification
    // enables both backends; this benchmark is the application, so it installs one (the
    // verifier reads it and installs nothing).
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    jsonwebtoken::decode::<PeerClaims>(&token, &key, &validation)
        .expect("the peer accepts the token");
    c.bench_function("a_jsonwebtoken_decode", |b| {
        b.iter(|| jsonwebtoken::decode::<PeerClaims>(black_box(&token), &key, &validation).unwrap())
    });

    let uncached = verifier(0);
    c.bench_function("b_verifier_cache_off", |b| {
        b.iter(|| uncached.verify(black_box(&token), &policy).unwrap())
    });

    let cached = verifier(1024);
    cached.verify(&token, &policy).unwrap();
    c.bench_function("c_verifier_cache_hit", |b| {
        b.iter(|| cached.verify(black_box(&token), &policy).unwrap())
    });

    // Refused at the signature's decoding, after the lookup: the difference is the miss.
    let unreadable = format!("{}*", &token[..token.rfind('.').unwrap() + 1]);
    for (name, verifier) in [
        ("g_miss_cache_on", &cached),
        ("g_miss_cache_off", &uncached),
    ] {
        verifier.verify(&unreadable, &policy).unwrap_err();
        c.bench_function(name, |b| {
            b.iter(|| {
                verifier
                    .verify(black_box(&unreadable), &policy)
                    .unwrap_err()
            })
        });
    }

    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    c.bench_function("d_token_from_headers", |b| {
        b.iter(|| cached.token_from(black_box(&headers)).unwrap().len())
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let routers = [
        (
            "e_axum_unprotected",
            Router::new().route("/", get(unprotected)),
        ),
        (
            "e_axum_unprotected_with_extension",
            Router::new()
                .route("/", get(unprotected))
                .layer(Extension(verifier(1024))),
        ),
        (
            "e_axum_protected_cache_on",
            Router::new()
                .route("/", get(protected))
                .layer(Extension(verifier(1024))),
        ),
        (
            "e_axum_protected_cache_off",
            Router::new()
                .route("/", get(protected))
                .layer(Extension(verifier(0))),
        ),
    ];
    for (name, router) in routers {
        let request = || {
            Request::get("/")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap()
        };
        let status = runtime
            .block_on(router.clone().oneshot(request()))
            .unwrap()
            .status();
        assert_eq!(status, 200, "{name}");
        c.bench_function(name, |b| {
            b.iter(|| runtime.block_on(router.clone().oneshot(request())).unwrap())
        });
    }

    // A fresh verifier reading the environment is what a process's first request meets.
    // SAFETY: benchmarks run on this one thread; nothing else reads the environment.
    unsafe {
        std::env::set_var("SCW_PUBLIC_KEY", public_key);
        std::env::set_var("SCW_NAMESPACE_ID", NS);
        std::env::set_var("SCW_APPLICATION_ID", CT);
    }
    c.bench_function("f_first_request_of_a_process", |b| {
        b.iter_batched(
            Verifier::from_env,
            |fresh| fresh.authorize(&headers, &policy).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let warm = Verifier::from_env();
    warm.authorize(&headers, &policy).unwrap();
    c.bench_function("f_warm_request", |b| {
        b.iter(|| warm.authorize(black_box(&headers), &policy).unwrap())
    });

    // (h) The `metrics` feature on a warm check and on a refusal: no recorder installed, then
    // a Prometheus recorder (this thread's, for the one benchmark).
    let no_token = HeaderMap::new();
    let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    for recorder in ["no_recorder", "prometheus"] {
        let mut run = || {
            // A verifier registers its handles with the recorder of its first check: this one.
            let warm = verifier(1024);
            warm.authorize(&headers, &policy).unwrap();
            c.bench_function(format!("h_warm_request_{recorder}"), |b| {
                b.iter(|| warm.authorize(black_box(&headers), &policy).unwrap())
            });
            c.bench_function(format!("h_refusal_{recorder}"), |b| {
                b.iter(|| warm.authorize(black_box(&no_token), &policy).unwrap_err())
            });
        };
        match recorder {
            "prometheus" => metrics::with_local_recorder(&prometheus, run),
            _ => run(),
        }
    }
}

criterion_group!(all, benches);
criterion_main!(all);
