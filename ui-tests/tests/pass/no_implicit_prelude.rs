#![no_implicit_prelude]

extern crate axum;
extern crate scw_private;
extern crate std;

mod handlers {
    use ::scw_private::{Claims, scw_private};

    #[scw_private(container, header = "X-Token", on_reject = super::reject)]
    pub async fn handler(claims: ::std::option::Option<Claims>) -> &'static str {
        let _ = claims;
        "ok"
    }
}

fn reject(rejection: ::scw_private::Rejection) -> ::axum::response::Response {
    ::axum::response::IntoResponse::into_response(rejection)
}

fn main() {
    let _: ::axum::Router = ::axum::Router::new().route("/", ::axum::routing::get(handlers::handler));
}
