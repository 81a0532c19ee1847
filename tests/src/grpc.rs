//! The test gRPC service, `scw.test.Probe`: one unary method per route of the HTTP matrix, a
//! server-streaming one and a client-streaming one, served over h2c on loopback in each of the
//! three forms a tonic user protects a service with, and a client that calls it with exactly
//! the metadata a test wants.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use scw_private::layer::ScwPrivateLayer;
use scw_private::tonic_0_14::{ScwPrivateInterceptor, protect};
use scw_private::{Access, Claims, Policy, TokenKind, Verifier, scw_private};
use tokio_stream::Stream;
use tonic::metadata::{MetadataKey, MetadataValue};
use tonic::server::NamedService as _;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Request, Response, Status, Streaming};

use crate::Route;

/// What a call carries: nothing the service reads.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Call {
    #[prost(string, tag = "1")]
    pub note: String,
}

/// What the service saw: how the call got in, and the verified token's kind.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Caller {
    /// `Access::as_str`: `token`, `public_container`, `platform_iam`.
    #[prost(string, tag = "1")]
    pub access: String,
    /// `namespace` or `container`, or empty without a token.
    #[prost(string, tag = "2")]
    pub kind: String,
    /// For `upload`: how many messages the method read.
    #[prost(uint32, tag = "3")]
    pub received: u32,
}

mod generated {
    include!(concat!(env!("OUT_DIR"), "/scw.test.Probe.rs"));
}

pub use generated::probe_client::ProbeClient;
pub use generated::probe_server::{Probe, ProbeServer};

/// What the method found in the request's extensions, which every form must put there.
fn caller<T>(request: &Request<T>) -> Caller {
    // Every form hands the Access over; only the unprotected service has none.
    let access = request.extensions().get::<Access>();
    let claims = request.extensions().get::<Claims>();
    assert_eq!(
        access.and_then(Access::claims),
        claims,
        "the Access and the Claims agree"
    );
    Caller {
        access: access.map_or("unprotected", Access::as_str).to_owned(),
        kind: match claims.map(Claims::kind) {
            Some(TokenKind::Namespace) => "namespace",
            Some(_) => "container",
            None => "",
        }
        .to_owned(),
        received: 0,
    }
}

type Watch = Pin<Box<dyn Stream<Item = Result<Caller, Status>> + Send>>;

/// Two answers for `watch`, then the end of the stream.
fn watch_stream(caller: Caller) -> Watch {
    Box::pin(tokio_stream::iter([Ok(caller.clone()), Ok(caller)]))
}

/// `upload`: reads one message (a refused call never gets here), counts the run.
async fn upload(
    runs: &AtomicUsize,
    request: Request<Streaming<Call>>,
) -> Result<Response<Caller>, Status> {
    runs.fetch_add(1, Ordering::SeqCst);
    let mut caller = caller(&request);
    let mut stream = request.into_inner();
    if stream.message().await?.is_some() {
        caller.received = 1;
    }
    Ok(Response::new(caller))
}

/// Every method protected by `#[scw_private]`, with the arguments of its HTTP route.
#[derive(Default)]
pub struct Attributed {
    /// How many times a streaming method ran.
    pub runs: Arc<AtomicUsize>,
}

