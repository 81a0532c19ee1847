//! What the examples share: reading the platform's environment (or standing in for it
//! in development mode), logging, and the start-up banner.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

use scw_private::testing::KeyPair;
use scw_private::{Policy, TokenKind, Verifier, env};
use serde::Serialize;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

/// The ids development mode uses when the environment has none.
pub const DEV_NAMESPACE_ID: &str = "00000000-0000-4000-8000-00000000dev0";
pub const DEV_CONTAINER_ID: &str = "00000000-0000-4000-8000-00000000dev1";

/// The routes every example serves: method, path, protection.
pub const ROUTES: [(&str, &str, Protection); 7] = [
    ("GET", "/", Protection::Public),
    ("GET", "/private", Protection::AnyToken),
    ("GET", "/container-only", Protection::ContainerToken),
    ("GET", "/namespace-only", Protection::NamespaceToken),
    ("GET", "/maybe-public", Protection::PublicIfEnv),
    ("GET", "/platform-iam", Protection::PlatformIam),
    ("POST", "/echo", Protection::AnyToken),
];

/// How a route is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    Public,
    AnyToken,
    ContainerToken,
    NamespaceToken,
    PublicIfEnv,
    /// `platform_iam`: outside a private container on the platform, the same as `AnyToken`.
    PlatformIam,
}

/// How long a client may take to send a request's headers, from when the connection is ready
/// for them: a slow or silent client is disconnected instead of holding a connection open.
/// The platform's edge sits in front of a container, but the binary may also be exposed
/// directly (see SECURITY.md).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `service` over HTTP/1.1 on `listener`, with [`HEADER_READ_TIMEOUT`]. `axum::serve`
/// sets no timer, so hyper would apply none; the quickstart and the hyper example use this.
pub async fn serve<S, B>(listener: tokio::net::TcpListener, service: S)
where
    S: tower::Service<hyper::Request<Incoming>, Response = hyper::Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            // A client that breaks off or times out is no error of the server's.
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// How the process got its key.
pub enum Mode {
    /// `SCW_PUBLIC_KEY` was unset: this process made a key pair and can mint tokens.
    Development(KeyPair),
    /// The environment is taken as the platform injects it.
    Platform,
}

/// Reads the environment, and stands in for the platform when `SCW_PUBLIC_KEY` is unset.
///
/// The platform always sets `SCW_PUBLIC`, so a process that sees it is on the platform: a
/// missing key there is a misconfiguration (protected routes answer 500), never a reason to
/// trust a key of its own.
///
/// Call it first thing in `main`, before any thread exists: development mode sets variables.
pub fn start() -> Mode {
    init_logging();
    #[cfg(feature = "metrics")]
    install_prometheus();
    if std::env::var_os(env::PUBLIC_KEY).is_some() || std::env::var_os(env::PUBLIC).is_some() {
        return Mode::Platform;
    }
    let keys = KeyPair::generate();
    // SAFETY: called at the top of `main`, before the runtime or any other thread starts.
    unsafe {
        std::env::set_var(env::PUBLIC_KEY, keys.public_pem());
        if std::env::var_os(env::NAMESPACE_ID).is_none() {
            std::env::set_var(env::NAMESPACE_ID, DEV_NAMESPACE_ID);
        }
        if std::env::var_os(env::CONTAINER_ID).is_none() {
            std::env::set_var(env::CONTAINER_ID, DEV_CONTAINER_ID);
        }
    }
    Mode::Development(keys)
}

/// The log filter when `RUST_LOG` is unset: one line per request from the examples; the
/// crate's own per-refusal events (at `debug`) are left out, its misconfiguration errors and
/// hints (`error`, `warn`) kept.
/// `RUST_LOG=scw_private=debug` shows every refusal with its reason.
pub const DEFAULT_LOG_FILTER: &str = "info,scw_private=warn";

fn init_logging() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let format = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colour);
    tracing_subscriber::registry()
        .with(format)
        .with(filter)
        .init();
}

