//! The reverse proxy in front of the service: the edge's admission rule for a private
//! container, and the headers a proxy removes and adds.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri, Version};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use scw_private::{Policy, Verifier};
use tokio::net::TcpStream;

use super::{Args, ForwardToken, Privacy};

type Body = BoxBody<Bytes, hyper::Error>;

/// How the edge reaches the service: on loopback, or through the door into the network
/// namespace of its own that `--isolate-network` gives it.
#[derive(Clone)]
pub(super) enum Upstream {
    Loopback(SocketAddr),
    #[cfg(target_os = "linux")]
    Namespace(super::netns::Door),
}

impl Upstream {
    pub(super) async fn connect(&self) -> std::io::Result<TcpStream> {
        match self {
            Self::Loopback(address) => {
                let stream = TcpStream::connect(address).await?;
                // Small HTTP/2 frames go out at once, not after a delayed acknowledgement.
                stream.set_nodelay(true)?;
                Ok(stream)
            }
            #[cfg(target_os = "linux")]
            Self::Namespace(door) => door.connect().await,
        }
    }
}

impl tower_service::Service<Uri> for Upstream {
    type Response = TokioIo<TcpStream>;
    type Error = std::io::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = std::io::Result<Self::Response>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    /// Every request goes to the service, whatever its URI says.
    fn call(&mut self, _: Uri) -> Self::Future {
        let upstream = self.clone();
        Box::pin(async move { upstream.connect().await.map(TokioIo::new) })
    }
}

/// The edge's state, shared by every connection.
pub(super) struct Edge {
    /// The edge's flags, as given: privacy, forwarding, body timeout.
    pub(super) args: Args,
    pub(super) iam_keys: Vec<String>,
    pub(super) verifier: Verifier,
    pub(super) upstream: SocketAddr,
    /// HTTP/1.1 to the service.
    pub(super) client: Client<Upstream, TimedBody<Incoming>>,
    /// HTTP/2 cleartext to the service: for HTTP/2 calls, or every call with `--h2c`.
    pub(super) h2c_client: Client<Upstream, TimedBody<Incoming>>,
}

/// A request body on its way to the service: it fails when no frame arrives within its time
/// limit, so a client that stops sending cannot hold the edge's and the service's connections
/// for ever; and its trailers lose every credential field. The edge admits a call by its
/// headers, before its trailers arrive, so a credential in the trailers was never checked and
/// must not reach the service (under `--forward-token strip` too).
pub(super) struct TimedBody<B> {
    inner: B,
    idle: std::pin::Pin<Box<tokio::time::Sleep>>,
    limit: Duration,
}

impl<B> TimedBody<B> {
    fn new(inner: B, limit: Duration) -> Self {
        Self {
            inner,
            idle: Box::pin(tokio::time::sleep(limit)),
            limit,
        }
    }
}

/// The error a stalled request body ends with.
#[derive(Debug)]
pub(super) struct BodyStalled;

impl std::fmt::Display for BodyStalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body stopped arriving")
    }
}

impl std::error::Error for BodyStalled {}

impl<B> hyper::body::Body for TimedBody<B>
where
    B: hyper::body::Body + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = B::Data;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<B::Data>, Self::Error>>> {
        use std::future::Future as _;
        use std::task::Poll;
        let this = self.get_mut();
        match std::pin::Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                let next = tokio::time::Instant::now() + this.limit;
                this.idle.as_mut().reset(next);
                let mut frame = frame.map(|frame| frame.map_err(Into::into));
                if let Some(Ok(frame)) = &mut frame
                    && let Some(trailers) = frame.trailers_mut()
                {
                    remove_credentials(trailers);
                }
                Poll::Ready(frame)
            }
            Poll::Pending => match this.idle.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyStalled)))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Whether `error`, or an error it was caused by, is a stalled body.
fn stalled(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<BodyStalled>() {
            return true;
        }
        cause = error.source();
    }
    false
}

