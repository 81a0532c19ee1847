//! The test apps served on free loopback ports.

use std::net::SocketAddr;

use scw_private::Verifier;

/// Serves `router` on a free loopback port, on the current tokio runtime.
pub async fn serve_axum(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// Serves the routes `configure` adds on a free loopback port, with `verifier` as app data
/// when given, on a thread and actix runtime of its own.
pub fn serve_actix(
    configure: fn(&mut actix_web::web::ServiceConfig),
    verifier: Option<Verifier>,
) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || {
                let app = actix_web::App::new().configure(configure);
                match verifier.clone() {
                    Some(verifier) => app.app_data(verifier),
                    None => app,
                }
            })
            .workers(1)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .unwrap();
            tx.send(server.addrs()[0]).unwrap();
            server.run().await.unwrap();
        });
    });
    rx.recv().unwrap()
}
