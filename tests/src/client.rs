//! A raw HTTP/1.1 client over loopback, async and blocking, with one response parser.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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

    /// Reads one response, framed by its `Content-Length`, from a kept-alive connection.
    pub fn read_one(stream: &mut TcpStream) -> Response {
        let mut raw = Vec::new();
        let mut byte = [0u8; 1];
        while !raw.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).unwrap();
            raw.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&raw).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .map_or(0, |length| length.trim().parse().unwrap());
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body).unwrap();
        raw.extend_from_slice(&body);
        crate::parse_response(&raw).unwrap()
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
    // The head is text; the body is bytes (a gzip body is not UTF-8), de-chunked as bytes and
    // only then read as text.
    let end = raw.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let body = &raw[end + 4..];
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
        body.to_vec()
    };
    Some(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|window| window == b"\r\n")?;
        let size = std::str::from_utf8(&body[..line_end]).ok()?;
        let size = usize::from_str_radix(size.trim(), 16).ok()?;
        let rest = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(..size)?);
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