/// The Prometheus recorder every example records in (feature `metrics`, on by default),
/// installed by [`start`].
#[cfg(feature = "metrics")]
static PROMETHEUS: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
    std::sync::OnceLock::new();

/// Installs a Prometheus recorder, as an application does (a library never installs one):
/// the verification-time histogram with the crate's buckets, and the metrics' descriptions.
#[cfg(feature = "metrics")]
fn install_prometheus() {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    use scw_private::metrics::{TOKEN_VERIFICATION_SECONDS, TOKEN_VERIFICATION_SECONDS_BUCKETS};

    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(TOKEN_VERIFICATION_SECONDS.to_owned()),
            TOKEN_VERIFICATION_SECONDS_BUCKETS,
        )
        .expect("the buckets are not empty")
        .install_recorder()
        .expect("no recorder was installed before");
    scw_private::metrics::describe();
    let _ = PROMETHEUS.set(handle);
}

/// The recorder [`start`] installed.
#[cfg(feature = "metrics")]
pub fn prometheus() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    PROMETHEUS
        .get()
        .expect("examples::start installs the recorder")
}

/// Where the metrics example serves `/metrics`: `127.0.0.1:$METRICS_PORT` (9464 when unset,
/// the OpenTelemetry Collector's and Grafana Alloy's usual Prometheus port). Loopback only:
/// the platform routes nothing to a second port, and the collector that pushes the metrics to
/// Cockpit runs in the same container.
pub fn metrics_addr() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port_from_env("METRICS_PORT", 9464)))
}

/// The port in the variable `name`, `default` when it is unset; the process exits (status 2)
/// when it is set to anything but a port number.
fn port_from_env(name: &str, default: u16) -> u16 {
    match std::env::var(name) {
        Err(_) => default,
        Ok(port) => port.trim().parse().unwrap_or_else(|_| {
            eprintln!("{name}={port:?} is not a port number");
            std::process::exit(2);
        }),
    }
}

/// Where to listen: `$LISTEN_HOST:$PORT`. The platform requires `0.0.0.0` (the default) and
/// sets `PORT` (8080 when unset); `LISTEN_HOST=127.0.0.1` keeps a local run, behind
/// `scw-jwt edge` for instance, out of reach of other machines.
pub fn listen_addr() -> SocketAddr {
    let port = port_from_env("PORT", 8080);
    let host = match std::env::var("LISTEN_HOST") {
        Err(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Ok(host) => host.trim().parse().unwrap_or_else(|_| {
            eprintln!("LISTEN_HOST={host:?} is not an IP address");
            std::process::exit(2);
        }),
    };
    SocketAddr::from((host, port))
}

/// Checks every protected route before the banner: the binary's `#[scw_private]` handlers,
/// then `layer_policies`. How many were checked, or the first problem.
fn preflight(layer_policies: &[Policy]) -> Result<usize, Misconfigured> {
    let verifier = Verifier::global();
    let handlers = verifier
        .preflight_handlers()
        .map_err(|problem| Misconfigured {
            answer: problem.config_error().map_or(ANSWER_500, answer),
            problem: problem.to_string(),
        })?;
    verifier
        .preflight_all(layer_policies)
        .map_err(|problem| Misconfigured {
            answer: answer(&problem),
            problem: format!("a route protected by the tower layer: {problem}"),
        })?;
    Ok(handlers + layer_policies.len())
}

/// What preflight found, and what the routes really answer because of it.
struct Misconfigured {
    answer: &'static str,
    problem: String,
}

const ANSWER_500: &str = "protected routes answer 500 (gRPC: INTERNAL)";

/// What the routes answer while `problem` lasts: 500 for everything but an unusable
/// `SCW_PUBLIC`, which makes the routes that read it trust nothing (they still serve a valid
/// token, and refuse everything else with 401).
fn answer(problem: &scw_private::ConfigError) -> &'static str {
    match problem {
        scw_private::ConfigError::InvalidPrivacy => {
            "`public_if_env` and `platform_iam` routes trust nothing: they need a token (401 without)"
        }
        _ => ANSWER_500,
    }
}

