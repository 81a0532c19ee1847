//! Support for the integration tests: test-only keys and tokens, the table of what every
//! protected route must answer to every token, and a raw HTTP/1.1 client, so requests can
//! carry exactly the bytes a test wants (repeated headers, partial bodies) over loopback.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use std::sync::LazyLock;

use scw_private::Verifier;
use scw_private::testing::KeyPair;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The README's Rust blocks, compiled (and run, unless marked `no_run`) as this crate's
/// doctests, so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// Test-only key pair A, the verifier's key: 4096 bits and PKCS#1, like the platform's.
pub const PUBLIC_KEY: &str = include_str!("../../runtime/test-keys/rsa4096.pkcs1.pem");
pub const PRIVATE_KEY: &str = include_str!("../../runtime/test-keys/rsa4096.private.pem");

pub const NS: &str = "11111111-aaaa-4aaa-8aaa-000000000001";
pub const CT: &str = "22222222-bbbb-4bbb-8bbb-000000000001";
pub const SIBLING: &str = "22222222-bbbb-4bbb-8bbb-000000000002";
pub const OTHER_NS: &str = "11111111-aaaa-4aaa-8aaa-000000000002";
/// The ids the `explicit-*` routes name in their attribute.
pub const EXPLICIT_NS: &str = "ns-explicit";
pub const EXPLICIT_CT: &str = "ct-explicit";

/// A verifier for container `CT` of namespace `NS`, built without the environment.
pub fn verifier(public: bool) -> Verifier {
    Verifier::builder()
        .public_key_pem(PUBLIC_KEY)
        .namespace_id(NS)
        .container_id(CT)
        .public(public)
        .build()
        .unwrap()
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Test key A as a signing key.
pub fn keys() -> &'static KeyPair {
    static KEYS: LazyLock<KeyPair> =
        LazyLock::new(|| KeyPair::from_private_pem(PRIVATE_KEY).unwrap());
    &KEYS
}

/// Signs `claims` with test key A, as the platform signs its tokens.
pub fn mint(claims: &Value) -> String {
    keys().sign_raw(r#"{"alg":"RS256","typ":"JWT"}"#, &claims.to_string())
}

/// The one entry of a platform token: a namespace token names no container, a container
/// token issued for a container alone has `"namespace_id": ""`.
fn entry(namespace_id: Option<&str>, container_id: Option<&str>) -> Value {
    match container_id {
        None => json!({"namespace_id": namespace_id.unwrap_or_default()}),
        Some(ct) => json!({"namespace_id": namespace_id.unwrap_or_default(), "application_id": ct}),
    }
}

/// A token exactly as the platform issues it (the profile decoded from real tokens): one
/// entry, `version`, `aud`, a UUID `jti`, `iat` and `nbf`, `iss`, `sub`, and no `exp`.
pub fn platform_token(namespace_id: Option<&str>, container_id: Option<&str>) -> String {
    let issued = now() - 10;
    mint(&json!({
        "application_claim": [entry(namespace_id, container_id)],
        "version": 2,
        "aud": "functions",
        "jti": "6f0a4b8e-2c1d-4f3a-9b7e-5d8c1a2e3f40",
        "iat": issued,
        "iss": "SCALEWAY",
        "nbf": issued,
        "sub": "token",
    }))
}

/// Every kind of token the route matrix sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    Namespace,
    Container,
    ContainerWithoutNamespace,
    ContainerIdSpelling,
    Sibling,
    OtherNamespace,
    ExplicitNamespace,
    ExplicitContainer,
    Expired,
    Bad,
    None,
}

impl Token {
    pub const ALL: [Token; 11] = [
        Token::Namespace,
        Token::Container,
        Token::ContainerWithoutNamespace,
        Token::ContainerIdSpelling,
        Token::Sibling,
        Token::OtherNamespace,
        Token::ExplicitNamespace,
        Token::ExplicitContainer,
        Token::Expired,
        Token::Bad,
        Token::None,
    ];

    pub fn value(self) -> Option<String> {
        Some(match self {
            Token::Namespace => platform_token(Some(NS), None),
            Token::Container => platform_token(Some(NS), Some(CT)),
            Token::ContainerWithoutNamespace => platform_token(None, Some(CT)),
            Token::ContainerIdSpelling => {
                mint(&json!({"application_claim": [{"namespace_id": NS, "container_id": CT}]}))
            }
            Token::Sibling => platform_token(Some(NS), Some(SIBLING)),
            Token::OtherNamespace => platform_token(Some(OTHER_NS), None),
            Token::ExplicitNamespace => platform_token(Some(EXPLICIT_NS), None),
            Token::ExplicitContainer => platform_token(Some(NS), Some(EXPLICIT_CT)),
            Token::Expired => {
                mint(&json!({"application_claim": [entry(Some(NS), None)], "exp": now() - 3600}))
            }
            Token::Bad => "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl".to_owned(),
            Token::None => return None,
        })
    }
}

