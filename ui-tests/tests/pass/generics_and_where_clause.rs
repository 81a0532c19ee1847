use axum::Router;
use axum::extract::State;
use axum::routing::get;
use scw_private::{Claims, scw_private};

#[scw_private(container)]
async fn handler<S>(State(state): State<S>, claims: Claims) -> String
where
    S: Clone + Send + Sync + std::fmt::Debug + 'static,
{
    format!("{state:?} {:?}", claims.kind())
}

fn main() {
    let _: Router = Router::new().route("/", get(handler::<u8>)).with_state(7u8);
}