pub(super) async fn connection(edge: std::sync::Arc<Edge>, stream: TcpStream, client: SocketAddr) {
    let service = hyper::service::service_fn(move |request| {
        let edge = std::sync::Arc::clone(&edge);
        async move { Ok::<_, Infallible>(edge.handle(request, client).await) }
    });
    // HTTP/1.1, or HTTP/2 cleartext with prior knowledge (a gRPC client), told apart by the
    // connection preface.
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    builder.http2().timer(TokioTimer::new());
    // A client that breaks off is no error of the edge's.
    let _ = builder
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

const X_AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");

impl Edge {
    async fn handle(&self, request: Request<Incoming>, client: SocketAddr) -> Response<Body> {
        // How long a request body may go without a new frame.
        let limit = Duration::from_secs(self.args.body_timeout);
        let mut request = request.map(|body| TimedBody::new(body, limit));
        let grpc = is_grpc_call(request.headers());
        // Each of the edge's own refusals is a line of its log, as the platform's edge logs.
        let refuse = |status, error, description| {
            refused(request.method(), request.uri().path(), status, description);
            reply(grpc, status, error, description)
        };
        // Before admission: neither can be forwarded as the edge admits it.
        if request.method() == Method::CONNECT {
            // A tunnel is not a request the service could answer: forwarded, it hangs.
            let mut response = refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "CONNECT is not forwarded",
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(ALLOWED_METHODS));
            return response;
        }
        if names_a_credential(request.headers()) {
            // Hop-by-hop removal would drop the credential the edge admitted the call by, and
            // the service would see a call without any: the platform's word, to `platform_iam`.
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the Connection header names a credential header",
            );
        }
        if self.args.privacy == Privacy::Private
            && let Err(why) = self.admit(request.headers())
        {
            return refuse(StatusCode::FORBIDDEN, "forbidden", why);
        }
        // In every mode, as the banner says: whether the real edge removes it is not
        // documented, so both can be tried.
        if self.args.forward_token == ForwardToken::Strip {
            request.headers_mut().remove(X_AUTH_TOKEN);
        }
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |path| path.as_str());
        let Ok(uri) = Uri::try_from(format!("http://{}{path}", self.upstream)) else {
            return reply(
                grpc,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "unusable request target",
            );
        };
        *request.uri_mut() = uri;
        let h2c = self.args.h2c || request.version() == Version::HTTP_2;
        let trailers = accepts_trailers(request.headers());
        let headers = request.headers_mut();
        remove_hop_by_hop(headers);
        forwarded_headers(headers, client);
        let sent = if h2c {
            // `TE: trailers` is hop-by-hop, but a gRPC service may require it, and this hop
            // carries trailers: say so again on the way on.
            if trailers {
                headers.insert(header::TE, HeaderValue::from_static("trailers"));
            }
            // HTTP/2 names the host in `:authority`, here the service's address; a `Host`
            // beside it that says otherwise makes the request malformed (RFC 9113, 8.3.1),
            // and a strict server refuses it.
            headers.remove(header::HOST);
            *request.version_mut() = Version::HTTP_2;
            self.h2c_client.request(request).await
        } else {
            *request.version_mut() = Version::HTTP_11;
            self.client.request(request).await
        };
        match sent {
            Ok(mut response) => {
                remove_hop_by_hop(response.headers_mut());
                response.map(|body| body.boxed())
            }
            Err(error) if stalled(&error) => reply(
                grpc,
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the request body stopped arriving",
            ),
            Err(_) => reply(
                grpc,
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
            return match accepted_key(&self.iam_keys, value) {
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

/// Whether a request is a gRPC call: `content-type: application/grpc`, alone, with a
/// `+proto`/`+json` suffix or with parameters (not `application/grpc-web`).
fn is_grpc_call(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let value = value.as_bytes();
    let prefix = b"application/grpc";
    value.len() >= prefix.len()
        && value[..prefix.len()].eq_ignore_ascii_case(prefix)
        && matches!(value.get(prefix.len()), None | Some(b'+' | b';'))
}

/// Whether the client said it accepts trailers (`TE: trailers`), as every gRPC client does.
fn accepts_trailers(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::TE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| coding.trim().eq_ignore_ascii_case("trailers"))
}

/// The gRPC status for one of the edge's own HTTP answers: what a gRPC client would make of
/// the HTTP status (the gRPC spec's mapping), but `INVALID_ARGUMENT` for a request the edge
/// cannot forward and `DEADLINE_EXCEEDED` for a stalled one, which say more. What the
/// platform's edge answers a refused gRPC call is not documented.
fn grpc_status(status: StatusCode) -> u16 {
    match status {
        StatusCode::BAD_REQUEST => 3,         // INVALID_ARGUMENT
        StatusCode::METHOD_NOT_ALLOWED => 12, // UNIMPLEMENTED
        StatusCode::FORBIDDEN => 7,           // PERMISSION_DENIED
        StatusCode::REQUEST_TIMEOUT => 4,     // DEADLINE_EXCEEDED
        StatusCode::BAD_GATEWAY => 14,        // UNAVAILABLE
        _ => 2,                               // UNKNOWN
    }
}

/// The log line of one of the edge's own refusals: the method, the path without its query,
/// the status and the reason; never a credential (a token in the path is blanked), and with
/// anything shaped like an IAM key blanked, as in all the edge prints (so no request id either: the edge gives one only to
/// the calls it forwards, and the service logs it).
fn refused(method: &Method, path: &str, status: StatusCode, description: &str) {
    let path = crate::redact::tokens_in_path(path);
    let line = format!("scw-jwt edge: refused {method} {path} ({status}): {description}");
    errln!("{}", crate::redact::output(&line));
}

/// An answer of the edge's own, never the credential: a short JSON body, or for a gRPC call a
/// trailers-only gRPC response whose message is the same description.
fn reply(grpc: bool, status: StatusCode, error: &str, description: &str) -> Response<Body> {
    if grpc {
        let mut response = Response::new(
            Full::new(Bytes::new())
                .map_err(|never| match never {})
                .boxed(),
        );
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/grpc"),
        );
        headers.insert("grpc-status", HeaderValue::from(grpc_status(status)));
        // The descriptions are the edge's own visible ASCII, without `%`: no encoding needed.
        if let Ok(message) = HeaderValue::from_str(description) {
            headers.insert("grpc-message", message);
        }
        return response;
    }
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

/// The credential fields: the platform's `X-Auth-Token`, and `Authorization`, which the
/// crate reads too.
const CREDENTIALS: [HeaderName; 2] = [X_AUTH_TOKEN, header::AUTHORIZATION];

/// Every method but CONNECT, which the edge refuses; for the `Allow` field of that refusal.
const ALLOWED_METHODS: &str = "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE";

fn remove_credentials(fields: &mut HeaderMap) {
    for name in CREDENTIALS {
        fields.remove(name);
    }
}

/// The field names a `Connection` header lists, as a proxy removes them.
fn connection_options(headers: &HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect()
}

/// Whether `Connection` lists a credential field, which hop-by-hop removal would drop.
fn names_a_credential(headers: &HeaderMap) -> bool {
    connection_options(headers)
        .iter()
        .any(|name| CREDENTIALS.contains(name))
}

/// Removes the hop-by-hop fields (RFC 9110 section 7.6.1): `Connection`, every field it
/// names, and the ones that only ever concern one connection.
fn remove_hop_by_hop(headers: &mut HeaderMap) {
    for name in connection_options(headers) {
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
    if let Ok(id) = HeaderValue::try_from(uuid::Uuid::new_v4().to_string()) {
        headers.insert("x-request-id", id);
    }
}

/// Whether `key` is one of `accepted`, compared without case (a UUID's hexadecimal digits) and
/// in constant time: every accepted key is compared in full, whatever matches, so the time
/// taken says nothing about how much of a guess was right.
fn accepted_key(accepted: &[String], key: &str) -> bool {
    let mut found = false;
    for candidate in accepted {
        let same_length = candidate.len() == key.len();
        let difference = candidate.bytes().zip(key.bytes()).fold(0u8, |acc, (a, b)| {
            acc | (a.to_ascii_lowercase() ^ b.to_ascii_lowercase())
        });
        found |= same_length & (std::hint::black_box(difference) == 0);
    }
    found
}

/// A UUID: the shape of an IAM secret key, by the verifier's own rule.
pub(super) fn is_uuid(value: &str) -> bool {
    scw_private::testing::is_iam_secret_key(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_keys_match_whole_and_in_any_case() {
        let accepted = ["7e2a9c41-5b3d-4f6e-8a1c-2d4b6f8e0a13".to_owned()];
        assert!(accepted_key(
            &accepted,
            "7e2a9c41-5b3d-4f6e-8a1c-2d4b6f8e0a13"
        ));
        assert!(accepted_key(
            &accepted,
            "7E2A9C41-5B3D-4F6E-8A1C-2D4B6F8E0A13"
        ));
        assert!(!accepted_key(
            &accepted,
            "7e2a9c41-5b3d-4f6e-8a1c-2d4b6f8e0a14"
        ));
        assert!(!accepted_key(
            &accepted,
            "7e2a9c41-5b3d-4f6e-8a1c-2d4b6f8e0a1"
        ));
        assert!(!accepted_key(&accepted, ""));
        // Two differences that cancel out if the fold forgot one of them.
        assert!(!accepted_key(
            &accepted,
            "6e2a9c40-5b3d-4f6e-8a1c-2d4b6f8e0a13"
        ));
        assert!(!accepted_key(&[], "7e2a9c41-5b3d-4f6e-8a1c-2d4b6f8e0a13"));
    }

    #[test]
    fn a_stalled_body_is_found_however_deep_the_error_wraps_it() {
        #[derive(Debug)]
        struct Wrapper(Box<dyn std::error::Error + 'static>);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("wrapped")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&*self.0)
            }
        }
        assert!(stalled(&BodyStalled));
        assert!(stalled(&Wrapper(Box::new(Wrapper(Box::new(BodyStalled))))));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(!stalled(&refused));
        assert!(!stalled(&Wrapper(Box::new(refused))));
        assert_eq!(BodyStalled.to_string(), "the request body stopped arriving");
    }

    #[test]
    fn grpc_calls_are_told_by_their_content_type() {
        let with = |content_type: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            headers
        };
        for grpc in [
            "application/grpc",
            "application/grpc+proto",
            "Application/GRPC;x=y",
        ] {
            assert!(is_grpc_call(&with(grpc)), "{grpc}");
        }
        for other in [
            "application/grpc-web",
            "application/json",
            "application/grp",
        ] {
            assert!(!is_grpc_call(&with(other)), "{other}");
        }
        assert!(!is_grpc_call(&HeaderMap::new()));
    }

    #[test]
    fn te_trailers_is_found_among_other_codings() {
        let mut headers = HeaderMap::new();
        assert!(!accepts_trailers(&headers));
        headers.insert(header::TE, HeaderValue::from_static("gzip"));
        assert!(!accepts_trailers(&headers));
        headers.append(header::TE, HeaderValue::from_static("deflate, Trailers"));
        assert!(accepts_trailers(&headers));
    }

    #[test]
    fn the_edge_answers_a_grpc_call_in_grpc() {
        for (status, code) in [
            (StatusCode::FORBIDDEN, "7"),
            (StatusCode::BAD_REQUEST, "3"),
            (StatusCode::REQUEST_TIMEOUT, "4"),
            (StatusCode::BAD_GATEWAY, "14"),
            (StatusCode::METHOD_NOT_ALLOWED, "12"),
            // No status of its own: what a gRPC client makes of an unexpected one.
            (StatusCode::INTERNAL_SERVER_ERROR, "2"),
        ] {
            let response = reply(true, status, "forbidden", "no credential");
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers()["content-type"], "application/grpc");
            assert_eq!(response.headers()["grpc-status"], code);
            assert_eq!(response.headers()["grpc-message"], "no credential");
            assert!(
                hyper::body::Body::is_end_stream(response.body()),
                "trailers-only"
            );
        }
        let http = reply(false, StatusCode::FORBIDDEN, "forbidden", "no credential");
        assert_eq!(http.status(), 403);
        assert_eq!(http.headers()["content-type"], "application/json");
        assert!(!http.headers().contains_key("grpc-status"));
    }

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
