//! `scw-jwt edge`: the user's service run as the platform runs a container, behind a local
//! stand-in for the platform's edge.
//!
//! The edge starts the command with the environment the platform injects (`SCW_PUBLIC_KEY`
//! from the key pair, the ids, `SCW_PUBLIC`, `PORT` on a free loopback port), waits until it
//! listens, and serves a front port as a reverse proxy. For a private container it admits a
//! call only with an `X-Auth-Token` it accepts (a JWT minted with the key for this container
//! or its namespace, or one of its IAM secret keys) and answers 403 otherwise, as the
//! platform documents; for a public one it forwards everything. Its own refusals never
//! contain the credential.
//!
//! The service's output is the edge's own (inherited), signals are forwarded to it, the edge
//! exits with its exit code, and the service never outlives the edge's handling of a signal,
//! of the service's exit, or of its own failure.

use std::convert::Infallible;
use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::process::ExitStatusExt as _;
use std::process::{ExitCode, ExitStatus};
use std::sync::Arc;
use std::time::Duration;

use clap::ValueEnum;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use scw_private::testing::KeyPair;
use scw_private::{Policy, Verifier, env};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::Failure;

/// What the platform says about the container: whether its edge checks credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Privacy {
    /// The edge refuses calls without an accepted `X-Auth-Token` (403).
    Private,
    /// The edge forwards every call.
    Public,
}

/// What the edge does with `X-Auth-Token` once it has checked it. The real edge's behaviour
/// is not documented, so both can be tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ForwardToken {
    /// Forward it to the service as it came.
    Keep,
    /// Remove it before forwarding.
    Strip,
}

/// Everything `scw-jwt edge` was asked.
pub(crate) struct Options {
    pub(crate) keys: KeyPair,
    pub(crate) namespace_id: String,
    pub(crate) container_id: String,
    pub(crate) privacy: Privacy,
    pub(crate) host: IpAddr,
    pub(crate) port: u16,
    pub(crate) iam_keys: Vec<String>,
    pub(crate) forward_token: ForwardToken,
    pub(crate) command: Vec<OsString>,
}

/// How long a freshly started service may take to listen (`cargo run` may build it first).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(600);
/// How long a service has to stop after the signal it was sent, before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

type Body = BoxBody<Bytes, hyper::Error>;

/// The edge's state, shared by every connection.
struct Edge {
    privacy: Privacy,
    forward_token: ForwardToken,
    iam_keys: Vec<String>,
    verifier: Verifier,
    upstream: SocketAddr,
    client: Client<HttpConnector, Incoming>,
}

pub(crate) fn run(options: Options) -> Result<ExitCode, Failure> {
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| Failure::Usage(format!("cannot start: {e}")))?;
    runtime.block_on(serve(options))
}

