use axum::routing::get;
use scw_private::{Claims, scw_private};

struct Handlers;

impl Handlers {
    #[scw_private]
    async fn list() -> &'static str {
        "ok"
    }

    #[scw_private(container, public_if_env)]
    pub async fn show(claims: Option<Claims>) -> String {
        format!("{:?}", claims.map(|claims| claims.kind()))
    }
}

fn main() {
    let _ = axum::Router::<()>::new()
        .route("/", get(Handlers::list))
        .route("/show", get(Handlers::show));
    let _ = actix_web::App::new()
        .route("/", actix_web::web::get().to(Handlers::list))
        .route("/show", actix_web::web::get().to(Handlers::show));
}
