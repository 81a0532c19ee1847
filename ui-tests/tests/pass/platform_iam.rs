use axum::Json;
use scw_private::{Claims, scw_private};

/// Behind the platform's edge: `None` when the edge vouched for the call, the verified
/// claims when it carried a JWT.
#[scw_private(platform_iam, public_if_env, container_id = "c")]
async fn handler(claims: Option<Claims>, Json(body): Json<serde_json::Value>) -> String {
    format!("{claims:?} {body}")
}

fn main() {
    let _: axum::Router = axum::Router::new().route("/", axum::routing::post(handler));
}
