//! The three examples end to end: built by `cargo test`, spawned, probed over loopback, stopped.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use examples::{DEV_CONTAINER_ID, DEV_NAMESPACE_ID, ROUTES};
use scw_private::testing::KeyPair;

use tests::Response;

const EXAMPLES: [&str; 3] = ["quickstart", "actix", "hyper"];
const NS: &str = "11111111-1111-4111-8111-111111111111";
const CT: &str = "22222222-2222-4222-8222-222222222222";

/// A running example, killed when dropped.
struct Running {
    child: Child,
    port: u16,
    stdout: Vec<String>,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary(name: &str) -> PathBuf {
    // This test runs from target/<profile>/deps; cargo builds examples into target/<profile>/examples.
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing; `cargo test` builds the examples",
        path.display()
    );
    path
}

/// Starts `name` with exactly `env` (no `SCW_*` from this process) on a free port, and reads
/// its banner: `lines` lines after the one saying where it listens.
fn spawn(name: &str, env: &[(&str, &str)], lines: usize) -> Running {
    let mut command = Command::new(binary(name));
    for var in [
        "SCW_PUBLIC_KEY",
        "SCW_NAMESPACE_ID",
        "SCW_APPLICATION_ID",
        "SCW_PUBLIC",
        "RUST_LOG",
        "LISTEN_HOST",
    ] {
        command.env_remove(var);
    }
    command
        .env("PORT", "0")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();

    let stderr = Arc::new(Mutex::new(String::new()));
    let mut pipe = child.stderr.take().unwrap();
    let sink = Arc::clone(&stderr);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });

    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    let port = first.trim().rsplit(':').next().and_then(|p| p.parse().ok());
    let port = port.unwrap_or_else(|| panic!("{name} did not say where it listens: {first:?}"));
    let mut stdout = vec![first];
    for _ in 0..lines {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        stdout.push(line);
    }
    // Keep reading what follows, so a banner longer than the lines asked for never meets a
    // closed pipe (the example would die on `EPIPE`).
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    Running {
        child,
        port,
        stdout,
        stderr,
    }
}

/// The lines printed in development mode after the first: the verdict, the intro, the tokens, one command
/// per route and kind of token, and blank lines between.
fn dev_banner_lines() -> usize {
    let commands: usize = ROUTES
        .iter()
        .map(|(_, path, _)| if *path == "/" { 1 } else { 3 })
        .sum();
    1 + 1 + 4 + 1 + 2 + 1 + commands + 1
}

/// The variables a banner's `export NAME='value'` lines set.
fn exported(stdout: &[String]) -> HashMap<String, String> {
    stdout
        .iter()
        .filter_map(|line| line.strip_prefix("export "))
        .filter_map(|line| line.trim().split_once("='"))
        .map(|(name, value)| (name.to_owned(), value.trim_end_matches('\'').to_owned()))
        .collect()
}

/// The status of a `GET` carrying `token` in `X-Auth-Token`.
fn status(port: u16, path: &str, token: &str) -> u16 {
    send(port, "GET", path, &[("X-Auth-Token", token)], "").status
}

/// A request to the example listening on `port`, and its response.
fn send(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
    tests::blocking::send(([127, 0, 0, 1], port).into(), method, path, headers, body)
}

/// One printed `curl` command, its variables substituted.
struct Curl {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
    expected: u16,
}

fn parse_curl(line: &str, vars: &HashMap<String, String>) -> Curl {
    let (command, expectation) = line.split_once("# expect ").unwrap();
    let mut curl = Curl {
        method: "GET".into(),
        path: String::new(),
        headers: Vec::new(),
        body: String::new(),
        expected: expectation.trim().parse().unwrap(),
    };
    // Words, with "..." and '...' kept whole.
    let mut words = Vec::new();
    let mut rest = command.trim();
    while !rest.is_empty() {
        let (word, after) = match rest.chars().next().unwrap() {
            quote @ ('"' | '\'') => {
                let end = rest[1..].find(quote).unwrap() + 1;
                (&rest[1..end], &rest[end + 1..])
            }
            _ => rest.split_once(' ').unwrap_or((rest, "")),
        };
        words.push(word.to_owned());
        rest = after.trim_start();
    }
    let mut words = words.into_iter().skip(1);
    while let Some(word) = words.next() {
        match word.as_str() {
            "-i" => {}
            "-X" => curl.method = words.next().unwrap(),
            "-d" => curl.body = words.next().unwrap(),
            "-H" => {
                let mut header = words.next().unwrap();
                for (name, value) in vars {
                    header = header.replace(&format!("${name}"), value);
                }
                let (name, value) = header.split_once(": ").unwrap();
                curl.headers.push((name.to_owned(), value.to_owned()));
            }
            url => {
                curl.path = format!(
                    "/{}",
                    url.split_once("//").unwrap().1.split_once('/').unwrap().1
                )
            }
        }
    }
    curl
}

