//! A gRPC service with tonic, protected per method: `cargo run --example grpc`.
//!
//! ```sh
//! cargo run --example grpc                                  # the server, port 8080
//! cargo run --example grpc -- call hello "$NS_TOKEN"        # a client, from another shell
//! ```
//!
//! A public method, a namespace-scoped one, a container-only one and a server-streaming one,
//! each protected by `#[scw_private(..)]` on the method, with `#[scw_private]` on the `impl`
//! and the service served through `tonic_0_14::protect`, which checks every call before its
//! message is read. `grpc.health.v1.Health` is served beside it, unprotected, for probes and
//! load balancers. No `protoc` is needed: the messages are prost derives below, and
//! `build.rs` generates the service code from a description in Rust with tonic-build's
//! `manual` builder.
//!
//! Without `SCW_PUBLIC_KEY` it runs in development mode and prints tokens and client commands
//! to try. On Scaleway, deploy it with `protocol: h2c` (gRPC is HTTP/2), and it takes the
//! environment exactly as the platform injects it.

use std::pin::Pin;
use std::time::Duration;

use scw_private::tonic_0_14::protect;
use scw_private::{Access, Claims, scw_private};
use tokio_stream::Stream;
use tonic::metadata::MetadataValue;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Request, Response, Status};

#[derive(Clone, PartialEq, prost::Message)]
pub struct Empty {}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    #[prost(string, tag = "1")]
    pub name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Reply {
    #[prost(string, tag = "1")]
    pub message: String,
    /// How the call got in: `token`, `public_container`, `platform_iam`, or `public`.
    #[prost(string, tag = "2")]
    pub access: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CountdownRequest {
    #[prost(uint32, tag = "1")]
    pub from: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Tick {
    #[prost(uint32, tag = "1")]
    pub remaining: u32,
}

mod proto {
    include!(concat!(env!("OUT_DIR"), "/scw.example.Greeter.rs"));
}

use proto::greeter_client::GreeterClient;
use proto::greeter_server::{Greeter, GreeterServer};

/// Who called, from what the check put in the request's extensions.
fn who<T>(request: &Request<T>) -> String {
    match request.extensions().get::<Claims>() {
        Some(claims) => format!("a {:?} token", claims.kind()),
        None => "an anonymous caller".to_owned(),
    }
}

fn access<T>(request: &Request<T>) -> String {
    request
        .extensions()
        .get::<Access>()
        .map_or("public", Access::as_str)
        .to_owned()
}

struct MyGreeter;

type Ticks = Pin<Box<dyn Stream<Item = Result<Tick, Status>> + Send>>;

// Above `#[tonic::async_trait]`: the table of the methods' policies that `protect` enforces.
#[scw_private]
#[tonic::async_trait]
impl Greeter for MyGreeter {
    /// Public: no attribute, no check.
    async fn status(&self, request: Request<Empty>) -> Result<Response<Reply>, Status> {
        Ok(Response::new(Reply {
            message: "up; the other methods need a token".to_owned(),
            access: access(&request),
        }))
    }

    /// Only a namespace token for this namespace.
    #[scw_private(namespace)]
    async fn hello(&self, request: Request<HelloRequest>) -> Result<Response<Reply>, Status> {
        let message = format!("hello {}, from {}", request.get_ref().name, who(&request));
        Ok(Response::new(Reply {
            message,
            access: access(&request),
        }))
    }

    /// Only a container token for this very container.
    #[scw_private(container)]
    async fn restart(&self, request: Request<Empty>) -> Result<Response<Reply>, Status> {
        Ok(Response::new(Reply {
            message: format!("restart requested by {}", who(&request)),
            access: access(&request),
        }))
    }

    type CountdownStream = Ticks;

    /// Any token for this container: the check runs before the first message is sent.
    #[scw_private]
    async fn countdown(
        &self,
        request: Request<CountdownRequest>,
    ) -> Result<Response<Ticks>, Status> {
        let from = request.get_ref().from.min(10);
        let ticks = async_stream(from);
        Ok(Response::new(Box::pin(ticks)))
    }
}

/// `from`, `from - 1`, ..., `0`, 100 ms apart.
fn async_stream(from: u32) -> impl Stream<Item = Result<Tick, Status>> + Send {
    use tokio_stream::StreamExt as _;
    tokio_stream::iter((0..=from).rev())
        .throttle(Duration::from_millis(100))
        .map(|remaining| Ok(Tick { remaining }))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [call, method, rest @ ..] = args.as_slice()
        && call == "call"
    {
        let token = rest.first().map(String::as_str);
        std::process::exit(client(method, token));
    }
    let mode = examples::start();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(examples::listen_addr())
            .await
            .expect("the port is free");
        let bound = listener.local_addr().expect("a bound address");
        examples::announce_grpc(&mode, "grpc (tonic, HTTP/2 cleartext)", bound);
        // TCP_NODELAY, as `Server::serve` sets it: without, each small HTTP/2 frame can wait
        // for a delayed acknowledgement (40 ms a call).
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        // Health, unprotected: the platform's own probes are HTTP or TCP, but a load balancer
        // or a client's health check may ask over gRPC.
        let (health, health_service) = tonic_health::server::health_reporter();
        health.set_serving::<GreeterServer<MyGreeter>>().await;
        Server::builder()
            .add_service(health_service)
            .add_service(protect(MyGreeter, GreeterServer::new))
            .serve_with_incoming(incoming)
            .await
            .expect("the server runs");
    });
}

