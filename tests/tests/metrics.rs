//! Every form records the same: one accepted and one refused request through each, over real
//! HTTP and gRPC round-trips, counted by a Prometheus recorder and read from its text.
//!
//! One test in its own binary: the recorder is the process's, and the counts are deltas.

use actix_web::{HttpResponse, get, web};
use axum::routing::get as axum_get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use scw_private::layer::ScwPrivateLayer;
use scw_private::{Claims, Policy, scw_private};
use tests::grpc::{Form, call_route, grpc_client, serve_grpc};
use tests::{CT, Route, blocking, platform_token, serve_actix, serve_axum, verifier};

#[scw_private]
async fn attributed(claims: Claims) -> String {
    format!("{:?}", claims.kind())
}

/// The extractor on its own, without the attribute.
async fn extracted(claims: Claims) -> String {
    format!("{:?}", claims.kind())
}

#[get("/actix")]
#[scw_private]
async fn actix_attributed(claims: Claims) -> HttpResponse {
    HttpResponse::Ok().body(format!("{:?}", claims.kind()))
}

fn actix_routes(config: &mut web::ServiceConfig) {
    config.service(actix_attributed);
}

/// The value of one series in the recorder's text; 0 when it was never recorded.
fn value(prometheus: &PrometheusHandle, series: &str) -> f64 {
    prometheus
        .render()
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

const ACCEPTED_HTTP: &str =
    r#"scw_private_checks_total{outcome="accepted",access="container_token",protocol="http"}"#;
const REFUSED_HTTP: &str = r#"scw_private_checks_total{outcome="refused",class="missing_token",reason="no_token",protocol="http"}"#;
const ACCEPTED_GRPC: &str =
    r#"scw_private_checks_total{outcome="accepted",access="container_token",protocol="grpc"}"#;
const REFUSED_GRPC: &str = r#"scw_private_checks_total{outcome="refused",class="missing_token",reason="no_token",protocol="grpc"}"#;
const EVERY_CHECK: [&str; 4] = [ACCEPTED_HTTP, REFUSED_HTTP, ACCEPTED_GRPC, REFUSED_GRPC];

/// Runs `send` (one accepted request, then one refused), and checks that exactly one of each
/// was counted, under `accepted` and `refused`.
async fn counts_one_of_each<F: Future<Output = ()>>(
    prometheus: &PrometheusHandle,
    form: &str,
    accepted: &str,
    refused: &str,
    send: F,
) {
    let before = EVERY_CHECK.map(|series| value(prometheus, series));
    send.await;
    let after = EVERY_CHECK.map(|series| value(prometheus, series));
    for ((series, before), after) in EVERY_CHECK.iter().zip(before).zip(after) {
        let expected = if *series == accepted || *series == refused {
            1.0
        } else {
            0.0
        };
        assert_eq!(after - before, expected, "{form}: {series}");
    }
}

/// A GET of `path` with `headers`, from a blocking client off the runtime: its status.
async fn get(addr: std::net::SocketAddr, path: &'static str, token: Option<&str>) -> u16 {
    let token = token.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let headers: Vec<(&str, &str)> =
            token.iter().map(|t| ("X-Auth-Token", t.as_str())).collect();
        blocking::send(addr, "GET", path, &headers, "").status
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_form_counts_one_check_per_request() {
    let prometheus = PrometheusBuilder::new().install_recorder().unwrap();
    let token = platform_token(None, Some(CT));

    let router = axum::Router::new()
        .route("/attributed", axum_get(attributed))
        .route("/extracted", axum_get(extracted))
        .layer(axum::Extension(verifier(false)));
    let axum = serve_axum(router).await;
    for path in ["/attributed", "/extracted"] {
        counts_one_of_each(&prometheus, path, ACCEPTED_HTTP, REFUSED_HTTP, async {
            assert_eq!(get(axum, path, Some(&token)).await, 200);
            assert_eq!(get(axum, path, None).await, 401);
        })
        .await;
    }

    let layered = axum::Router::new()
        .route("/layered", axum_get(|| async { "layered" }))
        .layer(ScwPrivateLayer::new(Policy::new()).verifier(verifier(false)));
    let layered = serve_axum(layered).await;
    counts_one_of_each(&prometheus, "layer", ACCEPTED_HTTP, REFUSED_HTTP, async {
        assert_eq!(get(layered, "/layered", Some(&token)).await, 200);
        assert_eq!(get(layered, "/layered", None).await, 401);
    })
    .await;

    let actix = serve_actix(actix_routes, Some(verifier(false)));
    counts_one_of_each(
        &prometheus,
        "actix-web",
        ACCEPTED_HTTP,
        REFUSED_HTTP,
        async {
            assert_eq!(get(actix, "/actix", Some(&token)).await, 200);
            assert_eq!(get(actix, "/actix", None).await, 401);
        },
    )
    .await;

    for form in [
        Form::Attribute,
        Form::Interceptor(Policy::new()),
        Form::Layer(Policy::new()),
    ] {
        let name = format!("{form:?}");
        let (addr, _) = serve_grpc(form, Some(verifier(false))).await;
        let mut client = grpc_client(addr).await;
        counts_one_of_each(&prometheus, &name, ACCEPTED_GRPC, REFUSED_GRPC, async {
            let metadata = [("x-auth-token", token.as_str())];
            call_route(&mut client, Route::Any, &metadata)
                .await
                .unwrap();
            let refused = call_route(&mut client, Route::Any, &[]).await.unwrap_err();
            assert_eq!(refused.code(), tonic::Code::Unauthenticated);
        })
        .await;
    }
}