async fn serve(mut options: Options) -> Result<ExitCode, Failure> {
    // Only a key made here is printed: one given with --iam-key may be a real secret.
    let generated_iam_key = options.iam_keys.is_empty();
    if generated_iam_key {
        options
            .iam_keys
            .push(scw_private::testing::iam_secret_key());
    }
    for key in &options.iam_keys {
        if !is_uuid(key) {
            return Err(Failure::Usage(
                "--iam-key takes the secret key of an IAM API key, a UUID".to_owned(),
            ));
        }
    }
    // Signals are caught before the service starts, so none is lost in between.
    let mut signals = Signals::new()?;
    let upstream = free_loopback_port()?;
    let mut child = start(&options, upstream)?;
    let pid = child.id().unwrap_or_default();
    println!(
        "scw-jwt edge: started {} (pid {pid}), waiting for it to listen on {upstream}",
        describe(&options.command)
    );

    tokio::select! {
        status = child.wait() => return exited(status, " before it listened"),
        signal = signals.next() => return Ok(stop(&mut child, signal).await),
        ready = listening(upstream) => {
            if !ready {
                let _ = stop(&mut child, libc::SIGTERM).await;
                return Err(Failure::Edge(format!(
                    "the service did not listen on {upstream} within {} s; it must listen on $PORT",
                    STARTUP_TIMEOUT.as_secs()
                )));
            }
        }
    }

    let front = match TcpListener::bind((options.host, options.port)).await {
        Ok(listener) => listener,
        Err(e) => {
            // The edge cannot serve: the service must not be left running.
            let _ = stop(&mut child, libc::SIGTERM).await;
            return Err(Failure::Edge(format!(
                "cannot listen on {}:{}: {e}",
                options.host, options.port
            )));
        }
    };
    let front_addr = front
        .local_addr()
        .map_err(|e| Failure::Edge(e.to_string()))?;
    banner(&options, front_addr, generated_iam_key);

    let edge = Arc::new(Edge {
        privacy: options.privacy,
        forward_token: options.forward_token,
        verifier: options
            .keys
            .verifier(&options.namespace_id, &options.container_id),
        iam_keys: options.iam_keys,
        upstream,
        client: Client::builder(TokioExecutor::new()).build_http(),
    });
    loop {
        tokio::select! {
            status = child.wait() => return exited(status, "; stopping"),
            signal = signals.next() => return Ok(stop(&mut child, signal).await),
            accepted = front.accept() => {
                if let Ok((stream, client)) = accepted {
                    tokio::spawn(connection(Arc::clone(&edge), stream, client));
                }
            }
        }
    }
}

/// The signals forwarded to the service.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl Signals {
    fn new() -> Result<Self, Failure> {
        let listen = |kind: SignalKind| {
            signal(kind).map_err(|e| Failure::Usage(format!("cannot catch signals: {e}")))
        };
        Ok(Self {
            interrupt: listen(SignalKind::interrupt())?,
            terminate: listen(SignalKind::terminate())?,
            hangup: listen(SignalKind::hangup())?,
        })
    }

    /// The next signal the edge received.
    async fn next(&mut self) -> libc::c_int {
        tokio::select! {
            _ = self.interrupt.recv() => libc::SIGINT,
            _ = self.terminate.recv() => libc::SIGTERM,
            _ = self.hangup.recv() => libc::SIGHUP,
        }
    }
}

/// Starts the command as the platform starts a container: with its environment, in a
/// process group of its own (so a terminal's Ctrl-C reaches the edge, which forwards it
/// once), killed if the edge drops it without stopping it.
fn start(options: &Options, upstream: SocketAddr) -> Result<Child, Failure> {
    let (program, args) = options.command.split_first().ok_or_else(|| {
        Failure::Usage("give the command that starts the service after `--`".to_owned())
    })?;
    let public = match options.privacy {
        Privacy::Private => "false",
        Privacy::Public => "true",
    };
    Command::new(program)
        .args(args)
        .env(env::PUBLIC_KEY, options.keys.public_pem())
        .env(env::NAMESPACE_ID, &options.namespace_id)
        .env(env::CONTAINER_ID, &options.container_id)
        .env(env::PUBLIC, public)
        .env("PORT", upstream.port().to_string())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Failure::Usage(format!("cannot start {}: {e}", describe(&options.command))))
}

/// Sends `signal` to the service, gives it [`STOP_GRACE`] to exit, then kills it; returns
/// the exit code the edge exits with.
async fn stop(child: &mut Child, signal: libc::c_int) -> ExitCode {
    if let Some(pid) = child.id().and_then(|pid| libc::pid_t::try_from(pid).ok()) {
        // SAFETY: `kill` has no memory-safety preconditions; `pid` is our own child, not yet
        // reaped (`id` is `None` once it is), so it cannot be another process.
        unsafe { libc::kill(pid, signal) };
    }
    let status = match tokio::time::timeout(STOP_GRACE, child.wait()).await {
        Ok(status) => status,
        Err(_) => {
            eprintln!(
                "scw-jwt edge: the service did not stop within {} s; killing it",
                STOP_GRACE.as_secs()
            );
            let _ = child.start_kill();
            child.wait().await
        }
    };
    status.map_or(ExitCode::FAILURE, exit_code)
}

