//! `scw-jwt edge` against a service written to break its promises, with real processes: what
//! the service starts never outlives the edge, the edge's secrets are not the service's to
//! read, and a listener beyond loopback is found however it hides.
#![cfg(target_os = "linux")]

use std::time::{Duration, Instant};

mod support;
use support::{Scratch, edge_with_output, says, signal, wait_exit};

/// This test binary, run again as the service in `mode` (one of the `*_service` functions
/// below, which return at once in a plain `cargo test`).
fn this_binary_as(service: &str) -> Vec<String> {
    let me = std::env::current_exe().unwrap();
    vec![
        me.to_str().unwrap().to_owned(),
        service.to_owned(),
        "--exact".to_owned(),
        "--nocapture".to_owned(),
    ]
}

/// The processes whose environment holds `marker` (`NAME=value`), from `/proc`, live ones only.
fn processes_marked(marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
            let marked = environ
                .split(|byte| *byte == 0)
                .any(|variable| variable == marker.as_bytes());
            (marked && is_live(pid)).then_some(pid)
        })
        .collect()
}

/// Ends what a failed run left behind, so that it does not serve on after the test: stops every
/// marked process until none is left running, then kills them.
fn end_all(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = processes_marked(marker);
        if left.is_empty() || Instant::now() > deadline {
            return;
        }
        for pid in &left {
            signal(*pid, libc::SIGSTOP);
        }
        for pid in &left {
            signal(*pid, libc::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Neither a zombie nor gone.
fn is_live(pid: u32) -> bool {
    support::state_and_group(format!("/proc/{pid}/stat").as_ref())
        .is_some_and(|(state, _)| state != "Z" && state != "X")
}

/// A `timespec` of `millis` milliseconds.
fn millis(millis: i64) -> libc::timespec {
    libc::timespec {
        tv_sec: millis / 1000,
        tv_nsec: (millis % 1000) * 1_000_000,
    }
}

/// Not a test of its own: the service of `a_fork_chain_never_outlives_the_edge`. It listens
/// where the edge asks, and leaves a daemon behind (it forks twice and calls `setsid`, so it is
/// in no group of the service's and its parent is gone). When the service dies, the daemon
/// runs for two seconds as a chain in which each member forks the next and exits, then listens
/// beyond loopback and waits: a chain that outlives the edge serves around it.
#[test]
fn fork_chain_service() {
    if std::env::var_os("SCW_JWT_TEST_CHAIN").is_none() {
        return;
    }
    let port: u16 = std::env::var("PORT").unwrap().parse().unwrap();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    // SAFETY: the children below call only async-signal-safe functions (fork, setsid, kill,
    // nanosleep, clock_gettime, socket, bind, listen, pause, _exit) before they exit, as a
    // child forked from a multithreaded process must.
    unsafe {
        let service = libc::getpid();
        if libc::fork() == 0 {
            libc::setsid();
            if libc::fork() != 0 {
                libc::_exit(0);
            }
            // The daemon: waits for the service to die, as it does when the edge stops.
            while libc::kill(service, 0) == 0 {
                libc::nanosleep(&millis(5), std::ptr::null_mut());
            }
            let mut start = millis(0);
            libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut start);
            loop {
                let mut now = millis(0);
                libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now);
                if now.tv_sec - start.tv_sec >= 2 {
                    break;
                }
                match libc::fork() {
                    0 => continue,
                    -1 => libc::nanosleep(&millis(1), std::ptr::null_mut()),
                    _ => libc::_exit(0),
                };
            }
            let socket = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            let address = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: 0,
                sin_addr: libc::in_addr { s_addr: 0 },
                sin_zero: [0; 8],
            };
            libc::bind(
                socket,
                std::ptr::from_ref(&address).cast(),
                std::mem::size_of_val(&address) as libc::socklen_t,
            );
            libc::listen(socket, 16);
            loop {
                libc::pause();
            }
        }
    }
    std::thread::sleep(Duration::from_secs(300));
    drop(listener);
}

