use axum::Json;
use axum::extract::State;
use scw_private::{Claims, scw_private};

#[scw_private(container, public_if_env, header = "X-Token", container_id = "c")]
async fn handler(State(n): State<u8>, claims: Option<Claims>, Json(body): Json<serde_json::Value>) -> String {
    format!("{n} {claims:?} {body}")
}

fn main() {
    let _: axum::Router = axum::Router::new().route("/", axum::routing::post(handler)).with_state(1u8);
}
