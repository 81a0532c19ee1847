//! Scenarios every framework must pass, against an app serving the test routes.

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