/// The edge's end when its service exited by itself: says so, and passes its code on.
fn exited(status: std::io::Result<ExitStatus>, suffix: &str) -> Result<ExitCode, Failure> {
    let status = status.map_err(|e| Failure::Edge(format!("cannot wait for the service: {e}")))?;
    eprintln!("scw-jwt edge: the service exited ({status}){suffix}");
    Ok(exit_code(status))
}

/// The service's exit code, or 128 + the signal that ended it, as a shell reports it.
fn exit_code(status: ExitStatus) -> ExitCode {
    let code = status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(1);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Whether something listens on `addr` within [`STARTUP_TIMEOUT`].
async fn listening(addr: SocketAddr) -> bool {
    let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
    while tokio::time::Instant::now() < deadline {
        if TcpStream::connect(addr).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn free_loopback_port() -> Result<SocketAddr, Failure> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| Failure::Edge(format!("no free loopback port: {e}")))?;
    listener
        .local_addr()
        .map_err(|e| Failure::Edge(e.to_string()))
}

fn describe(command: &[OsString]) -> String {
    let words: Vec<_> = command.iter().map(|w| w.to_string_lossy()).collect();
    format!("`{}`", words.join(" "))
}

/// The start-up banner: what runs where, and tokens and commands that work as printed.
fn banner(options: &Options, front: SocketAddr, generated_iam_key: bool) {
    let (ns, ct) = (&options.namespace_id, &options.container_id);
    let keys = &options.keys;
    let base = format!("http://{front}");
    println!("scw-jwt edge listening on {base}");
    println!(
        "  a {} container: namespace id {ns}, container id {ct}",
        match options.privacy {
            Privacy::Private => "private",
            Privacy::Public => "public",
        }
    );
    println!(
        "  X-Auth-Token is {} once checked (--forward-token {})",
        match options.forward_token {
            ForwardToken::Keep => "forwarded to the service",
            ForwardToken::Strip => "removed before forwarding",
        },
        match options.forward_token {
            ForwardToken::Keep => "keep",
            ForwardToken::Strip => "strip",
        }
    );
    println!();
    println!("export NS_TOKEN='{}'", keys.token().namespace(ns).sign());
    println!(
        "export CT_TOKEN='{}'",
        keys.token().container(ns, ct).sign()
    );
    println!(
        "export SIBLING_TOKEN='{}'",
        keys.token().container(ns, "a-sibling-container").sign()
    );
    if generated_iam_key {
        println!("export IAM_KEY='{}'", options.iam_keys[0]);
    } else {
        // A real IAM secret key is never echoed.
        println!("export IAM_KEY='...'   # a key you gave with --iam-key (not printed)");
    }
    println!();
    let (admitted, refused) = match options.privacy {
        Privacy::Private => ("forwarded, your service answers", "403 from the edge"),
        Privacy::Public => (
            "forwarded, your service answers",
            "forwarded, your service answers",
        ),
    };
    for (header, expected) in [
        (None, refused),
        (Some("$NS_TOKEN"), admitted),
        (Some("$CT_TOKEN"), admitted),
        (Some("$SIBLING_TOKEN"), refused),
        (Some("$IAM_KEY"), admitted),
    ] {
        let header = header
            .map(|value| format!(" -H \"X-Auth-Token: {value}\""))
            .unwrap_or_default();
        println!("curl -i{header} {base}/   # expect {expected}");
    }
    println!();
}

async fn connection(edge: Arc<Edge>, stream: TcpStream, client: SocketAddr) {
    let service = hyper::service::service_fn(move |request| {
        let edge = Arc::clone(&edge);
        async move { Ok::<_, Infallible>(edge.handle(request, client).await) }
    });
    // A client that breaks off is no error of the edge's.
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

const X_AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");

impl Edge {
    async fn handle(&self, mut request: Request<Incoming>, client: SocketAddr) -> Response<Body> {
        if self.privacy == Privacy::Private {
            if let Err(why) = self.admit(request.headers()) {
                return reply(StatusCode::FORBIDDEN, "forbidden", why);
            }
            if self.forward_token == ForwardToken::Strip {
                request.headers_mut().remove(X_AUTH_TOKEN);
            }
        }
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |path| path.as_str());
        let Ok(uri) = Uri::try_from(format!("http://{}{path}", self.upstream)) else {
            return reply(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "unusable request target",
            );
        };
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        remove_hop_by_hop(headers);
        forwarded_headers(headers, client);
        match self.client.request(request).await {
            Ok(mut response) => {
                remove_hop_by_hop(response.headers_mut());
                response.map(|body| body.boxed())
            }
            Err(_) => reply(
                StatusCode::BAD_GATEWAY,
                "bad_gateway",
                "the service did not answer",
            ),
        }
    }

    /// Whether the edge of a private container lets the call through: exactly one
    /// `X-Auth-Token`, holding an accepted IAM secret key or a JWT for this container or its
    /// namespace. The reason never contains the credential.
    fn admit(&self, headers: &HeaderMap) -> Result<(), &'static str> {
        let mut values = headers.get_all(X_AUTH_TOKEN).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err("a private container needs exactly one X-Auth-Token");
        };
        let value = value
            .to_str()
            .map_err(|_| "the X-Auth-Token is not a credential")?
            .trim();
        if is_uuid(value) {
            return match self
                .iam_keys
                .iter()
                .any(|key| key.eq_ignore_ascii_case(value))
            {
                true => Ok(()),
                false => Err("the IAM secret key is not accepted"),
            };
        }
        self.verifier
            .verify(value, &Policy::new())
            .map(drop)
            .map_err(|_| "the token does not grant access to this container")
    }
}