/// Says what the process is doing: where it listens, then the verdict over every protected
/// route (every `#[scw_private]` handler of the binary, and `layer_policies`, the policies of
/// routes the tower layer protects). In development mode, prints tokens and `curl` commands;
/// on the platform, prints no secret.
///
/// The examples serve even when the verdict is bad (their 500s are part of what they show);
/// a real service would refuse to start instead, as `examples/function`'s server does.
pub fn announce(mode: &Mode, name: &str, bound: SocketAddr, layer_policies: &[Policy]) {
    println!("{name} listening on http://{bound}");
    print_verdict(layer_policies);
    let base = format!("http://127.0.0.1:{}", bound.port());
    match mode {
        Mode::Platform => {
            println!(
                "try: curl -i {base}/  (and the protected routes with -H \"X-Auth-Token: $TOKEN\")"
            );
        }
        Mode::Development(keys) => {
            print_development_tokens(keys);
            for (method, path, protection) in ROUTES {
                for (header, kind) in curl_cases(protection) {
                    let expected = expected_status(protection, kind);
                    let method = if method == "GET" {
                        String::new()
                    } else {
                        format!(" -X {method}")
                    };
                    let body = if path == "/echo" {
                        " -H 'Content-Type: application/json' -d '{\"hello\":\"world\"}'"
                    } else {
                        ""
                    };
                    let header = header.map(|h| format!(" -H \"{h}\"")).unwrap_or_default();
                    println!("curl -i{method}{header}{body} {base}{path}   # expect {expected}");
                }
            }
            println!();
        }
    }
}

/// The second line of every banner: the verdict over every protected route or method.
fn print_verdict(layer_policies: &[Policy]) {
    match preflight(layer_policies) {
        Ok(routes) => println!("protection: ok, {routes} protected routes checked"),
        Err(Misconfigured { answer, problem }) => {
            tracing::error!(%problem, "misconfigured: {answer} until this is fixed");
            println!("protection: MISCONFIGURED, {answer}: {problem}");
        }
    }
}

/// Development mode's warning, ids and the two tokens it signed (`$NS_TOKEN`, `$CT_TOKEN`).
fn print_development_tokens(keys: &KeyPair) {
    let namespace = std::env::var(env::NAMESPACE_ID).unwrap_or_default();
    let container = std::env::var(env::CONTAINER_ID).unwrap_or_default();
    println!();
    println!(
        "DEVELOPMENT MODE: SCW_PUBLIC_KEY is unset, so this process generated its own key pair"
    );
    println!("and trusts only tokens it signed. On Scaleway the platform's key is used instead.");
    println!("  namespace id: {namespace}");
    println!("  container id: {container}");
    println!();
    println!(
        "export NS_TOKEN='{}'",
        keys.token().namespace(&namespace).sign()
    );
    println!(
        "export CT_TOKEN='{}'",
        keys.token().container(&namespace, &container).sign()
    );
    println!();
}

/// The gRPC example's methods, the token each printed call sends, and what it gets.
pub const GRPC_CALLS: [(&str, Option<&str>, &str); 8] = [
    ("status", None, "an answer"),
    ("hello", Some("$NS_TOKEN"), "an answer"),
    ("hello", Some("$CT_TOKEN"), "PermissionDenied"),
    ("hello", None, "Unauthenticated"),
    ("restart", Some("$CT_TOKEN"), "an answer"),
    ("restart", Some("$NS_TOKEN"), "PermissionDenied"),
    ("countdown", Some("$NS_TOKEN"), "4 ticks"),
    ("countdown", None, "Unauthenticated"),
];