/// The protected routes both test apps serve, one per argument form.
#[derive(Clone, Copy, Debug)]
pub enum Route {
    /// `#[scw_private]`
    Any,
    /// `#[scw_private(container)]`
    Container,
    /// `#[scw_private(namespace)]`
    Namespace,
    /// `#[scw_private(namespace_id = "ns-explicit")]`
    ExplicitNamespace,
    /// `#[scw_private(container, container_id = "ct-explicit")]`
    ExplicitContainer,
    /// `#[scw_private(header = "X-Token")]`
    CustomHeader,
    /// `#[scw_private(public_if_env)]`, served by a private verifier
    MaybePublic,
}

impl Route {
    pub const ALL: [Route; 7] = [
        Route::Any,
        Route::Container,
        Route::Namespace,
        Route::ExplicitNamespace,
        Route::ExplicitContainer,
        Route::CustomHeader,
        Route::MaybePublic,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Route::Any => "/any",
            Route::Container => "/container",
            Route::Namespace => "/namespace",
            Route::ExplicitNamespace => "/explicit-namespace",
            Route::ExplicitContainer => "/explicit-container",
            Route::CustomHeader => "/custom-header",
            Route::MaybePublic => "/maybe-public",
        }
    }

    /// The two ways of sending a token this route reads.
    pub fn header_forms(self, token: &str) -> [(&'static str, String); 2] {
        match self {
            Route::CustomHeader => [
                ("X-Token", token.to_owned()),
                ("X-Token", format!("Bearer {token}")),
            ],
            _ => [
                ("Authorization", format!("Bearer {token}")),
                ("X-Auth-Token", token.to_owned()),
            ],
        }
    }

    /// The status this route must answer `token` with.
    pub fn expected(self, token: Token) -> u16 {
        use Token as T;
        match token {
            T::None | T::Bad | T::Expired => return 401,
            _ => {}
        }
        let granted = match self {
            Route::Any | Route::CustomHeader | Route::MaybePublic => matches!(
                token,
                T::Namespace | T::Container | T::ContainerWithoutNamespace | T::ContainerIdSpelling
            ),
            Route::Container => {
                matches!(
                    token,
                    T::Container | T::ContainerWithoutNamespace | T::ContainerIdSpelling
                )
            }
            Route::Namespace => token == T::Namespace,
            // Namespace `ns-explicit`, container `CT`: only a namespace token for `ns-explicit`
            // or a container token for `CT` that names no namespace.
            Route::ExplicitNamespace => {
                matches!(token, T::ExplicitNamespace | T::ContainerWithoutNamespace)
            }
            Route::ExplicitContainer => token == T::ExplicitContainer,
        };
        if granted { 200 } else { 403 }
    }

    /// The RFC 6750 `error` code expected with `status`.
    pub fn error_code(status: u16, token: Token) -> Option<&'static str> {
        match (status, token) {
            (200, _) => None,
            (401, Token::None) => Some("missing_token"),
            (401, _) => Some("invalid_token"),
            (403, _) => Some("insufficient_scope"),
            _ => unreachable!(),
        }
    }
}

/// An HTTP response as received.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// Asserts an RFC 6750 refusal: status, challenge and JSON body agree on `code`.
    pub fn assert_refusal(&self, status: u16, code: &str) {
        if let Err(problem) = self.check_refusal(status, code) {
            panic!("{problem}");
        }
    }

    /// What is wrong with this response as the RFC 6750 refusal `status` / `code`, if
    /// anything: for suites that collect every failure before they fail.
    pub fn check_refusal(&self, status: u16, code: &str) -> Result<(), String> {
        if self.status != status {
            return Err(format!("expected {status}, got {self:?}"));
        }
        let challenge = self
            .header("www-authenticate")
            .ok_or_else(|| format!("no challenge: {self:?}"))?;
        if !challenge.starts_with("Bearer realm=\"scw-private\"") {
            return Err(format!("challenge {challenge}"));
        }
        let has_error = challenge.contains(&format!("error=\"{code}\""));
        let bare = !challenge.contains("error=");
        match code {
            "missing_token" | "server_error" if !bare => {
                return Err(format!("challenge with an error: {challenge}"));
            }
            "missing_token" | "server_error" => {}
            _ if !has_error => return Err(format!("challenge without `{code}`: {challenge}")),
            _ => {}
        }
        let body: serde_json::Value = serde_json::from_str(&self.body)
            .map_err(|error| format!("body is not JSON ({error}): {self:?}"))?;
        if body["error"] != code || !body["error_description"].is_string() {
            return Err(format!("expected `{code}`, body {body}"));
        }
        Ok(())
    }
}