/// A chain in which each process forks the next and exits, started as the edge stops, never
/// survives it: the edge freezes every descendant until no new one appears, then kills them.
/// Twenty runs, since a race is lost only now and then.
#[test]
fn a_fork_chain_never_outlives_the_edge() {
    let service = this_binary_as("fork_chain_service");
    let service: Vec<&str> = service.iter().map(String::as_str).collect();
    for run in 0..20 {
        let marker = format!("SCW_JWT_TEST_CHAIN={}-{run}", std::process::id());
        let value = marker.split_once('=').unwrap().1;
        let (mut process, said) = edge_with_output(&[], &service, &[("SCW_JWT_TEST_CHAIN", value)]);
        assert!(
            says(&said, "scw-jwt edge listening on", 60),
            "run {run}: {}",
            said.lock().unwrap()
        );
        // The edge, the service and its daemon.
        let deadline = Instant::now() + Duration::from_secs(10);
        while processes_marked(&marker).len() < 3 {
            assert!(Instant::now() < deadline, "run {run}: no daemon");
            std::thread::sleep(Duration::from_millis(10));
        }
        signal(process.id(), libc::SIGTERM);
        wait_exit(&mut process);
        // A chain always has a live member: read three times, so a member between its fork and
        // its parent's exit cannot slip between two readings.
        let mut survivors = Vec::new();
        for _ in 0..3 {
            survivors.extend(processes_marked(&marker));
            std::thread::sleep(Duration::from_millis(50));
        }
        end_all(&marker);
        assert!(
            survivors.is_empty(),
            "run {run}: {survivors:?} outlived the edge"
        );
    }
}

/// A process whose main thread has exited while another thread runs on reads as a zombie in
/// `/proc/<pid>/stat`, as one that has exited does; yet it runs. It does not outlive the edge,
/// nor keep the edge's freeze from completing (which would hold the edge's exit to its limit).
#[test]
fn a_process_whose_main_thread_exited_does_not_outlive_the_edge() {
    let _one = ONE_WATCH_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = Scratch::new("leaderless");
    std::fs::create_dir_all(&dir).unwrap();
    let listeners = compile_listeners(&dir);
    let (mut process, said) =
        edge_with_output(&[], &[listeners.to_str().unwrap(), "leaderless"], &[]);
    assert!(
        says(&said, "leaderless child ", 60),
        "{}",
        said.lock().unwrap()
    );
    let child: u32 = said
        .lock()
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("leaderless child "))
        .unwrap()
        .parse()
        .unwrap();
    // What the test is about: the main thread is a zombie, the process is not.
    assert!(!is_live(child) && support::has_a_live_thread(child));
    signal(process.id(), libc::SIGTERM);
    wait_exit(&mut process);
    let deadline = Instant::now() + Duration::from_secs(5);
    while support::has_a_live_thread(child) {
        if Instant::now() > deadline {
            signal(child, libc::SIGKILL);
            panic!("{child} outlived the edge");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !said.lock().unwrap().contains("did not all stop"),
        "{}",
        said.lock().unwrap()
    );
}

/// Test-only: the IAM secret key the edge is given in `the_service_reads_none_of_the_edge_s_secrets`.
const SECRET: &str = "5c0ffee0-1d2e-4f3a-8b4c-5d6e7f8a9b0c";

/// What a service of the edge's own user learns of it from `/proc/<edge>/{environ,cmdline,mem}`:
/// one line each, `unreadable` or `readable, secret: yes|no`.
fn snoop(edge: u32, secret: &[u8]) -> Vec<String> {
    let contains = |haystack: &[u8]| haystack.windows(secret.len()).any(|w| w == secret);
    let mut found = Vec::new();
    for file in ["environ", "cmdline"] {
        found.push(match std::fs::read(format!("/proc/{edge}/{file}")) {
            Ok(bytes) => format!("{file}: readable, secret: {}", yes(contains(&bytes))),
            Err(_) => format!("{file}: unreadable"),
        });
    }
    found.push(match read_memory(edge) {
        Some(bytes) => format!("mem: readable, secret: {}", yes(contains(&bytes))),
        None => "mem: unreadable".to_owned(),
    });
    found
}

fn yes(found: bool) -> &'static str {
    if found { "yes" } else { "no" }
}

