//! The quickstart's routes on actix-web 4: `cargo run --example actix`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpResponse, HttpServer, get, post, web};
use examples::Caller;
use scw_private::{Access, Claims, RejectionKind, scw_private};
use serde_json::{Value, json};

#[get("/")]
async fn index() -> HttpResponse {
    HttpResponse::Ok().json(examples::index())
}

#[get("/private")]
#[scw_private]
async fn private(claims: Claims) -> HttpResponse {
    HttpResponse::Ok().json(Caller::from(claims))
}

#[get("/container-only")]
#[scw_private(container)]
async fn container_only(claims: Claims) -> HttpResponse {
    HttpResponse::Ok().json(Caller::from(claims))
}

#[get("/namespace-only")]
#[scw_private(namespace)]
async fn namespace_only(claims: Claims) -> HttpResponse {
    HttpResponse::Ok().json(Caller::from(claims))
}

#[get("/maybe-public")]
#[scw_private(public_if_env)]
async fn maybe_public(claims: Option<Claims>) -> HttpResponse {
    match claims {
        Some(claims) => HttpResponse::Ok().json(Caller::from(claims)),
        None => HttpResponse::Ok().json(json!({"public": true})),
    }
}

#[get("/platform-iam")]
#[scw_private(platform_iam)]
async fn platform_iam(access: Access) -> HttpResponse {
    HttpResponse::Ok().json(examples::platform_iam_caller(access))
}

#[post("/echo")]
#[scw_private]
async fn echo(body: web::Json<Value>) -> HttpResponse {
    HttpResponse::Ok().json(body.into_inner())
}

async fn log(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let (method, path) = (request.method().to_string(), request.path().to_owned());
    let response = next.call(request).await?;
    let refusal = response
        .response()
        .extensions()
        .get::<RejectionKind>()
        .copied();
    examples::log_request(&method, &path, response.status().as_u16(), refusal);
    Ok(response)
}

fn main() -> std::io::Result<()> {
    let mode = examples::start();
    actix_web::rt::System::new().block_on(async {
        let server = HttpServer::new(|| {
            App::new()
                .wrap(from_fn(log))
                .service(index)
                .service(private)
                .service(container_only)
                .service(namespace_only)
                .service(maybe_public)
                .service(platform_iam)
                .service(echo)
        })
        // The quickstart's limits: headers within this time, or the connection is closed.
        .client_request_timeout(examples::HEADER_READ_TIMEOUT)
        .keep_alive(examples::HEADER_READ_TIMEOUT)
        .bind(examples::listen_addr())?;
        examples::announce(&mode, "actix example", server.addrs()[0], &[]);
        server.run().await
    })
}
