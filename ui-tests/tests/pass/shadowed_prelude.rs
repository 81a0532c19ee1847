#![allow(dead_code, non_camel_case_types)]

use scw_private::{Claims, scw_private};

// Everything the generated code could carelessly rely on, shadowed.
struct Result;
struct Ok;
struct Option;
struct Some;
struct None;
struct String;
struct Box;
struct Vec;
mod std {}
mod core {}
trait From {}
trait Into {}
struct Policy;
struct Guard;
struct __scw_rejection;
struct __scw_guard;

#[scw_private(public_if_env, namespace_id = "ns", on_reject = reject)]
async fn handler(claims: ::std::option::Option<Claims>) -> &'static str {
    let _ = claims;
    "ok"
}

fn reject(rejection: scw_private::Rejection) -> axum::response::Response {
    axum::response::IntoResponse::into_response(rejection)
}

fn main() {
    let _: axum::Router = axum::Router::new().route("/", axum::routing::get(handler));
}