/// Every writable private mapping of `pid` (its heap and stacks), read through
/// `/proc/<pid>/mem`; `None` if none can be read.
fn read_memory(pid: u32) -> Option<Vec<u8>> {
    use std::os::unix::fs::FileExt as _;
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    let memory = std::fs::File::open(format!("/proc/{pid}/mem")).ok()?;
    let mut bytes = Vec::new();
    let mut read_any = false;
    for line in maps.lines().filter(|line| line.contains(" rw-p ")) {
        let (range, _) = line.split_once(' ')?;
        let (start, end) = range.split_once('-')?;
        let (start, end) = (
            u64::from_str_radix(start, 16).ok()?,
            u64::from_str_radix(end, 16).ok()?,
        );
        let mut region = vec![0; usize::try_from(end - start).ok()?.min(64 << 20)];
        if let Ok(read) = memory.read_at(&mut region, start) {
            read_any = true;
            bytes.extend_from_slice(&region[..read]);
        }
    }
    read_any.then_some(bytes)
}

/// Not a test of its own: the service of `the_service_reads_none_of_the_edge_s_secrets`. It
/// reads what it can of its parent, the edge, prints it (`snoop ...`), and listens.
#[test]
fn snooping_service() {
    if std::env::var_os("SCW_JWT_TEST_SNOOP").is_none() {
        return;
    }
    let port: u16 = std::env::var("PORT").unwrap().parse().unwrap();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let edge = std::os::unix::process::parent_id();
    for line in snoop(edge, SECRET.as_bytes()) {
        println!("snoop {line}");
    }
    println!("snoop done");
    std::thread::sleep(Duration::from_secs(300));
    drop(listener);
}

/// The user the edge runs as in these tests: a developer's own, never root, since root reads
/// any process's memory. Run as root (as CI is), they run the edge as `nobody`.
const NOBODY: u32 = 65534;

/// The user `isolate_network_puts_every_listener_out_of_reach` runs the edge as under root. Not
/// `nobody`: the kernel shows an id that a user namespace does not map as 65534 (the overflow
/// id), so as `nobody` a service whose id maps were never written would look as if it kept its
/// ids. An id of no account: the test needs none.
const ISOLATED: u32 = 4242;

/// A directory every user can read (removed when the guard is dropped), holding copies of
/// `files` every user can run, and the test key as a file of its own that, under root, is
/// `user`'s: the checkout may sit where other users cannot go (`/root`). Returns the
/// directory, the key and the copies.
fn reachable_by(
    user: u32,
    files: &[&std::path::Path],
) -> (Scratch, std::path::PathBuf, Vec<std::path::PathBuf>) {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = Scratch::new("hostile");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copies = files
        .iter()
        .map(|file| {
            let copy = dir.join(file.file_name().unwrap());
            std::fs::copy(file, &copy).unwrap();
            std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
            copy
        })
        .collect();
    let key = dir.join("edge-key.pem");
    support::write_private(&key, &support::keys().private_pem());
    // SAFETY: `geteuid` has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(&key, Some(user), Some(user)).unwrap();
    }
    (dir, key, copies)
}

/// The service, of the edge's own user, reads neither the IAM key the edge was given (in its
/// environment, or on its command line) nor the edge's memory: the edge starts itself again
/// without the key, handing it over through a pipe, and is not dumpable.
#[test]
fn the_service_reads_none_of_the_edge_s_secrets() {
    // SAFETY: `geteuid` has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let edge_binary = std::path::PathBuf::from(env!("CARGO_BIN_EXE_scw-jwt"));
    let me = std::env::current_exe().unwrap();
    let (_dir, key, binaries) = if root {
        let (dir, key, copies) = reachable_by(NOBODY, &[&edge_binary, &me]);
        (Some(dir), key, copies)
    } else {
        (None, support::key_file().clone(), vec![edge_binary, me])
    };
    for given in ["SCW_JWT_IAM_KEYS", "--iam-key"] {
        let mut edge = std::process::Command::new(&binaries[0]);
        edge.args(["edge", "--port", "0", "--key"]).arg(&key);
        if given == "--iam-key" {
            edge.args(["--iam-key", SECRET]);
        } else {
            edge.env("SCW_JWT_IAM_KEYS", SECRET);
        }
        edge.arg("--")
            .arg(&binaries[1])
            .args(["snooping_service", "--exact", "--nocapture"])
            .env("SCW_JWT_TEST_SNOOP", "1");
        unprivileged(&mut edge, NOBODY);
        let (mut process, said) = support::with_output(edge);
        assert!(
            says(&said, "snoop done", 60),
            "{given}: {}",
            said.lock().unwrap()
        );
        let said = said.lock().unwrap().clone();
        signal(process.id(), libc::SIGTERM);
        wait_exit(&mut process);
        for expected in [
            "snoop environ: unreadable",
            "snoop cmdline: readable, secret: no",
            "snoop mem: unreadable",
        ] {
            assert!(
                said.contains(expected),
                "{given}: no {expected:?} in {said}"
            );
        }
        assert!(!said.contains(SECRET), "{given}: {said}");
    }
}

