//! `missing_docs` is denied: the handler's docs must survive the rewrite, and the generated
//! items must not need any.
#![deny(missing_docs)]

use scw_private::scw_private;

/// Answers the protected route.
#[scw_private]
pub async fn handler() -> &'static str {
    "ok"
}

fn main() {
    let _ = handler;
}
