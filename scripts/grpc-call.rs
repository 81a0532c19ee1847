//! `grpc-call URL /package.Service/Method MESSAGE [TOKEN]`: one unary gRPC call whose request
//! and reply are a protobuf string (prost's `String` message), with TOKEN as `x-auth-token`.
//! Prints the reply, or `status <code>: <message>` and exits with 1.
//!
//! scripts/readme-service.sh builds it beside the README's gRPC service, with that crate's own
//! dependencies, to call the service behind `scw-jwt edge`.

use std::process::exit;

use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Endpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, route, message, token @ ..] = args.as_slice() else {
        eprintln!("usage: grpc-call URL /package.Service/Method MESSAGE [TOKEN]");
        exit(2);
    };
    let route = PathAndQuery::try_from(route.as_str()).unwrap_or_else(|error| {
        eprintln!("{route:?} is not a route: {error}");
        exit(2);
    });
    let channel = match Endpoint::from_shared(url.clone()) {
        Ok(endpoint) => endpoint.connect().await,
        Err(error) => {
            eprintln!("{url:?} is not a URL: {error}");
            exit(2);
        }
    };
    let channel = channel.unwrap_or_else(|error| {
        eprintln!("cannot reach {url}: {error}");
        exit(2);
    });
    let mut request = tonic::Request::new(message.clone());
    if let Some(token) = token.first().filter(|token| !token.is_empty()) {
        let Ok(value) = token.parse() else {
            eprintln!("the token is not valid metadata");
            exit(2);
        };
        request.metadata_mut().insert("x-auth-token", value);
    }
    let mut grpc = tonic::client::Grpc::new(channel);
    if let Err(error) = grpc.ready().await {
        eprintln!("the channel is not ready: {error}");
        exit(2);
    }
    let codec = tonic_prost::ProstCodec::<String, String>::default();
    match grpc.unary(request, route, codec).await {
        Ok(reply) => println!("{}", reply.into_inner()),
        Err(status) => {
            println!("status {:?}: {}", status.code(), status.message());
            exit(1);
        }
    }
}