/// Not a test of its own: the service of the tests of the edge's request handling below. An
/// HTTP/1.1 and HTTP/2 server on `$PORT` as strict as RFC 9113 allows about `Host` (a `Host`
/// beside `:authority` that says otherwise is refused with 400), that answers every other
/// request with what it received in `x-report` (and as a gRPC status, for an HTTP/2 client):
/// `host: <value>`, `credential: <x-auth-token, authorization or none>`, `trailers: <names>`.
#[test]
fn recording_service() {
    use http_body_util::BodyExt as _;

    if std::env::var_os("SCW_JWT_TEST_RECORDER").is_none() {
        return;
    }
    let port: u16 = std::env::var("PORT").unwrap().parse().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = hyper::service::service_fn(
                |request: hyper::Request<hyper::body::Incoming>| async move {
                    let headers = request.headers().clone();
                    let host = headers
                        .get("host")
                        .map(|host| host.to_str().unwrap_or("?").to_owned());
                    let authority = request.uri().authority().map(ToString::to_string);
                    let mut response =
                        hyper::Response::new(http_body_util::Full::new(hyper::body::Bytes::new()));
                    if request.version() == hyper::Version::HTTP_2
                        && host.is_some()
                        && host != authority
                    {
                        *response.status_mut() = hyper::StatusCode::BAD_REQUEST;
                        return Ok::<_, std::convert::Infallible>(response);
                    }
                    let body = request.into_body().collect().await;
                    let trailers: Vec<String> = body
                        .ok()
                        .and_then(|body| body.trailers().cloned())
                        .map(|trailers| trailers.keys().map(ToString::to_string).collect())
                        .unwrap_or_default();
                    let credential = ["x-auth-token", "authorization"]
                        .into_iter()
                        .filter(|name| headers.contains_key(*name))
                        .collect::<Vec<_>>()
                        .join(",");
                    let report = format!(
                        "host: {}; credential: {}; trailers: {}",
                        host.as_deref().unwrap_or("none"),
                        if credential.is_empty() {
                            "none"
                        } else {
                            &credential
                        },
                        trailers.join(","),
                    );
                    let value = hyper::header::HeaderValue::from_str(&report).unwrap();
                    response.headers_mut().insert("x-report", value.clone());
                    response
                        .headers_mut()
                        .insert("grpc-status", hyper::header::HeaderValue::from_static("0"));
                    response.headers_mut().insert("grpc-message", value);
                    Ok(response)
                },
            );
            tokio::spawn(async move {
                let builder = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                );
                let _ = builder
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

/// The edge in front of `recording_service`, with `flags` (on a free port), its output going
/// to `said`; the service's own output is dropped, as `the_edge_keeps_serving_when_its_output_is_closed`
/// needs.
fn edge_in_front_of_the_recorder(
    flags: &[&str],
) -> (
    std::process::Child,
    std::sync::Arc<std::sync::Mutex<String>>,
) {
    let me = std::env::current_exe().unwrap();
    let quiet = "exec \"$0\" recording_service --exact >/dev/null 2>&1";
    let command = ["sh", "-c", quiet, me.to_str().unwrap()];
    edge_with_output(flags, &command, &[("SCW_JWT_TEST_RECORDER", "1")])
}

/// Where the edge listens, from what it said.
fn front(said: &std::sync::Mutex<String>) -> std::net::SocketAddr {
    assert!(
        says(said, "scw-jwt edge listening on", 60),
        "{}",
        said.lock().unwrap()
    );
    let said = said.lock().unwrap();
    let line = said
        .lines()
        .find_map(|line| line.strip_prefix("scw-jwt edge listening on http://"))
        .unwrap();
    line.parse().unwrap()
}

/// A container token the edge admits: for the ids it gives the service by default.
fn token() -> String {
    let (namespace, container) = (
        "00000000-0000-4000-8000-00000000dev0",
        "00000000-0000-4000-8000-00000000dev1",
    );
    support::keys()
        .token()
        .container(namespace, container)
        .sign()
}

/// `Connection: X-Auth-Token` would make the edge drop, as hop-by-hop, the very token it
/// admitted the call by: the service would see no credential at all, which a `platform_iam`
/// route reads as the platform's word. The edge refuses such a request with 400, before
/// admission, and logs it, as every refusal of its own.
#[test]
fn a_connection_header_that_names_a_credential_is_refused() {
    let (mut process, said) = edge_in_front_of_the_recorder(&[]);
    let front = front(&said);
    let token = token();
    for connection in ["X-Auth-Token", "keep-alive, authorization"] {
        let response = tests::blocking::send(
            front,
            "GET",
            "/",
            &[("X-Auth-Token", &token), ("Connection", connection)],
            "",
        );
        assert_eq!(response.status, 400, "{connection}: {response:?}");
        assert!(
            response.body.contains("names a credential header"),
            "{response:?}"
        );
    }
    // Each refusal of the edge's own is a line of its log, with anything shaped like an IAM
    // key blanked.
    let uuid = "3c0f9a52-1b2c-4d3e-8f4a-5b6c7d8e9f0a";
    let response = tests::blocking::send(front, "GET", &format!("/keys/{uuid}?q=1"), &[], "");
    assert_eq!(response.status, 403, "{response:?}");
    for line in [
        "scw-jwt edge: refused GET / (400 Bad Request): the Connection header names a credential header",
        "scw-jwt edge: refused GET /keys/<redacted> (403 Forbidden): a private container needs exactly one X-Auth-Token",
    ] {
        assert!(says(&said, line, 10), "{}", said.lock().unwrap());
    }
    assert!(
        !said.lock().unwrap().contains(uuid),
        "{}",
        said.lock().unwrap()
    );
    // A token in the path is blanked too.
    let response = tests::blocking::send(front, "GET", &format!("/files/{token}"), &[], "");
    assert_eq!(response.status, 403, "{response:?}");
    assert!(
        says(&said, "refused GET /files/<redacted> (403 Forbidden)", 10),
        "{}",
        said.lock().unwrap()
    );
    assert!(
        !said.lock().unwrap().contains(&token),
        "{}",
        said.lock().unwrap()
    );
    // Without, the token reaches the service.
    let response = tests::blocking::send(front, "GET", "/", &[("X-Auth-Token", &token)], "");
    assert_eq!(response.status, 200, "{response:?}");
    assert!(
        response
            .header("x-report")
            .unwrap()
            .contains("credential: x-auth-token"),
        "{response:?}"
    );
    signal(process.id(), libc::SIGTERM);
    wait_exit(&mut process);
}

/// CONNECT, even with a valid token, asks for a tunnel the service cannot give: forwarded, the
/// client hangs. The edge answers 405 at once, with the methods it forwards.
#[test]
fn connect_is_answered_405() {
    let (mut process, said) = edge_in_front_of_the_recorder(&[]);
    let front = front(&said);
    let request = format!(
        "CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nX-Auth-Token: {}\r\nConnection: close\r\n\r\n",
        token()
    );
    let response = tests::blocking::send_raw(front, request.as_bytes());
    assert_eq!(response.status, 405, "{response:?}");
    assert!(
        response.header("allow").unwrap().contains("GET"),
        "{response:?}"
    );
    signal(process.id(), libc::SIGTERM);
    wait_exit(&mut process);
}

/// Under `--h2c` an HTTP/1.1 request goes on over HTTP/2, whose `:authority` is the service's
/// address: the client's `Host` does not go with it, since a strict HTTP/2 server refuses a
/// request whose `Host` says otherwise (RFC 9113, 8.3.1).
#[test]
fn under_h2c_the_host_field_does_not_contradict_the_authority() {
    let (mut process, said) = edge_in_front_of_the_recorder(&["--h2c"]);
    let front = front(&said);
    let request = format!(
        "GET / HTTP/1.1\r\nHost: example.test\r\nX-Auth-Token: {}\r\nConnection: close\r\n\r\n",
        token()
    );
    let response = tests::blocking::send_raw(front, request.as_bytes());
    assert_eq!(response.status, 200, "{response:?}");
    assert!(
        response
            .header("x-report")
            .unwrap()
            .starts_with("host: none;"),
        "{response:?}"
    );
    signal(process.id(), libc::SIGTERM);
    wait_exit(&mut process);
}

/// The edge admits a call by its headers, before its trailers arrive: a credential in the
/// request's trailers was never checked, and never reaches the service, whatever
/// `--forward-token` says.
#[test]
fn credentials_in_request_trailers_never_reach_the_service() {
    use tests::h2::{Send, call, connect};

    let runtime = tokio::runtime::Runtime::new().unwrap();
    for forward in ["keep", "strip"] {
        let (mut process, said) = edge_in_front_of_the_recorder(&["--forward-token", forward]);
        let front = front(&said);
        let token = token();
        runtime.block_on(async {
            let mut client = connect(front).await;
            let trailers = [
                ("x-auth-token", "not-checked"),
                ("authorization", "Bearer not-checked"),
                ("x-other", "kept"),
            ];
            let (answer, _) = call(
                &mut client,
                "/pkg.Service/Method",
                &[("x-auth-token", &token)],
                Send::MessageThenTrailers(b"", &trailers),
            )
            .await;
            assert_eq!(answer.status.as_deref(), Some("0"), "{forward}: {answer:?}");
            let report = answer.message.unwrap();
            assert!(report.ends_with("trailers: x-other"), "{forward}: {report}");
        });
        signal(process.id(), libc::SIGTERM);
        wait_exit(&mut process);
    }
}

/// A closed stdout or stderr (`scw-jwt edge ... | head`) neither stops the edge nor its
/// service: it keeps serving, and stops writing there.
#[test]
fn the_edge_keeps_serving_when_its_output_is_closed() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let me = std::env::current_exe().unwrap();
    let quiet = "exec \"$0\" recording_service --exact >/dev/null 2>&1";
    let mut process = std::process::Command::new(env!("CARGO_BIN_EXE_scw-jwt"))
        .args(["edge", "--key"])
        .arg(support::key_file())
        .args(["--port", &port.to_string(), "--privacy", "public", "--"])
        .args(["sh", "-c", quiet, me.to_str().unwrap()])
        .env("SCW_JWT_TEST_RECORDER", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(process.stdout.take());
    drop(process.stderr.take());
    let front = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(front).is_err() {
        assert!(
            process.try_wait().unwrap().is_none(),
            "the edge exited: {:?}",
            process.try_wait()
        );
        assert!(Instant::now() < deadline, "the edge never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    for _ in 0..3 {
        let response = tests::blocking::send(front, "GET", "/", &[], "");
        assert_eq!(response.status, 200, "{response:?}");
    }
    assert!(process.try_wait().unwrap().is_none(), "the edge stopped");
    signal(process.id(), libc::SIGTERM);
    wait_exit(&mut process);
}

/// `cli/tests/hostile/listeners.c`, compiled with the machine's C compiler (the one the
/// crypto backend builds with) into `dir`.
fn compile_listeners(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/listeners.c");
    let binary = dir.join("listeners");
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let status = std::process::Command::new(cc)
        .args(["-std=c11", "-Wall", "-O1", "-pthread", "-o"])
        .arg(&binary)
        .arg(&source)
        .status()
        .expect("a C compiler (cc)");
    assert!(status.success(), "compiling {}", source.display());
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    binary
}

/// The edge (run as `nobody` when the tests run as root) in front of `listeners MODE`.
fn edge_in_front_of_listeners(
    edge: &std::path::Path,
    key: &std::path::Path,
    listeners: &std::path::Path,
    mode: &str,
) -> (
    std::process::Child,
    std::sync::Arc<std::sync::Mutex<String>>,
) {
    let mut command = std::process::Command::new(edge);
    command
        .args(["edge", "--port", "0", "--key"])
        .arg(key)
        .arg("--")
        .arg(listeners)
        .arg(mode);
    unprivileged(&mut command, NOBODY);
    support::with_output(command)
}

/// Runs `command` as `user` (ids and group) when the tests run as root.
fn unprivileged(command: &mut std::process::Command, user: u32) {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: `geteuid` has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // std drops root's supplementary groups with the uid.
        command.uid(user).gid(user);
    }
}

/// Held by each test that runs the listeners helper: a socket one test's service hides is
/// unexplained to the other test's edge too (same user, opened after it started), which
/// counts it, as it would for two edges of one developer.
static ONE_WATCH_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The edge, its key and the listeners helper, where the user the edge runs as reaches them,
/// in a directory that goes when the first value returned is dropped.
fn listeners_setup() -> (
    Scratch,
    std::path::PathBuf,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    let edge = std::path::PathBuf::from(env!("CARGO_BIN_EXE_scw-jwt"));
    let (dir, key, copies) = reachable_by(NOBODY, &[&edge]);
    let listeners = compile_listeners(&dir);
    (dir, copies[0].clone(), key, listeners)
}

/// A socket beyond loopback opened after start goes around the edge, however the service
/// hides it from `/proc`: held by a thread after the main thread exited, in a thread's own
/// descriptor table, only inside a queued SCM_RIGHTS message, in a process that is not
/// dumpable (its table is then root's, and the edge runs as an ordinary user here), or as
/// UDP. A private edge stops the service and says where it listened.
#[test]
fn a_hidden_listener_beyond_loopback_is_caught() {
    let _one = ONE_WATCH_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (_dir, edge, key, listeners) = listeners_setup();
    for mode in [
        "leader-exits",
        "own-table",
        "in-flight",
        "not-dumpable",
        "udp",
    ] {
        let (mut process, said) = edge_in_front_of_listeners(&edge, &key, &listeners, mode);
        support::assert_stopped_for_the_late_listener(&mut process, &said, mode);
    }
}

/// The watch never stops an innocent service: a UDP socket connected to one server (as a DNS
/// lookup's is) is no listener, and a socket of a process outside the service's tree, even of
/// the same user, is not the service's, even when that process exits while the watch reads.
#[test]
fn a_client_socket_or_another_process_s_listener_never_counts() {
    let _one = ONE_WATCH_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (_dir, edge, key, listeners) = listeners_setup();
    let (mut process, said) = edge_in_front_of_listeners(&edge, &key, &listeners, "udp-client");
    assert!(
        says(&said, "innocent socket on ", 60),
        "{}",
        said.lock().unwrap()
    );
    let mut outside = std::process::Command::new(&listeners);
    outside.arg("outside");
    unprivileged(&mut outside, NOBODY);
    let (mut outside, outside_said) = support::with_output(outside);
    assert!(
        says(&outside_said, "innocent socket on ", 10),
        "{}",
        outside_said.lock().unwrap()
    );
    // The watch reads every second: three readings, and nothing said, while processes outside
    // the tree open listeners and exit, some between the watch's reading of the socket tables
    // and its reading of the descriptor tables.
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let mut brief = std::process::Command::new(&listeners);
        brief.arg("outside-brief");
        unprivileged(&mut brief, NOBODY);
        assert!(brief.status().unwrap().success());
    }
    assert!(
        process.try_wait().unwrap().is_none(),
        "{}",
        said.lock().unwrap()
    );
    assert!(
        !said.lock().unwrap().contains("started listening on"),
        "{}",
        said.lock().unwrap()
    );
    signal(process.id(), libc::SIGTERM);
    wait_exit(&mut process);
    let _ = outside.kill();
    let _ = outside.wait();
}

/// With `--isolate-network` the service has a network namespace of its own, loopback only: a
/// listener it opens on `0.0.0.0` is out of reach of this machine's network, so the edge lets
/// it be, and still reaches the service itself; the service keeps the edge's user and group
/// ids. Run as the user a developer is (one of no account under root). Where the machine keeps
/// user namespaces from ordinary users, the mode cannot run, and the test says so and stops.
#[test]
fn isolate_network_puts_every_listener_out_of_reach() {
    let _one = ONE_WATCH_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let edge = std::path::PathBuf::from(env!("CARGO_BIN_EXE_scw-jwt"));
    let me = std::env::current_exe().unwrap();
    let (dir, key, copies) = reachable_by(ISOLATED, &[&edge, &me]);
    let listeners = compile_listeners(&dir);
    let start = |service: &[&std::ffi::OsStr]| {
        let mut command = std::process::Command::new(&copies[0]);
        command
            .args(["edge", "--port", "0", "--isolate-network", "--key"])
            .arg(&key)
            .arg("--")
            .args(service)
            .env("SCW_JWT_TEST_RECORDER", "1");
        unprivileged(&mut command, ISOLATED);
        support::with_output(command)
    };

    // A listener beyond loopback, in the namespace: the edge goes on, and no one reaches it.
    let (mut process, said) = start(&[listeners.as_os_str(), "own-table".as_ref()]);
    if !says(&said, "late listener on ", 60) {
        let said = said.lock().unwrap().clone();
        assert!(said.contains("needs user namespaces"), "{said}");
        eprintln!("skipped: this machine keeps user namespaces from ordinary users: {said}");
        return;
    }
    let late: std::net::SocketAddr = said
        .lock()
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("late listener on "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        said.lock()
            .unwrap()
            .contains("the service has a network namespace of its own, loopback only"),
        "{}",
        said.lock().unwrap()
    );
    let refused = std::net::TcpStream::connect(("127.0.0.1", late.port()));
    assert!(
        refused.is_err(),
        "the listener in the namespace was reached from outside"
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        process.try_wait().unwrap().is_none(),
        "{}",
        said.lock().unwrap()
    );
    signal(process.id(), libc::SIGTERM);
    wait_exit(&mut process);

    // The service itself is reached through the edge, over HTTP/1.1 and over HTTP/2. It
    // listens a second late, so the edge's first probes through the namespace find no one
    // (the connector's refusals), as for a service that starts slowly. It keeps the edge's
    // ids: its user namespace maps them to themselves; an id it did not map would read as the
    // overflow id, which the edge's are not.
    let service = [
        "sh".as_ref(),
        "-c".as_ref(),
        r#"echo "ids $(id -u) $(id -g)"; sleep 1; exec "$0" recording_service --exact"#.as_ref(),
        copies[1].as_os_str(),
    ];
    let (mut process, said) = start(&service);
    let front = front(&said);
    let ids = said
        .lock()
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("ids "))
        .unwrap_or_else(|| panic!("{}", said.lock().unwrap()))
        .to_owned();
    // SAFETY: `geteuid` and `getegid` have no preconditions.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let edge_ids = if uid == 0 {
        format!("{ISOLATED} {ISOLATED}")
    } else {
        format!("{uid} {gid}")
    };
    assert_eq!(ids, edge_ids);
    let overflow = std::fs::read_to_string("/proc/sys/kernel/overflowuid").unwrap();
    assert_ne!(
        ids.split(' ').next(),
        Some(overflow.trim()),
        "a test that proves nothing"
    );
    let response = tests::blocking::send(front, "GET", "/", &[("X-Auth-Token", &token())], "");
    assert_eq!(response.status, 200, "{response:?}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut client = tests::h2::connect(front).await;
        let (answer, _) = tests::h2::call(
            &mut client,
            "/pkg.Service/Method",
            &[("x-auth-token", &token())],
            tests::h2::Send::Message(b""),
        )
        .await;
        assert_eq!(answer.status.as_deref(), Some("0"), "{answer:?}");
    });
    signal(process.id(), libc::SIGTERM);
    wait_exit(&mut process);
}