#[test]
fn development_mode_prints_commands_that_work_as_printed() {
    for name in EXAMPLES {
        let running = spawn(name, &[], dev_banner_lines());
        let banner = running.stdout.join("");
        assert!(banner.contains("DEVELOPMENT MODE"), "{name}: {banner}");
        assert!(
            banner.contains(DEV_NAMESPACE_ID) && banner.contains(DEV_CONTAINER_ID),
            "{name}"
        );

        let vars = exported(&running.stdout);
        assert_eq!(vars.len(), 2, "{name}: {banner}");

        let commands: Vec<Curl> = running
            .stdout
            .iter()
            .filter(|line| line.starts_with("curl "))
            .map(|line| parse_curl(line, &vars))
            .collect();
        assert_eq!(commands.len(), dev_banner_lines() - 11, "{name}");
        assert!(
            banner.contains("protection: ok, 6 protected routes checked"),
            "{name}: {banner}"
        );
        for curl in &commands {
            let headers: Vec<(&str, &str)> = curl
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let reply = send(running.port, &curl.method, &curl.path, &headers, &curl.body);
            assert_eq!(
                reply.status, curl.expected,
                "{name} {} {} {:?}: {}",
                curl.method, curl.path, curl.headers, reply.body
            );
            let json = reply.json();
            match (reply.status, curl.path.as_str()) {
                (200, "/") => assert!(json["routes"].is_array(), "{name}"),
                (200, "/echo") => assert_eq!(json, serde_json::json!({"hello": "world"}), "{name}"),
                (200, _) => {
                    let kind = if curl.headers[0].1.contains(&vars["NS_TOKEN"]) {
                        "namespace"
                    } else {
                        "container"
                    };
                    assert_eq!(json["kind"], kind, "{name} {}", curl.path);
                    assert_eq!(json["namespace_id"], DEV_NAMESPACE_ID, "{name}");
                }
                (status, _) => assert!(json["error"].is_string(), "{name} {status}"),
            }
        }
        // One log line per request, with the refusal class.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !running
            .stderr
            .lock()
            .unwrap()
            .contains("POST /echo 401 refused: missing_token")
        {
            assert!(
                Instant::now() < deadline,
                "{name} logged: {}",
                running.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            running
                .stderr
                .lock()
                .unwrap()
                .contains("GET /container-only 403 refused: insufficient_scope")
        );
    }
}

#[test]
fn platform_mode_takes_the_environment_and_prints_no_secret() {
    let keys = KeyPair::generate();
    let public = keys.public_pem();
    for name in EXAMPLES {
        let env = [
            ("SCW_PUBLIC_KEY", public.as_str()),
            ("SCW_NAMESPACE_ID", NS),
            ("SCW_APPLICATION_ID", CT),
            ("SCW_PUBLIC", "true"),
        ];
        let running = spawn(name, &env, 1);
        let banner = running.stdout.join("");
        assert!(
            !banner.contains("eyJ") && !banner.contains("BEGIN") && !banner.contains("DEVELOPMENT"),
            "{banner}"
        );
        // Every protected route checked before serving: six in each example, found by the
        // attribute's record (quickstart, actix) or listed for the layer (hyper).
        assert!(
            banner.contains("protection: ok, 6 protected routes checked"),
            "{name}: {banner}"
        );

        let port = running.port;
        assert_eq!(
            send(port, "GET", "/maybe-public", &[], "").json(),
            serde_json::json!({"public": true}),
            "{name}"
        );
        let container = keys.token().container(NS, CT).sign();
        let reply = send(
            port,
            "GET",
            "/container-only",
            &[("X-Auth-Token", &container)],
            "",
        );
        assert_eq!(
            reply.json(),
            serde_json::json!({"namespace_id": NS, "container_id": CT, "kind": "container"}),
            "{name}"
        );
        let namespace = keys.token().namespace(NS).sign();
        let reply = send(
            port,
            "GET",
            "/private",
            &[("Authorization", &format!("Bearer {namespace}"))],
            "",
        );
        assert_eq!(
            reply.json(),
            serde_json::json!({"namespace_id": NS, "container_id": null, "kind": "namespace"})
        );
        let sibling = keys.token().container(NS, "sibling").sign();
        assert_eq!(
            send(port, "GET", "/private", &[("X-Auth-Token", &sibling)], "").status,
            403,
            "{name}"
        );
        let forged = KeyPair::generate().token().namespace(NS).sign();
        assert_eq!(
            send(port, "GET", "/private", &[("X-Auth-Token", &forged)], "").status,
            401,
            "{name}"
        );
        // A refused request with a body that is not even JSON: refused before it is read.
        let reply = send(
            port,
            "POST",
            "/echo",
            &[("Content-Type", "application/json")],
            "{not json",
        );
        assert_eq!(reply.status, 401, "{name}");
    }
}

#[test]
fn a_bad_environment_still_serves_the_public_route_and_answers_500_on_protected_ones() {
    let keys = KeyPair::generate();
    for name in EXAMPLES {
        let running = spawn(
            name,
            &[
                ("SCW_PUBLIC_KEY", "not a key"),
                ("SCW_NAMESPACE_ID", NS),
                ("SCW_APPLICATION_ID", CT),
            ],
            1,
        );
        let token = keys.token().namespace(NS).sign();
        assert_eq!(
            send(running.port, "GET", "/", &[], "").status,
            200,
            "{name}"
        );
        for (method, path, _) in &ROUTES[1..] {
            let reply = send(
                running.port,
                method,
                path,
                &[("X-Auth-Token", &token)],
                "{}",
            );
            assert_eq!(reply.status, 500, "{name} {path}: {}", reply.body);
            assert_eq!(reply.json()["error"], "server_error");
        }
        let log = running.stderr.lock().unwrap().clone();
        assert!(
            log.contains("ERROR")
                && log.contains("SCW_PUBLIC_KEY")
                && log.contains("not a PEM key"),
            "{name}: {log}"
        );
        // The banner's verdict covers every protected route, and never says "ok" beside an
        // error.
        let verdict = running.stdout.join("");
        assert!(
            verdict.contains("protection: MISCONFIGURED, protected routes answer 500")
                && verdict.contains("not a PEM key"),
            "{name}: {verdict}"
        );
        assert!(!verdict.contains("protection: ok"), "{name}: {verdict}");

        // An unusable `SCW_PUBLIC` breaks the `public_if_env` and `platform_iam` routes only,
        // and the verdict says so, though the key and ids are fine.
        let public = keys.public_pem();
        let running = spawn(
            name,
            &[
                ("SCW_PUBLIC_KEY", public.as_str()),
                ("SCW_NAMESPACE_ID", NS),
                ("SCW_APPLICATION_ID", CT),
                ("SCW_PUBLIC", "garbage"),
            ],
            1,
        );
        let verdict = running.stdout.join("");
        assert!(
            verdict.contains("protection: MISCONFIGURED") && verdict.contains("`SCW_PUBLIC`"),
            "{name}: {verdict}"
        );
        // ... and says what those routes really answer: not 500, but 401 without a token.
        assert!(
            verdict.contains("trust nothing") && !verdict.contains("answer 500"),
            "{name}: {verdict}"
        );
        assert_eq!(status(running.port, "/private", &token), 200, "{name}");

        // On the platform (`SCW_PUBLIC` is always set there) a missing key is no development mode.
        let running = spawn(
            name,
            &[
                ("SCW_PUBLIC", "false"),
                ("SCW_NAMESPACE_ID", NS),
                ("SCW_APPLICATION_ID", CT),
            ],
            1,
        );
        assert!(!running.stdout.join("").contains("DEVELOPMENT"), "{name}");
        assert!(
            running
                .stdout
                .join("")
                .contains("protection: MISCONFIGURED"),
            "{name}"
        );
        assert_eq!(status(running.port, "/private", &token), 500, "{name}");

        // The key is fine but the container id is missing: only what needs it fails.
        let running = spawn(
            name,
            &[
                ("SCW_PUBLIC_KEY", public.as_str()),
                ("SCW_NAMESPACE_ID", NS),
            ],
            1,
        );
        assert_eq!(status(running.port, "/private", &token), 500, "{name}");
        assert_eq!(
            status(running.port, "/namespace-only", &token),
            200,
            "{name}"
        );
    }
}

#[test]
fn the_log_filter_and_the_listen_address_come_from_the_environment() {
    let keys = KeyPair::generate();
    let public = keys.public_pem();
    let platform = [
        ("SCW_PUBLIC_KEY", public.as_str()),
        ("SCW_NAMESPACE_ID", NS),
        ("SCW_APPLICATION_ID", CT),
    ];
    for name in EXAMPLES {
        // By default: all interfaces, as the platform requires, and no line per refusal.
        let running = spawn(name, &platform, 1);
        assert!(
            running.stdout[0].contains("http://0.0.0.0:"),
            "{name}: {:?}",
            running.stdout
        );
        assert_eq!(send(running.port, "GET", "/private", &[], "").status, 401);
        std::thread::sleep(std::time::Duration::from_millis(100));
        let log = running.stderr.lock().unwrap().clone();
        assert!(!log.contains("request refused"), "{name}: {log}");
        drop(running);

        // `LISTEN_HOST` and `RUST_LOG`.
        let mut env = platform.to_vec();
        env.extend([
            ("LISTEN_HOST", "127.0.0.1"),
            ("RUST_LOG", "scw_private=debug"),
        ]);
        let running = spawn(name, &env, 1);
        assert!(
            running.stdout[0].contains("http://127.0.0.1:"),
            "{name}: {:?}",
            running.stdout
        );
        assert_eq!(send(running.port, "GET", "/private", &[], "").status, 401);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !running.stderr.lock().unwrap().contains("request refused") {
            assert!(
                std::time::Instant::now() < deadline,
                "{name}: {}",
                running.stderr.lock().unwrap()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// The IAM era on the platform: `SCW_PUBLIC=false`, the edge authenticated every call. The
/// `platform_iam` route takes its word; every other route still wants a JWT.
#[test]
fn on_a_private_container_the_platform_iam_route_trusts_the_edge() {
    let keys = KeyPair::generate_with_bits(2048).unwrap();
    let public = keys.public_pem();
    let iam_key = "5a0c7e2d-1f3b-4d6a-9e8c-7b2f4a1d3c60";
    for name in EXAMPLES {
        let env = [
            ("SCW_PUBLIC_KEY", public.as_str()),
            ("SCW_NAMESPACE_ID", NS),
            ("SCW_APPLICATION_ID", CT),
            ("SCW_PUBLIC", "false"),
        ];
        let running = spawn(name, &env, 1);
        let port = running.port;
        let platform = serde_json::json!({"kind": "platform_iam"});
        for headers in [&[][..], &[("X-Auth-Token", iam_key)]] {
            let reply = send(port, "GET", "/platform-iam", headers, "");
            assert_eq!(
                (reply.status, reply.json()),
                (200, platform.clone()),
                "{name}"
            );
        }
        let token = keys.token().namespace(NS).sign();
        let both = [
            ("X-Auth-Token", iam_key),
            ("Authorization", &*format!("Bearer {token}")),
        ];
        let reply = send(port, "GET", "/platform-iam", &both, "");
        assert_eq!(reply.json()["kind"], "namespace", "{name}");
        let forged = format!("{token}x");
        assert_eq!(
            send(
                port,
                "GET",
                "/platform-iam",
                &[("X-Auth-Token", &forged)],
                ""
            )
            .status,
            401,
            "{name}"
        );
        // Elsewhere an IAM key alone is refused, with what the caller can do.
        let reply = send(port, "GET", "/private", &[("X-Auth-Token", iam_key)], "");
        assert_eq!(reply.status, 401, "{name}");
        let description = reply.json()["error_description"].to_string();
        assert!(description.contains("send a JWT"), "{name}: {description}");
        assert!(!reply.body.contains(iam_key), "{name}");
        assert!(!running.stderr.lock().unwrap().contains(iam_key), "{name}");
    }
}

/// A client that never finishes its headers, or a keep-alive connection left idle, is
/// disconnected after [`examples::HEADER_READ_TIMEOUT`] instead of being held open.
#[test]
fn slow_and_idle_clients_are_disconnected() {
    let limit = examples::HEADER_READ_TIMEOUT + Duration::from_secs(5);
    std::thread::scope(|scope| {
        for name in EXAMPLES {
            scope.spawn(move || {
                let running = spawn(name, &[], dev_banner_lines());
                let connect = || {
                    let stream = TcpStream::connect(("127.0.0.1", running.port)).unwrap();
                    stream.set_read_timeout(Some(limit)).unwrap();
                    stream
                };
                // Headers that never end.
                let mut slow = connect();
                slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
                    .unwrap();
                // A keep-alive connection that goes quiet after one request.
                let mut idle = connect();
                idle.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    .unwrap();
                let started = Instant::now();
                for (what, stream) in [("slow", &mut slow), ("idle", &mut idle)] {
                    let mut sink = Vec::new();
                    let closed = stream.read_to_end(&mut sink);
                    assert!(
                        closed.is_ok() && started.elapsed() < limit,
                        "{name}: the {what} connection was still open after {:?} ({closed:?})",
                        started.elapsed()
                    );
                }
            });
        }
    });
}

/// Runs the gRPC example as a client, `grpc call <method> [token]`, against `port`: its exit
/// code and what it printed.
fn grpc_call(port: u16, method: &str, token: Option<&str>) -> (i32, String) {
    let output = Command::new(binary("grpc"))
        .env("GRPC_SERVER", format!("http://127.0.0.1:{port}"))
        .args(["call", method])
        .args(token)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The gRPC example in development mode: every call it prints gets what it says, through the
/// example's own client (a real tonic client over h2c).
#[test]
fn the_grpc_example_s_calls_work_as_printed() {
    // The verdict, the intro, the tokens, one line per call, and blank lines between.
    let lines = 1 + 1 + 4 + 1 + 2 + 1 + examples::GRPC_CALLS.len() + 1;
    let running = spawn("grpc", &[], lines);
    let banner = running.stdout.join("");
    assert!(
        banner.contains("protection: ok, 3 protected routes checked"),
        "{banner}"
    );
    let vars = exported(&running.stdout);
    let calls: Vec<&String> = running
        .stdout
        .iter()
        .filter(|line| line.starts_with("GRPC_SERVER="))
        .collect();
    assert_eq!(calls.len(), examples::GRPC_CALLS.len(), "{banner}");
    for line in calls {
        let (command, expected) = line.trim().split_once("   # expect ").unwrap();
        let words: Vec<&str> = command.split_whitespace().collect();
        // `GRPC_SERVER=.. cargo run -q --example grpc -- call <method> ["$TOKEN"]`
        let method = words[8];
        let token = words
            .get(9)
            .map(|word| vars[word.trim_matches('"').trim_start_matches('$')].as_str());
        let (code, said) = grpc_call(running.port, method, token);
        match expected {
            "an answer" => {
                assert_eq!(code, 0, "{line}: {said}");
                assert!(said.contains("(access: "), "{line}: {said}");
            }
            "4 ticks" => {
                assert_eq!(code, 0, "{line}: {said}");
                assert_eq!(said, "tick 3\ntick 2\ntick 1\ntick 0\n", "{line}");
            }
            status => {
                assert_eq!(code, 1, "{line}: {said}");
                assert!(
                    said.starts_with(&format!("status {status}: ")),
                    "{line}: {said}"
                );
            }
        }
    }
}

/// On the platform with no key, the gRPC example says so at start and its protected methods
/// answer `INTERNAL`, never an answer; the public one still answers.
#[test]
fn the_grpc_example_without_a_key_answers_internal() {
    let running = spawn(
        "grpc",
        &[
            ("SCW_NAMESPACE_ID", NS),
            ("SCW_APPLICATION_ID", CT),
            ("SCW_PUBLIC", "false"),
        ],
        2,
    );
    let banner = running.stdout.join("");
    assert!(banner.contains("protection: MISCONFIGURED"), "{banner}");
    let token = KeyPair::generate().token().container(NS, CT).sign();
    let (code, said) = grpc_call(running.port, "restart", Some(&token));
    assert_eq!(
        (code, said.as_str()),
        (1, "status Internal: the server cannot verify tokens\n")
    );
    assert_eq!(grpc_call(running.port, "status", None).0, 0);
}

/// The metrics example counts what it served: REST and gRPC calls, accepted and refused, then
/// one scrape of its `/metrics` port, read as Prometheus's text.
#[test]
fn the_metrics_example_counts_every_check_it_made() {
    let keys = KeyPair::generate();
    let public_pem = keys.public_pem();
    let running = spawn(
        "metrics",
        &[
            ("SCW_PUBLIC_KEY", public_pem.as_str()),
            ("SCW_NAMESPACE_ID", NS),
            ("SCW_APPLICATION_ID", CT),
            ("SCW_PUBLIC", "false"),
            ("METRICS_PORT", "0"),
        ],
        2,
    );
    let banner = running.stdout.join("");
    assert!(banner.contains("protection: ok"), "{banner}");
    // `metrics: curl -s http://127.0.0.1:<port>/metrics | grep scw_private`
    let scrape_port: u16 = running.stdout[2]
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no metrics port in {banner}"));

    let token = keys.token().namespace(NS).sign();
    let forged = KeyPair::generate().token().namespace(NS).sign();
    // REST: the same token twice (a miss, then a hit), none, a forged one (a second miss).
    assert_eq!(status(running.port, "/private", &token), 200);
    assert_eq!(status(running.port, "/private", &token), 200);
    assert_eq!(send(running.port, "GET", "/private", &[], "").status, 401);
    assert_eq!(status(running.port, "/private", &forged), 401);
    // gRPC over h2c: the token once more (a hit), and none.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let statuses = runtime.block_on(async {
        let mut client = tests::h2::connect(([127, 0, 0, 1], running.port).into()).await;
        let ping = [0x0a, 2, b'h', b'i'];
        let mut statuses = Vec::new();
        for metadata in [&[("x-auth-token", token.as_str())][..], &[]] {
            let send = tests::h2::Send::Message(&ping);
            let (answer, _) =
                tests::h2::call(&mut client, "/scw.example.Meter/Ping", metadata, send).await;
            statuses.push(answer.status);
        }
        statuses
    });
    assert_eq!(statuses, [Some("0".to_owned()), Some("16".to_owned())]);

    let scraped = send(scrape_port, "GET", "/metrics", &[], "");
    assert_eq!(scraped.status, 200);
    let text = scraped.body;
    let value = |series: &str| -> Option<f64> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    };
    for (series, expected) in [
        (
            r#"scw_private_checks_total{outcome="accepted",access="namespace_token",protocol="http"}"#,
            2.0,
        ),
        (
            r#"scw_private_checks_total{outcome="refused",class="missing_token",reason="no_token",protocol="http"}"#,
            1.0,
        ),
        (
            r#"scw_private_checks_total{outcome="refused",class="invalid_token",reason="bad_signature",protocol="http"}"#,
            1.0,
        ),
        (
            r#"scw_private_checks_total{outcome="accepted",access="namespace_token",protocol="grpc"}"#,
            1.0,
        ),
        (
            r#"scw_private_checks_total{outcome="refused",class="missing_token",reason="no_token",protocol="grpc"}"#,
            1.0,
        ),
        ("scw_private_token_cache_hits_total", 2.0),
        ("scw_private_token_cache_misses_total", 2.0),
        ("scw_private_token_verification_seconds_count", 2.0),
        (
            r#"scw_private_token_verification_seconds_bucket{le="+Inf"}"#,
            2.0,
        ),
    ] {
        assert_eq!(value(series), Some(expected), "{series} in\n{text}");
    }
    // Nothing else was checked: the five series above are every check that counted. Every
    // other combination of labels is there too, at 0, from the first check on.
    let checks: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("scw_private_checks_total{"))
        .collect();
    let counted = checks.iter().filter(|line| !line.ends_with(" 0")).count();
    assert_eq!(counted, 5, "{text}");
    assert!(checks.len() > 60, "{text}");
    // The crate's buckets, and the descriptions.
    assert!(
        text.contains(r#"scw_private_token_verification_seconds_bucket{le="0.00025"}"#),
        "{text}"
    );
    assert!(text.contains("# HELP scw_private_checks_total "), "{text}");
}