/// An answer of the edge's own: a short JSON body, never the credential.
fn reply(status: StatusCode, error: &str, description: &str) -> Response<Body> {
    let body = serde_json::json!({"error": error, "error_description": description}).to_string();
    let mut response = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Removes the hop-by-hop fields (RFC 9110 section 7.6.1): `Connection`, every field it
/// names, and the ones that only ever concern one connection.
fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        header::CONNECTION,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        headers.remove(name);
    }
}

/// The request headers the platform documents adding: `X-Forwarded-For` (the client's
/// address appended), `X-Forwarded-Proto` and a fresh `X-Request-ID`.
fn forwarded_headers(headers: &mut HeaderMap, client: SocketAddr) {
    let forwarded_for = match headers
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok())
    {
        Some(earlier) => format!("{earlier}, {}", client.ip()),
        None => client.ip().to_string(),
    };
    if let Ok(value) = HeaderValue::from_str(&forwarded_for) {
        headers.insert("x-forwarded-for", value);
    }
    // The front port is plain HTTP on loopback; the platform's is HTTPS.
    headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
    // A fresh UUID, the shape of the platform's request ids.
    if let Ok(id) = HeaderValue::try_from(scw_private::testing::iam_secret_key()) {
        headers.insert("x-request-id", id);
    }
}

/// A UUID: `8-4-4-4-12` hexadecimal digits, any case.
fn is_uuid(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_fields_and_those_connection_names_are_removed() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, X-Private"),
        );
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert("x-auth-token", HeaderValue::from_static("kept"));
        remove_hop_by_hop(&mut headers);
        let left: Vec<_> = headers.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["x-auth-token"]);
    }

    #[test]
    fn forwarded_headers_append_the_client_and_name_the_request() {
        let client: SocketAddr = "127.0.0.1:5555".parse().unwrap();
        let mut headers = HeaderMap::new();
        forwarded_headers(&mut headers, client);
        assert_eq!(headers["x-forwarded-for"], "127.0.0.1");
        assert_eq!(headers["x-forwarded-proto"], "http");
        assert!(is_uuid(headers["x-request-id"].to_str().unwrap()));
        let first = headers["x-request-id"].clone();
        forwarded_headers(&mut headers, client);
        assert_eq!(headers["x-forwarded-for"], "127.0.0.1, 127.0.0.1");
        assert_ne!(headers["x-request-id"], first, "a fresh id per request");
    }
}