/// The gRPC example's banner: where it listens (HTTP/2 cleartext), the verdict over its
/// protected methods, and in development mode tokens and client commands that work as
/// printed.
pub fn announce_grpc(mode: &Mode, name: &str, bound: SocketAddr) {
    println!("{name} listening on http://{bound}");
    print_verdict(&[]);
    let server = format!("http://127.0.0.1:{}", bound.port());
    match mode {
        Mode::Platform => println!(
            "try: GRPC_SERVER={server} cargo run -q --example grpc -- call status   (methods: status, hello, restart, countdown; a token as the last argument)"
        ),
        Mode::Development(keys) => {
            print_development_tokens(keys);
            for (method, token, expected) in GRPC_CALLS {
                let token = token.map(|t| format!(" \"{t}\"")).unwrap_or_default();
                println!(
                    "GRPC_SERVER={server} cargo run -q --example grpc -- call {method}{token}   # expect {expected}"
                );
            }
            println!();
        }
    }
}

/// The metrics example's banner: where it listens, the verdict, where `/metrics` is, and in
/// development mode tokens and calls to count.
#[cfg(feature = "metrics")]
pub fn announce_metrics(mode: &Mode, bound: SocketAddr, scrape: SocketAddr) {
    println!("metrics (axum and tonic on one port) listening on http://{bound}");
    print_verdict(&[]);
    println!("metrics: curl -s http://{scrape}/metrics | grep scw_private");
    let base = format!("http://127.0.0.1:{}", bound.port());
    if let Mode::Development(keys) = mode {
        print_development_tokens(keys);
        println!("curl -i -H \"X-Auth-Token: $NS_TOKEN\" {base}/private   # expect 200");
        println!("curl -i {base}/private   # expect 401");
        println!("gRPC: /scw.example.Meter/Ping at {base}, with the same tokens");
        println!();
    }
}

/// The header each printed command carries and the kind of token in it.
fn curl_cases(protection: Protection) -> Vec<(Option<&'static str>, Option<TokenKind>)> {
    match protection {
        Protection::Public => vec![(None, None)],
        _ => vec![
            (Some("X-Auth-Token: $NS_TOKEN"), Some(TokenKind::Namespace)),
            (
                Some("Authorization: Bearer $CT_TOKEN"),
                Some(TokenKind::Container),
            ),
            (None, None),
        ],
    }
}

/// What a request with a token of `kind` (or none) gets from a private container.
pub fn expected_status(protection: Protection, kind: Option<TokenKind>) -> u16 {
    match (protection, kind) {
        (Protection::Public, _) => 200,
        (_, None) => 401,
        (Protection::ContainerToken, Some(TokenKind::Namespace)) => 403,
        (Protection::NamespaceToken, Some(TokenKind::Container)) => 403,
        _ => 200,
    }
}

/// The body of a `platform_iam` route: the verified token's caller, or how else the request
/// got in (`{"kind":"platform_iam"}` on the platform's word).
pub fn platform_iam_caller(access: scw_private::Access) -> serde_json::Value {
    match access {
        scw_private::Access::Token(claims) => serde_json::json!(Caller::from(claims)),
        other => serde_json::json!({"kind": other.as_str()}),
    }
}

/// The body of every protected route: who called.
#[derive(Serialize)]
pub struct Caller {
    pub namespace_id: Option<String>,
    pub container_id: Option<String>,
    pub kind: TokenKind,
}

impl From<scw_private::Claims> for Caller {
    fn from(claims: scw_private::Claims) -> Self {
        Self {
            namespace_id: claims.namespace_id().map(str::to_owned),
            container_id: claims.container_id().map(str::to_owned),
            kind: claims.kind(),
        }
    }
}

/// The public route's body.
pub fn index() -> serde_json::Value {
    serde_json::json!({
        "message": "this route is public; the others need a token",
        "routes": ROUTES.iter().map(|(method, path, _)| format!("{method} {path}")).collect::<Vec<_>>(),
    })
}

/// The one log line per request.
pub fn log_request(
    method: &str,
    path: &str,
    status: u16,
    refusal: Option<scw_private::RejectionKind>,
) {
    match refusal {
        Some(class) => tracing::info!("{method} {path} {status} refused: {class}"),
        None => tracing::info!("{method} {path} {status}"),
    }
}
