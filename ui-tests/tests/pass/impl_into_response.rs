use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use scw_private::scw_private;

#[scw_private]
async fn handler() -> impl IntoResponse {
    (StatusCode::CREATED, "made")
}

fn main() {
    let _: Router = Router::new().route("/", get(handler));
}
