//! Serves the function on `LISTEN_HOST:PORT` (default `0.0.0.0:8080`), as the platform's own
//! Rust examples do with a small test server, so it can be tried locally:
//!
//! ```sh
//! SCW_PUBLIC_KEY="$(cat key.pub.pem)" SCW_NAMESPACE_ID=... SCW_APPLICATION_ID=... \
//!     cargo run -p function-example --bin local
//! ```
//!
//! It checks its configuration before it binds the port: with an unusable key or a missing id
//! it exits with an error that names the variable, instead of serving a revision whose every
//! call answers 500.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Router;
use scw_private::Verifier;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    // Every `#[scw_private]` handler of the binary, found without a list.
    if let Err(problem) = Verifier::global().preflight_handlers() {
        eprintln!("not starting: {problem}");
        std::process::exit(1);
    }
    let addr = SocketAddr::from((host(), port()));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .unwrap_or_else(|error| {
            eprintln!("cannot listen on {addr}: {error}");
            std::process::exit(1);
        });
    println!(
        "function listening on http://{}",
        listener.local_addr().unwrap()
    );
    // A function answers every path.
    let app = Router::new().fallback(function::handler);
    axum::serve(listener, app).await.expect("the server runs");
}

fn port() -> u16 {
    std::env::var("PORT").map_or(8080, |port| {
        port.trim().parse().unwrap_or_else(|_| {
            eprintln!("PORT={port:?} is not a port number");
            std::process::exit(2);
        })
    })
}

fn host() -> IpAddr {
    std::env::var("LISTEN_HOST").map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |host| {
        host.trim().parse().unwrap_or_else(|_| {
            eprintln!("LISTEN_HOST={host:?} is not an IP address");
            std::process::exit(2);
        })
    })
}
