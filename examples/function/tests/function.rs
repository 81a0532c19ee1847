//! The function as the platform's runtime would serve it (the handler mounted in an axum 0.8
//! router), over real HTTP; and the local server, a real process that refuses to start on a bad
//! configuration.

use std::process::Command;
use std::time::Duration;

use axum::Router;
use scw_private::Verifier;
use scw_private::testing::KeyPair;
use tests::{CT, NS, SIBLING, get};

async fn serve(verifier: Verifier) -> std::net::SocketAddr {
    let app = Router::new()
        .route("/plain", axum::routing::any(function::plain_handler))
        .fallback(function::handler)
        .layer(axum::Extension(verifier));
    tests::serve_axum(app).await
}

#[tokio::test]
async fn the_handler_answers_its_own_tokens_only() {
    let keys = tests::keys();
    let addr = serve(tests::verifier(false)).await;
    let own = keys.token().container(NS, CT).sign();
    let response = get(addr, "/any/path", &[("X-Auth-Token", &own)]).await;
    assert_eq!(response.status, 200, "{response:?}");
    let body = response.json();
    assert_eq!(body["function_id"], CT);
    assert_eq!(body["path"], "/any/path");

    let sibling = keys.token().container(NS, SIBLING).sign();
    get(addr, "/", &[("X-Auth-Token", &sibling)])
        .await
        .assert_refusal(403, "insufficient_scope");
    let namespace = keys.token().namespace(NS).sign();
    get(
        addr,
        "/",
        &[("Authorization", &format!("Bearer {namespace}"))],
    )
    .await
    .assert_refusal(403, "insufficient_scope");
    get(addr, "/", &[])
        .await
        .assert_refusal(401, "missing_token");
    get(addr, "/", &[("X-Auth-Token", &format!("{own}x"))])
        .await
        .assert_refusal(401, "invalid_token");

    // The runtime's exact shape, `handler(req: Request) -> Response`, protected as well.
    let response = get(addr, "/plain", &[("X-Auth-Token", &namespace)]).await;
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, "hello from /plain")
    );
    get(addr, "/plain", &[])
        .await
        .assert_refusal(401, "missing_token");
}

/// What the runtime may do instead of mounting the handler: call it. The signature is the
/// platform's exact one, and the check runs inside it.
#[tokio::test]
async fn a_direct_call_is_checked_too() {
    let keys = tests::keys();
    let verifier = tests::verifier(false);
    let call = |token: Option<String>| {
        let mut request = axum::http::Request::builder().uri("/called/directly");
        if let Some(token) = token {
            request = request.header("X-Auth-Token", token);
        }
        let mut request = request.body(axum::body::Body::empty()).unwrap();
        request.extensions_mut().insert(verifier.clone());
        // `handler(req: Request) -> Response`, called as a runtime would.
        function::handler(request)
    };
    let body = |response: axum::response::Response| async move {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
    };

    let response = call(Some(keys.token().container(NS, CT).sign())).await;
    assert_eq!(response.status(), 200);
    let answer = body(response).await;
    assert_eq!(answer["function_id"], CT);
    assert_eq!(answer["path"], "/called/directly");

    for (token, status, error) in [
        (None, 401, "missing_token"),
        (
            Some(keys.token().container(NS, SIBLING).sign()),
            403,
            "insufficient_scope",
        ),
        (
            Some(keys.token().namespace(NS).sign()),
            403,
            "insufficient_scope",
        ),
        (Some("not-a-jwt".to_owned()), 401, "invalid_token"),
    ] {
        let response = call(token).await;
        assert_eq!(response.status(), status, "{error}");
        assert_eq!(body(response).await["error"], error);
    }
}

/// How a run of the local server ended: it exited (status, standard error), or it printed
/// that it listens (and was then stopped).
enum Run {
    Exited(std::process::ExitStatus, String),
    Listening(String),
}

/// Runs the local server with exactly `vars` as its environment, for at most 10 seconds.
fn run_local(vars: &[(&str, &str)]) -> Run {
    use std::io::{BufRead as _, Read as _};

    let mut child = Command::new(env!("CARGO_BIN_EXE_local"))
        .env_clear()
        .env("PORT", "0")
        .env("LISTEN_HOST", "127.0.0.1")
        .envs(vars.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the local server starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(line) = rx.try_recv()
            && line.contains("listening")
        {
            child.kill().unwrap();
            child.wait().unwrap();
            return Run::Listening(line);
        }
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            return Run::Exited(status, stderr);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "neither exited nor listened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_local_server_refuses_to_start_on_a_bad_configuration() {
    let public = KeyPair::from_private_pem(tests::PRIVATE_KEY)
        .unwrap()
        .public_pem();
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[("SCW_NAMESPACE_ID", NS), ("SCW_APPLICATION_ID", CT)],
            "`SCW_PUBLIC_KEY` cannot be used: no public key is set",
        ),
        (
            &[
                ("SCW_PUBLIC_KEY", tests::PRIVATE_KEY),
                ("SCW_NAMESPACE_ID", NS),
                ("SCW_APPLICATION_ID", CT),
            ],
            "this is a private key",
        ),
        (
            &[("SCW_PUBLIC_KEY", &public), ("SCW_NAMESPACE_ID", NS)],
            "`SCW_APPLICATION_ID` is unset or empty",
        ),
    ];
    for (vars, message) in cases {
        let Run::Exited(status, stderr) = run_local(vars) else {
            panic!("it served with {vars:?}");
        };
        assert_eq!(status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("not starting: "), "{stderr}");
        // Found without a list, in the library crate the binary links: the attribute's record.
        assert!(stderr.contains("handler `function::"), "{stderr}");
        assert!(stderr.contains(message), "{stderr}");
        assert!(!stderr.contains("listening"), "{stderr}");
    }
    // With everything it needs, it serves, on the loopback address it was given.
    let good = [
        ("SCW_PUBLIC_KEY", public.as_str()),
        ("SCW_NAMESPACE_ID", NS),
        ("SCW_APPLICATION_ID", CT),
    ];
    match run_local(&good) {
        Run::Listening(line) => assert!(line.contains("http://127.0.0.1:"), "{line}"),
        Run::Exited(status, stderr) => panic!("{status}: {stderr}"),
    }
}