/// The same client without an async runtime, for tests that drive a process over loopback
/// (the examples, `scw-jwt`). Requests and responses are the ones above: one parser for all.
pub mod blocking {
    use std::io::{Read as _, Write as _};
    use std::net::{SocketAddr, TcpStream};
    use std::time::{Duration, Instant};

    use crate::Response;

    /// Sends `request` (built by [`crate::request`]) to `addr`, retrying the connection for
    /// up to 10 seconds while a freshly started server comes up, and reads the whole response.
    pub fn send_raw(addr: SocketAddr, request: &[u8]) -> Response {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut stream = loop {
            match TcpStream::connect(addr) {
                Ok(stream) => break stream,
                Err(e) if Instant::now() > deadline => panic!("cannot connect to {addr}: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        crate::parse_response(&raw)
            .unwrap_or_else(|| panic!("not an HTTP response: {:?}", String::from_utf8_lossy(&raw)))
    }

    /// A request with these headers and body, and its response.
    pub fn send(
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Response {
        send_raw(
            addr,
            &crate::request(method, path, headers, body.as_bytes()),
        )
    }
}

/// Sends raw bytes and reads the whole response (the request should say `Connection: close`).
pub async fn send_raw(addr: SocketAddr, request: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_response(&mut stream).await
}

/// Reads one response, or panics after 10 seconds.
pub async fn read_response(stream: &mut TcpStream) -> Response {
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(());
            }
            raw.extend_from_slice(&buf[..n]);
            if let Some(response) = parse_response(&raw)
                && response.body.len() >= content_length(&response).unwrap_or(usize::MAX)
            {
                return Ok(());
            }
        }
    })
    .await;
    match read {
        Ok(result) => result.unwrap(),
        Err(_) => panic!(
            "no complete response within 10 s; got {:?}",
            String::from_utf8_lossy(&raw)
        ),
    }
    parse_response(&raw)
        .unwrap_or_else(|| panic!("not an HTTP response: {:?}", String::from_utf8_lossy(&raw)))
}

fn content_length(response: &Response) -> Option<usize> {
    response.header("content-length")?.parse().ok()
}

/// Parses one whole response (status, headers, a body that may be chunked).
pub fn parse_response(raw: &[u8]) -> Option<Response> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect::<Vec<_>>();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_owned()
    };
    Some(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut body: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n")?;
        let size = usize::from_str_radix(size.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.push_str(rest.get(..size)?);
        body = rest.get(size + 2..)?;
    }
}

/// A request with the given headers and no body.
pub async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Response {
    send_raw(addr, &request("GET", path, headers, b"")).await
}

/// Builds a raw HTTP/1.1 request with `Connection: close`.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    request_bytes(method, path, &headers, body)
}

