use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use scw_private::scw_private;

#[scw_private(namespace)]
async fn handler(Path(n): Path<String>) -> Result<String, StatusCode> {
    if n.is_empty() {
        return Err(StatusCode::NOT_FOUND);
    }
    let n: u32 = n.parse().map_err(|_| StatusCode::BAD_REQUEST)?;
    Ok((n * 2).to_string())
}

fn main() {
    let _: Router = Router::new().route("/{n}", get(handler));
}