#[scw_private]
#[tonic::async_trait]
impl Probe for Attributed {
    #[scw_private]
    async fn any(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    #[scw_private(container)]
    async fn container(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    #[scw_private(namespace)]
    async fn namespace(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    #[scw_private(namespace_id = "ns-explicit")]
    async fn explicit_namespace(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    #[scw_private(container, container_id = "ct-explicit")]
    async fn explicit_container(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    #[scw_private(header = "X-Token")]
    async fn custom_header(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    #[scw_private(public_if_env)]
    async fn maybe_public(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    #[scw_private(container, route = "GetHTTPStatusV1")]
    async fn legacy(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    type WatchStream = Watch;

    #[scw_private(container)]
    async fn watch(&self, request: Request<Call>) -> Result<Response<Watch>, Status> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        Ok(Response::new(watch_stream(caller(&request))))
    }

    #[scw_private]
    async fn upload(&self, request: Request<Streaming<Call>>) -> Result<Response<Caller>, Status> {
        upload(&self.runs, request).await
    }
}

/// Every method unprotected: the interceptor or the layer in front does the check.
#[derive(Default)]
pub struct Plain {
    pub runs: Arc<AtomicUsize>,
}

#[tonic::async_trait]
impl Probe for Plain {
    async fn any(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    async fn container(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    async fn namespace(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    async fn explicit_namespace(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    async fn explicit_container(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    async fn custom_header(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    async fn maybe_public(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    async fn legacy(&self, request: Request<Call>) -> Result<Response<Caller>, Status> {
        Ok(Response::new(caller(&request)))
    }

    type WatchStream = Watch;

    async fn watch(&self, request: Request<Call>) -> Result<Response<Watch>, Status> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        Ok(Response::new(watch_stream(caller(&request))))
    }

    async fn upload(&self, request: Request<Streaming<Call>>) -> Result<Response<Caller>, Status> {
        upload(&self.runs, request).await
    }
}

/// How the served service is protected.
#[derive(Clone, Debug)]
pub enum Form {
    /// `#[scw_private(..)]` on each method ([`Attributed`]), served through
    /// `tonic_0_14::protect`, which checks each call against its method's policy.
    Attribute,
    /// `ProbeServer::with_interceptor(Plain, ScwPrivateInterceptor::new(policy))`.
    Interceptor(Policy),
    /// `Server::builder().layer(ScwPrivateLayer::new(policy))` in front of [`Plain`].
    Layer(Policy),
    /// [`Plain`] alone, no check: the baseline of the benchmark.
    Unprotected,
    /// [`Attributed`] served straight, without `protect`: nothing checks a call before its
    /// message is read, so each protected method refuses every call.
    Unenforced,
}

/// A protected Probe service on a free loopback port (h2c, as the platform runs a gRPC
/// container), checked by `verifier` (the environment's, [`Verifier::global`], without one);
/// and the count of its streaming methods' runs.
pub async fn serve_grpc(form: Form, verifier: Option<Verifier>) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (addr, serve_grpc_on(listener, form, verifier))
}

/// [`serve_grpc`] on a listener of the caller's (a service behind `scw-jwt edge` listens on
/// `$PORT`).
pub fn serve_grpc_on(
    listener: tokio::net::TcpListener,
    form: Form,
    verifier: Option<Verifier>,
) -> Arc<AtomicUsize> {
    // TCP_NODELAY, as `Server::serve` sets it: without, small HTTP/2 frames wait on delayed
    // acknowledgements (40 ms a call).
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let runs = Arc::new(AtomicUsize::new(0));
    let plain = Plain {
        runs: Arc::clone(&runs),
    };
    match form {
        Form::Attribute => {
            let service = protect(
                Attributed {
                    runs: Arc::clone(&runs),
                },
                ProbeServer::new,
            );
            let service = match verifier {
                Some(verifier) => service.verifier(verifier),
                None => service,
            };
            let server = Server::builder().add_service(service);
            tokio::spawn(server.serve_with_incoming(incoming));
        }
        Form::Interceptor(policy) => {
            // Named, as the guide recommends, so its refusals name the service.
            let named = ScwPrivateInterceptor::new(policy).service_name(ProbeServer::<Plain>::NAME);
            let interceptor = match verifier {
                Some(verifier) => named.verifier(verifier),
                None => named,
            };
            let server =
                Server::builder().add_service(ProbeServer::with_interceptor(plain, interceptor));
            tokio::spawn(server.serve_with_incoming(incoming));
        }
        Form::Unenforced => {
            let service = ProbeServer::new(Attributed {
                runs: Arc::clone(&runs),
            });
            let server = Server::builder().add_service(service);
            tokio::spawn(server.serve_with_incoming(incoming));
        }
        Form::Unprotected => {
            let server = Server::builder().add_service(ProbeServer::new(plain));
            tokio::spawn(server.serve_with_incoming(incoming));
        }
        Form::Layer(policy) => {
            let layer = match verifier {
                Some(verifier) => ScwPrivateLayer::new(policy).verifier(verifier),
                None => ScwPrivateLayer::new(policy),
            };
            let server = Server::builder()
                .layer(layer)
                .add_service(ProbeServer::new(plain));
            tokio::spawn(server.serve_with_incoming(incoming));
        }
    }
    runs
}

/// The three forms, each with `policy`.
pub fn every_form(policy: Policy) -> [Form; 3] {
    [
        Form::Attribute,
        Form::Interceptor(policy),
        Form::Layer(policy),
    ]
}

/// A client of the Probe service at `addr`, over h2c.
pub async fn grpc_client(addr: SocketAddr) -> ProbeClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    ProbeClient::new(channel)
}

/// `message` with `metadata` (names in any case; a `-bin` name takes the value's bytes).
pub fn with_metadata<T>(message: T, metadata: &[(&str, &str)]) -> Request<T> {
    let mut request = Request::new(message);
    for (name, value) in metadata {
        let name = name.to_ascii_lowercase();
        if name.ends_with("-bin") {
            let key = MetadataKey::from_bytes(name.as_bytes()).unwrap();
            request
                .metadata_mut()
                .append_bin(key, MetadataValue::from_bytes(value.as_bytes()));
        } else {
            let key = MetadataKey::from_bytes(name.as_bytes()).unwrap();
            request.metadata_mut().append(key, value.parse().unwrap());
        }
    }
    request
}

/// Calls the unary method of `route` with `metadata`.
pub async fn call_route(
    client: &mut ProbeClient<Channel>,
    route: Route,
    metadata: &[(&str, &str)],
) -> Result<Caller, Status> {
    let request = with_metadata(Call::default(), metadata);
    let response = match route {
        Route::Any => client.any(request).await,
        Route::Container => client.container(request).await,
        Route::Namespace => client.namespace(request).await,
        Route::ExplicitNamespace => client.explicit_namespace(request).await,
        Route::ExplicitContainer => client.explicit_container(request).await,
        Route::CustomHeader => client.custom_header(request).await,
        Route::MaybePublic => client.maybe_public(request).await,
    };
    response.map(Response::into_inner)
}
