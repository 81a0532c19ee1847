//! A raw HTTP/2 client for gRPC calls that a gRPC library will not make: a message that never
//! ends, a malformed one, a token in the request's trailers.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use h2::client::SendRequest;
use http::{HeaderMap, Request};

/// An HTTP/2 connection over loopback h2c.
pub async fn connect(addr: SocketAddr) -> SendRequest<Bytes> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        // Ends when the test drops the client or the server goes away.
        let _ = connection.await;
    });
    client
}

/// A gRPC message frame: the 5-byte prefix (not compressed, the length) and the bytes.
pub fn frame(message: &[u8]) -> Bytes {
    let mut framed = vec![0];
    framed.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    framed.extend_from_slice(message);
    Bytes::from(framed)
}

/// What a call was answered: its `grpc-status`, `grpc-message`, and whether the answer came
/// as a trailers-only response (the status in the headers).
#[derive(Debug)]
pub struct Answer {
    pub status: Option<String>,
    pub message: Option<String>,
    pub trailers_only: bool,
}

/// How a call is sent after its headers.
pub enum Send<'a> {
    /// A message prefix announcing `len` bytes, and fewer; the stream stays open.
    Unfinished,
    /// One whole message frame, then the end of the stream.
    Message(&'a [u8]),
    /// One whole message frame, then these trailers, which end the stream.
    MessageThenTrailers(&'a [u8], &'a [(&'a str, &'a str)]),
}

/// Starts a call to `path` with `metadata` (POST, `application/grpc`, `te: trailers`), sends
/// `then`, and waits for its answer, for at most 10 seconds: a guard against a hang, never a
/// measure. The send half is returned too, still open for `Unfinished`.
pub async fn call(
    client: &mut SendRequest<Bytes>,
    path: &str,
    metadata: &[(&str, &str)],
    then: Send<'_>,
) -> (Answer, h2::SendStream<Bytes>) {
    let mut request = Request::post(format!("http://localhost{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (name, value) in metadata {
        request = request.header(*name, *value);
    }
    let request = request.body(()).unwrap();
    let mut ready = client.clone().ready().await.unwrap();
    let (response, mut stream) = ready.send_request(request, false).unwrap();
    *client = ready;
    match then {
        Send::Unfinished => {
            // Announces 1 MiB and sends 3 bytes of it.
            let mut partial = vec![0];
            partial.extend_from_slice(&(1u32 << 20).to_be_bytes());
            partial.extend_from_slice(b"abc");
            stream.send_data(Bytes::from(partial), false).unwrap();
        }
        Send::Message(message) => stream.send_data(frame(message), true).unwrap(),
        Send::MessageThenTrailers(message, trailers) => {
            stream.send_data(frame(message), false).unwrap();
            let mut map = HeaderMap::new();
            for (name, value) in trailers {
                map.insert(
                    http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    value.parse().unwrap(),
                );
            }
            stream.send_trailers(map).unwrap();
        }
    }
    let answer = tokio::time::timeout(Duration::from_secs(10), async {
        let response = response.await.unwrap();
        let header = |name: &str, headers: &HeaderMap| {
            headers
                .get(name)
                .map(|value| value.to_str().unwrap().to_owned())
        };
        if let Some(status) = header("grpc-status", response.headers()) {
            return Answer {
                status: Some(status),
                message: header("grpc-message", response.headers()).map(|m| percent_decoded(&m)),
                trailers_only: true,
            };
        }
        let mut body = response.into_body();
        while let Some(data) = body.data().await {
            let data = data.unwrap();
            let _ = body.flow_control().release_capacity(data.len());
        }
        let trailers = body.trailers().await.unwrap().unwrap_or_default();
        Answer {
            status: header("grpc-status", &trailers),
            message: header("grpc-message", &trailers).map(|m| percent_decoded(&m)),
            trailers_only: false,
        }
    })
    .await
    .expect("no answer within 10 s: the call is held");
    (answer, stream)
}

/// `grpc-message` as its sender meant it: servers percent-encode what they choose (tonic
/// encodes spaces, this crate does not), and the gRPC spec says a client decodes `%XX`.
fn percent_decoded(message: &str) -> String {
    let bytes = message.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}
