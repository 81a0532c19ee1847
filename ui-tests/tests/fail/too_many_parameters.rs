use axum::http::{HeaderMap, Method, Uri, Version};
use scw_private::scw_private;

#[scw_private]
async fn handler(
    _: Method, _: Uri, _: Version, _: HeaderMap,
    _: Method, _: Uri, _: Version, _: HeaderMap,
    _: Method, _: Uri, _: Version, _: HeaderMap,
    _: Method, _: Uri, _: Version, _: HeaderMap,
) {}

fn main() {}
