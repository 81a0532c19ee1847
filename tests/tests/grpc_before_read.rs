//! Every gRPC form refuses a call before a byte of its message is read, and reads the
//! credential from the call's headers, never from its trailers. A raw HTTP/2 client sends what
//! a gRPC library will not: messages that never end, a malformed message, a token in the
//! trailers, and a trailer that would replace a header.

use scw_private::{Policy, Scope};
use tests::grpc::{Form, serve_grpc};
use tests::h2::{Send, call, connect};
use tests::{CT, NS, platform_token, verifier};

/// The container-only method of the test service, and each form protecting it.
const PATH: &str = "/scw.test.Probe/Container";

fn forms() -> [(&'static str, Form); 3] {
    let container_only = Policy::new().scope(Scope::ContainerToken);
    [
        ("the attribute, behind protect", Form::Attribute),
        ("the interceptor", Form::Interceptor(container_only)),
        ("the layer", Form::Layer(container_only)),
    ]
}

#[tokio::test]
async fn messages_that_never_end_are_refused_while_the_client_holds_them() {
    for (name, form) in forms() {
        let (addr, _) = serve_grpc(form, Some(verifier(false))).await;
        let mut client = connect(addr).await;
        let mut open = Vec::new();
        for _ in 0..20 {
            let (answer, stream) = call(&mut client, PATH, &[], Send::Unfinished).await;
            assert_eq!(answer.status.as_deref(), Some("16"), "{name}: {answer:?}");
            assert!(answer.trailers_only, "{name}: {answer:?}");
            // The client has not finished its message: the refusal came first.
            open.push(stream);
        }
    }
}

#[tokio::test]
async fn a_malformed_message_without_a_token_is_unauthenticated() {
    // An invalid varint: tonic's decoder would answer INTERNAL, "failed to decode Protobuf
    // message", and so tell an anonymous caller about the schema.
    let malformed = [0xff; 12];
    for (name, form) in forms() {
        let (addr, _) = serve_grpc(form, Some(verifier(false))).await;
        let mut client = connect(addr).await;
        let (answer, _) = call(&mut client, PATH, &[], Send::Message(&malformed)).await;
        assert_eq!(answer.status.as_deref(), Some("16"), "{name}: {answer:?}");
        assert_eq!(
            answer.message.as_deref(),
            Some("the request carries no token"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_token_only_in_the_trailers_is_refused() {
    let token = platform_token(None, Some(CT));
    for (name, form) in forms() {
        let (addr, _) = serve_grpc(form, Some(verifier(false))).await;
        let mut client = connect(addr).await;
        for header in ["x-auth-token", "authorization"] {
            let value = if header == "authorization" {
                format!("Bearer {token}")
            } else {
                token.clone()
            };
            let trailers = [(header, value.as_str())];
            let (answer, _) = call(
                &mut client,
                PATH,
                &[],
                Send::MessageThenTrailers(b"", &trailers),
            )
            .await;
            assert_eq!(
                answer.status.as_deref(),
                Some("16"),
                "{name} {header}: {answer:?}"
            );
        }
        // The same token in the headers is let in: the refusal was about where it was.
        let (answer, _) = call(
            &mut client,
            PATH,
            &[("x-auth-token", &token)],
            Send::Message(b""),
        )
        .await;
        assert_eq!(answer.status.as_deref(), Some("0"), "{name}: {answer:?}");
    }
}

#[tokio::test]
async fn a_trailer_never_replaces_a_header() {
    // A namespace token in the headers, which the container-only method refuses, and a
    // container token in the trailers, which it would accept.
    let namespace = platform_token(Some(NS), None);
    let container = platform_token(None, Some(CT));
    for (name, form) in forms() {
        let (addr, _) = serve_grpc(form, Some(verifier(false))).await;
        let mut client = connect(addr).await;
        let trailers = [("x-auth-token", container.as_str())];
        let (answer, _) = call(
            &mut client,
            PATH,
            &[("x-auth-token", &namespace)],
            Send::MessageThenTrailers(b"", &trailers),
        )
        .await;
        assert_eq!(answer.status.as_deref(), Some("7"), "{name}: {answer:?}");
    }
}

#[tokio::test]
async fn a_route_reaches_its_method_by_name_or_by_its_given_route_and_no_other() {
    let (addr, _) = serve_grpc(Form::Attribute, Some(verifier(false))).await;
    let mut client = connect(addr).await;
    let container = platform_token(None, Some(CT));
    let namespace = platform_token(Some(NS), None);
    // `legacy` carries `route = "GetHTTPStatusV1"` and the container scope.
    let legacy = "/scw.test.Probe/GetHTTPStatusV1";
    for (token, status) in [(&container, "0"), (&namespace, "7")] {
        let (answer, _) = call(
            &mut client,
            legacy,
            &[("x-auth-token", token)],
            Send::Message(b""),
        )
        .await;
        assert_eq!(answer.status.as_deref(), Some(status), "{answer:?}");
    }
    // A route that names no method is refused before its message is read, with a token or
    // without.
    for metadata in [vec![], vec![("x-auth-token", container.as_str())]] {
        let (answer, _) = call(
            &mut client,
            "/scw.test.Probe/Legacy",
            &metadata,
            Send::Unfinished,
        )
        .await;
        assert_eq!(answer.status.as_deref(), Some("12"), "{answer:?}");
    }
}

#[tokio::test]
async fn a_service_served_without_protect_refuses_every_protected_call() {
    let (addr, _) = serve_grpc(Form::Unenforced, Some(verifier(false))).await;
    let mut client = connect(addr).await;
    let container = platform_token(None, Some(CT));
    let (answer, _) = call(
        &mut client,
        PATH,
        &[("x-auth-token", &container)],
        Send::Message(b""),
    )
    .await;
    assert_eq!(answer.status.as_deref(), Some("13"), "{answer:?}");
    assert_eq!(
        answer.message.as_deref(),
        Some("the server cannot verify tokens"),
        "{answer:?}"
    );
}
