//! Metrics: what the protection does, in Prometheus's format. `cargo run --example metrics`.
//!
//! ```sh
//! cargo run --example metrics                  # the service on 8080, /metrics on 127.0.0.1:9464
//! curl -s http://127.0.0.1:9464/metrics | grep scw_private
//! ```
//!
//! One port serves a REST route (axum, HTTP/1.1) and a gRPC method (tonic, h2c), both
//! protected; every check is counted by scw-private's `metrics` feature into the Prometheus
//! recorder that `examples::start` installs (`examples/src/lib.rs`, the code an application
//! writes in its `main`).
//!
//! `/metrics` is on a port of its own, on loopback: the platform routes only `$PORT` to a
//! container, and nothing outside scrapes a serverless container anyway. What reads it is a
//! collector in the same container (an OpenTelemetry Collector or Grafana Alloy), which pushes
//! to Cockpit by Prometheus Remote Write: see the crate's `guide::metrics`. On `$PORT` it
//! would need a token of its own, which that collector does not have.

use axum::routing::get;
use scw_private::tonic_0_14::protect;
use scw_private::{Claims, scw_private};
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

/// The gRPC method's message, both ways.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Ping {
    #[prost(string, tag = "1")]
    pub text: String,
}

mod proto {
    include!(concat!(env!("OUT_DIR"), "/scw.example.Meter.rs"));
}

use proto::meter_server::{Meter, MeterServer};

struct MyMeter;

#[scw_private]
#[tonic::async_trait]
impl Meter for MyMeter {
    /// Any token for this container.
    #[scw_private]
    async fn ping(&self, request: Request<Ping>) -> Result<Response<Ping>, Status> {
        Ok(Response::new(request.into_inner()))
    }
}

/// Any token for this container.
#[scw_private]
async fn private(claims: Claims) -> String {
    format!("{:?} token\n", claims.kind())
}

/// The recorder's text, for the collector beside the service.
async fn metrics() -> String {
    let prometheus = examples::prometheus();
    // Drains what the recorder buffered and drops what idled out: cheap, so per scrape.
    prometheus.run_upkeep();
    prometheus.render()
}

fn main() {
    let mode = examples::start();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let meter = protect(MyMeter, MeterServer::new);
        let listener = tokio::net::TcpListener::bind(examples::listen_addr())
            .await
            .expect("the port is free");
        let scrape = tokio::net::TcpListener::bind(examples::metrics_addr())
            .await
            .expect("the metrics port is free");
        examples::announce_metrics(
            &mode,
            listener.local_addr().expect("a bound address"),
            scrape.local_addr().expect("a bound address"),
        );
        let metrics_routes = axum::Router::new().route("/metrics", get(metrics));
        tokio::spawn(examples::serve(scrape, metrics_routes));

        // One port: h2c for gRPC, HTTP/1.1 for the REST route.
        let rest = axum::Router::new().route("/private", get(private));
        let routes = tonic::service::Routes::from(rest).add_service(meter);
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        Server::builder()
            .accept_http1(true)
            .add_routes(routes)
            .serve_with_incoming(incoming)
            .await
            .expect("the server runs");
    });
}
