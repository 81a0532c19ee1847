use axum::extract::Request;
use axum::response::Response;
use scw_private::{Claims, scw_private};

/// The Functions runtime's exact shape: the signature is kept, the check is in the body.
#[scw_private(container)]
pub async fn handler(mut req: Request) -> Response {
    let seen = req.extensions_mut().remove::<Claims>().is_some();
    Response::new(format!("{seen}").into())
}

fn main() {
    // Called as a runtime may call it, with the request alone.
    let _ = handler(Request::new(axum::body::Body::empty()));
    // And mounted, as a runtime may mount it.
    let _ = axum::Router::<()>::new().fallback(handler);
}
