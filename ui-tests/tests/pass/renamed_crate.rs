// `renamed_scw` is the runtime under another name, as a user who renamed the dependency has it.
// The generated code goes through the path given to `crate = ...`; the macro's own unit test
// checks that the expansion then never names `::scw_private` (Cargo cannot give this crate the
// same dependency under two names, so that half cannot be shown here).
extern crate scw_private as renamed_scw;

use renamed_scw::{Claims, scw_private};

#[scw_private(crate = ::renamed_scw)]
async fn handler(claims: Claims) -> String {
    format!("{:?}", claims.kind())
}

mod reexport {
    pub use ::scw_private as scw;
}

#[scw_private(crate = crate::reexport::scw)]
async fn through_a_reexport() {}

fn main() {
    let _: axum::Router = axum::Router::new().route("/", axum::routing::get(handler)).route("/r", axum::routing::get(through_a_reexport));
}
