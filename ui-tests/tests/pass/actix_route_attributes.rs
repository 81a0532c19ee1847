use actix_web::{App, HttpResponse, get, post, web};
use scw_private::{Claims, scw_private};

#[get("/a")]
#[scw_private]
async fn below_route(claims: Claims) -> HttpResponse {
    HttpResponse::Ok().json(claims)
}

#[scw_private(namespace)]
#[post("/b")]
async fn above_route(body: web::Json<serde_json::Value>) -> HttpResponse {
    HttpResponse::Ok().json(body.into_inner())
}

#[scw_private(container)]
async fn routed(path: web::Path<u32>) -> String {
    path.into_inner().to_string()
}

fn main() {
    let _ = App::new().service(below_route).service(above_route).route("/c/{n}", web::get().to(routed));
}