/// `grpc call <method> [token]`: calls the server at `$GRPC_SERVER` (by default
/// `http://127.0.0.1:8080`) and prints the answer or the status. Exit code 0 for an answer, 1
/// for a status.
fn client(method: &str, token: Option<&str>) -> i32 {
    let server =
        std::env::var("GRPC_SERVER").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned());
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let channel = match Channel::from_shared(server.clone()) {
            Ok(endpoint) => match endpoint.connect().await {
                Ok(channel) => channel,
                Err(error) => {
                    eprintln!("cannot reach {server}: {error}");
                    return 2;
                }
            },
            Err(error) => {
                eprintln!("GRPC_SERVER={server:?}: {error}");
                return 2;
            }
        };
        let mut client = GreeterClient::new(channel);
        let answer = match method {
            "status" => client
                .status(with_token(Empty {}, token))
                .await
                .map(print_reply),
            "hello" => client
                .hello(with_token(
                    HelloRequest {
                        name: "world".to_owned(),
                    },
                    token,
                ))
                .await
                .map(print_reply),
            "restart" => client
                .restart(with_token(Empty {}, token))
                .await
                .map(print_reply),
            "countdown" => match client
                .countdown(with_token(CountdownRequest { from: 3 }, token))
                .await
            {
                Ok(response) => {
                    let mut ticks = response.into_inner();
                    loop {
                        match ticks.message().await {
                            Ok(Some(tick)) => println!("tick {}", tick.remaining),
                            Ok(None) => break Ok(()),
                            Err(status) => break Err(status),
                        }
                    }
                }
                Err(status) => Err(status),
            },
            other => {
                eprintln!("no method {other:?}: status, hello, restart or countdown");
                return 2;
            }
        };
        match answer {
            Ok(()) => 0,
            Err(status) => {
                println!("status {:?}: {}", status.code(), status.message());
                1
            }
        }
    })
}

/// `message`, with `token` as `x-auth-token` metadata.
fn with_token<T>(message: T, token: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(token) = token {
        match MetadataValue::try_from(token) {
            Ok(value) => {
                request.metadata_mut().insert("x-auth-token", value);
            }
            Err(_) => eprintln!("the token is not valid metadata; sent without it"),
        }
    }
    request
}

fn print_reply(response: Response<Reply>) {
    let reply = response.into_inner();
    println!("{} (access: {})", reply.message, reply.access);
}