/// Builds a raw HTTP/1.1 request with `Connection: close`; header values are raw bytes.
pub fn request_bytes(method: &str, path: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n")
        .into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: ").as_bytes());
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// Sends every token of the matrix, in both header forms, to every route of the app at `addr`,
/// and checks status, challenge, body and, when granted, the claims the handler received.
pub async fn check_route_matrix(addr: SocketAddr) -> usize {
    let mut checked = 0;
    for route in Route::ALL {
        for token in Token::ALL {
            let expected = route.expected(token);
            let forms: Vec<Vec<(&str, String)>> = match token.value() {
                None => vec![vec![]],
                Some(value) => route
                    .header_forms(&value)
                    .into_iter()
                    .map(|form| vec![form])
                    .collect(),
            };
            for form in forms {
                let headers: Vec<(&str, &str)> =
                    form.iter().map(|(n, v)| (*n, v.as_str())).collect();
                let response = get(addr, route.path(), &headers).await;
                let context = format!("{route:?} {token:?} {:?}", form.first().map(|f| f.0));
                match Route::error_code(expected, token) {
                    None => {
                        assert_eq!(response.status, 200, "{context}: {response:?}");
                        let claims = response.json();
                        let kind = if token == Token::Namespace || token == Token::ExplicitNamespace
                        {
                            "namespace"
                        } else {
                            "container"
                        };
                        assert_eq!(claims["kind"], kind, "{context}: {claims}");
                    }
                    Some(code) => {
                        assert_eq!(response.status, expected, "{context}: {response:?}");
                        response.assert_refusal(expected, code);
                    }
                }
                checked += 1;
            }
        }
    }
    checked
}

/// A keep-alive HTTP/1.1 connection, for load: requests go out one after another on the same
/// socket, and each response is read by its `Content-Length`.
pub struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends a GET with `headers` and returns the status and body.
    pub async fn get(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> std::io::Result<(u16, Vec<u8>)> {
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        self.stream.write_all(request.as_bytes()).await?;
        let invalid =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        loop {
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
                let status = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| invalid("status line"))?;
                let length = head
                    .lines()
                    .find_map(|line| {
                        line.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().to_owned())
                    })
                    .and_then(|v| v.parse::<usize>().ok())
                    .ok_or_else(|| invalid("no content-length"))?;
                while self.buffer.len() < end + 4 + length {
                    self.fill().await?;
                }
                let body = self.buffer[end + 4..end + 4 + length].to_vec();
                self.buffer.drain(..end + 4 + length);
                return Ok((status, body));
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 4096];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

/// This process's resident memory in KiB (Linux), for the load test's bound.
pub fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Serves `router` on a free loopback port, on the current tokio runtime.
pub async fn serve_axum(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// Serves the routes `configure` adds on a free loopback port, with `verifier` as app data
/// when given, on a thread and actix runtime of its own.
pub fn serve_actix(
    configure: fn(&mut actix_web::web::ServiceConfig),
    verifier: Option<Verifier>,
) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || {
                let app = actix_web::App::new().configure(configure);
                match verifier.clone() {
                    Some(verifier) => app.app_data(verifier),
                    None => app,
                }
            })
            .workers(1)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .unwrap();
            tx.send(server.addrs()[0]).unwrap();
            server.run().await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// Scenarios every framework must pass, against an app serving the test routes.
pub mod scenarios {
    use std::net::SocketAddr;

    use serde_json::json;
    use tokio::io::AsyncWriteExt;

    use crate::{Token, get, read_response, request, send_raw};

    /// A refused request's announced body is never waited for: the refusal comes first.
    pub async fn body_never_read(addr: SocketAddr, path: &str) {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head =
            format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        read_response(&mut stream)
            .await
            .assert_refusal(401, "missing_token");

        let token = Token::Namespace.value().unwrap();
        let response = send_raw(
            addr,
            &request("POST", path, &[("X-Auth-Token", &token)], b"hello"),
        )
        .await;
        assert_eq!((response.status, response.body.as_str()), (200, "hello"));
    }

    /// `POST /extractors/{id}` with a path parameter and a JSON body: a missing token is
    /// reported even when both are wrong, and a good request reaches every extractor.
    pub async fn refusal_precedes_extractors(addr: SocketAddr) {
        let raw = request(
            "POST",
            "/extractors/not-a-number",
            &[("Content-Type", "application/json")],
            b"{",
        );
        send_raw(addr, &raw)
            .await
            .assert_refusal(401, "missing_token");

        let token = Token::Container.value().unwrap();
        let headers = [
            ("Content-Type", "application/json"),
            ("Authorization", &*format!("Bearer {token}")),
        ];
        let response = send_raw(
            addr,
            &request("POST", "/extractors/7", &headers, br#"{"x":1}"#),
        )
        .await;
        assert_eq!(
            response.json(),
            json!({"id": 7, "kind": "container", "payload": {"x": 1}})
        );
    }

    /// Two different tokens, in two headers or in one header twice, are an `invalid_request`.
    pub async fn two_tokens_refused(addr: SocketAddr) {
        let (a, b) = (
            Token::Namespace.value().unwrap(),
            Token::Container.value().unwrap(),
        );
        let bearer = format!("Bearer {a}");
        get(
            addr,
            "/any",
            &[("Authorization", &bearer), ("X-Auth-Token", &b)],
        )
        .await
        .assert_refusal(400, "invalid_request");
        get(addr, "/any", &[("X-Auth-Token", &a), ("X-Auth-Token", &b)])
            .await
            .assert_refusal(400, "invalid_request");
    }

    /// `GET /wrong-framework-rejection` has an `on_reject` written for the other framework,
    /// which cannot render there: the request is still refused (500), the handler never runs.
    pub async fn on_reject_for_the_other_framework_refuses(addr: SocketAddr) {
        let response = get(addr, "/wrong-framework-rejection", &[]).await;
        assert_eq!(response.status, 500, "{response:?}");
        assert!(!response.body.contains("the handler ran"));
        let token = Token::Namespace.value().unwrap();
        let headers = [("X-Auth-Token", token.as_str())];
        let response = get(addr, "/wrong-framework-rejection", &headers).await;
        assert_eq!(
            (response.status, response.body.as_str()),
            (200, "the handler ran")
        );
    }

    /// `GET /custom-rejection` renders refusals with its `on_reject` function (418, text).
    pub async fn on_reject_renders(addr: SocketAddr) {
        let response = get(addr, "/custom-rejection", &[]).await;
        assert_eq!(
            (response.status, response.body.as_str()),
            (418, "missing_token: the request carries no token")
        );
        let response = get(addr, "/custom-rejection", &[("X-Auth-Token", "a.b.c")]).await;
        assert_eq!(
            (response.status, response.body.as_str()),
            (418, "invalid_token: malformed token")
        );
    }
}
