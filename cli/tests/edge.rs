//! `scw-jwt edge` end to end over loopback: the quickstart behind it, every credential kind
//! against every route under both privacies and both `--forward-token` modes, a large body
//! streamed through, keep-alive, and the service's lifecycle (Ctrl-C, the service dying, the
//! edge failing).
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod support;
use support::{
    Scratch, edge_with_output, has_a_live_thread, key_file, keys, says, signal, state_and_group,
    wait_exit, write_private,
};

const NS: &str = "11111111-aaaa-4aaa-8aaa-0000000000e1";
const CT: &str = "22222222-bbbb-4bbb-8bbb-0000000000e1";
const IAM_KEY: &str = "7e2a9c41-5b3d-4f6e-8a1c-2d4b6f8e0a13";
const UNKNOWN_IAM_KEY: &str = "0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f";

/// The quickstart's binary, built once for all these tests if `cargo test` has not yet.
fn quickstart() -> &'static PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let profile = exe.parent().unwrap().parent().unwrap();
        let binary = profile.join("examples").join("quickstart");
        if !binary.exists() {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "-p", "examples", "--example", "quickstart"])
                .status()
                .unwrap();
            assert!(status.success(), "building the quickstart failed");
        }
        binary
    })
}

/// A running `scw-jwt edge`, stopped (and its service with it) when dropped.
struct Edge {
    process: Child,
    front: SocketAddr,
    service_pid: u32,
}

impl Drop for Edge {
    fn drop(&mut self) {
        signal(self.process.id(), libc::SIGTERM);
        let _ = self.process.wait();
    }
}

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Starts the edge with `flags` in front of `command`, and reads its banner through its
/// `export` lines (`None` for the address if it exits before it listens).
fn start_edge(flags: &[&str], command: &[&str]) -> (Child, Option<SocketAddr>, u32) {
    let (process, front, pid, _) = start_edge_with_banner(flags, command);
    (process, front, pid)
}

fn start_edge_with_banner(
    flags: &[&str],
    command: &[&str],
) -> (Child, Option<SocketAddr>, u32, Vec<String>) {
    start_edge_with_env(flags, command, &[])
}

fn start_edge_with_env(
    flags: &[&str],
    command: &[&str],
    env: &[(&str, &str)],
) -> (Child, Option<SocketAddr>, u32, Vec<String>) {
    let key = key_file().to_str().unwrap().to_owned();
    let mut process = Command::new(env!("CARGO_BIN_EXE_scw-jwt"))
        .envs(env.iter().copied())
        .args([
            "edge",
            "--key",
            &key,
            "--namespace-id",
            NS,
            "--container-id",
            CT,
        ])
        .args(flags)
        .arg("--")
        .args(command)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
    let (mut front, mut pid) = (None, 0);
    for line in lines.by_ref() {
        let Ok(line) = line else { break };
        // A key given with --iam-key may be a real secret: the banner never shows it.
        assert!(
            !line.contains(IAM_KEY),
            "the banner echoed --iam-key: {line}"
        );
        if let Some(rest) = line.strip_prefix("scw-jwt edge: started ") {
            // The command, as given.
            assert!(
                rest.starts_with(&format!("`{}` (pid ", command.join(" "))),
                "{line}"
            );
            let digits = rest.split("(pid ").nth(1).unwrap();
            pid = digits.split(')').next().unwrap().parse().unwrap();
        }
        if let Some(addr) = line.strip_prefix("scw-jwt edge listening on http://") {
            front = Some(addr.parse().unwrap());
            break;
        }
    }
    let mut banner = Vec::new();
    if front.is_some() {
        // The rest of the banner, through its last line (the gRPC client's).
        for line in lines.by_ref().map_while(Result::ok) {
            assert!(
                !line.contains(IAM_KEY),
                "the banner echoed --iam-key: {line}"
            );
            // Through the gRPC client's line, the banner's last.
            let last = line.starts_with("GRPC_SERVER=");
            banner.push(line);
            if last {
                break;
            }
        }
    }
    // Keep reading, so neither the edge nor its service ever blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (process, front, pid, banner)
}

fn edge(privacy: &str, forward_token: &str) -> Edge {
    let flags = [
        "--port",
        "0",
        "--iam-key",
        IAM_KEY,
        "--privacy",
        privacy,
        "--forward-token",
        forward_token,
    ];
    let quickstart = quickstart().to_str().unwrap().to_owned();
    let (process, front, service_pid, banner) = start_edge_with_banner(&flags, &[&quickstart]);
    // The banner says what the edge does with the token, in every mode.
    let said = match forward_token {
        "strip" => "X-Auth-Token is removed before forwarding (--forward-token strip)",
        _ if privacy == "private" => {
            "X-Auth-Token is forwarded to the service once checked (--forward-token keep)"
        }
        _ => "X-Auth-Token is forwarded to the service as sent (--forward-token keep)",
    };
    assert!(banner.iter().any(|line| line.trim() == said), "{banner:?}");
    // Which way everything the service started is ended.
    let teardown =
        "on the way out, everything the service started is frozen (SIGSTOP), then killed";
    assert!(
        banner.iter().any(|line| line.trim() == teardown),
        "{banner:?}"
    );
    // How to make a gRPC call, at the edge's own address.
    let front_addr = front.expect("the edge listens");
    for grpc_line in [
        format!("grpcurl -plaintext -H \"x-auth-token: $NS_TOKEN\" {front_addr} list"),
        format!(
            "GRPC_SERVER=http://{front_addr} cargo run --example grpc -- call hello \"$NS_TOKEN\""
        ),
    ] {
        assert!(banner.contains(&grpc_line), "{banner:?}");
    }
    assert!(
        banner
            .iter()
            .any(|line| line.trim().starts_with("the service listens on loopback only; a listener it opens beyond loopback (TCP or UDP) is watched for every second")),
        "{banner:?}"
    );
    Edge {
        process,
        front: front.expect("the edge said where it listens"),
        service_pid,
    }
}

/// What a call carries in `X-Auth-Token`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Credential {
    Nothing,
    IamKey,
    UnknownIamKey,
    Namespace,
    Container,
    Sibling,
    Garbage,
}

impl Credential {
    const ALL: [Credential; 7] = [
        Credential::Nothing,
        Credential::IamKey,
        Credential::UnknownIamKey,
        Credential::Namespace,
        Credential::Container,
        Credential::Sibling,
        Credential::Garbage,
    ];

    fn value(self) -> Option<String> {
        let keys = keys();
        Some(match self {
            Credential::Nothing => return None,
            Credential::IamKey => IAM_KEY.to_owned(),
            Credential::UnknownIamKey => UNKNOWN_IAM_KEY.to_owned(),
            Credential::Namespace => keys.token().namespace(NS).sign(),
            Credential::Container => keys.token().container(NS, CT).sign(),
            Credential::Sibling => keys.token().container(NS, "a-sibling").sign(),
            Credential::Garbage => "not-a-jwt".to_owned(),
        })
    }
}

const ROUTES: [(&str, &str); 7] = [
    ("GET", "/"),
    ("GET", "/private"),
    ("GET", "/container-only"),
    ("GET", "/namespace-only"),
    ("GET", "/maybe-public"),
    ("GET", "/platform-iam"),
    ("POST", "/echo"),
];

/// The status a call gets: from the edge (403) or from the quickstart behind it.
fn expected(private: bool, strip: bool, credential: Credential, path: &str) -> u16 {
    use Credential as C;
    if private {
        match credential {
            C::Nothing | C::UnknownIamKey | C::Sibling | C::Garbage => return 403,
            C::IamKey | C::Namespace | C::Container => {}
        }
    }
    // What reaches the quickstart.
    let seen = if strip { C::Nothing } else { credential };
    match (path, seen) {
        ("/", _) => 200,
        // A public container lets in only what carries nothing; a credential is judged.
        ("/maybe-public", C::Nothing) if !private => 200,
        ("/platform-iam", C::Nothing | C::IamKey | C::UnknownIamKey) if private => 200,
        (_, C::Nothing | C::IamKey | C::UnknownIamKey | C::Garbage) => 401,
        ("/container-only", C::Namespace) | ("/namespace-only", C::Container | C::Sibling) => 403,
        (_, C::Sibling) => 403,
        (_, C::Namespace | C::Container) => 200,
    }
}

#[test]
fn every_credential_against_every_route_under_both_privacies_and_forwarding_modes() {
    let credentials: Vec<(Credential, Option<String>)> =
        Credential::ALL.iter().map(|c| (*c, c.value())).collect();
    let mut checked = 0;
    for (privacy, forward_token) in [
        ("private", "keep"),
        ("private", "strip"),
        ("public", "keep"),
        ("public", "strip"),
    ] {
        let edge = edge(privacy, forward_token);
        let (private, strip) = (privacy == "private", forward_token == "strip");
        for (credential, value) in &credentials {
            for (method, path) in ROUTES {
                let headers: Vec<(&str, &str)> = value
                    .iter()
                    .map(|value| ("X-Auth-Token", value.as_str()))
                    .chain((method == "POST").then_some(("Content-Type", "application/json")))
                    .collect();
                let body = if method == "POST" { r#"{"a":1}"# } else { "" };
                let response = tests::blocking::send(edge.front, method, path, &headers, body);
                let context =
                    format!("{privacy}, {forward_token}, {credential:?}, {method} {path}");
                let status = expected(private, strip, *credential, path);
                assert_eq!(response.status, status, "{context}: {response:?}");
                if let Some(value) = value {
                    assert!(!response.body.contains(value.as_str()), "{context}: echoed");
                }
                if path == "/platform-iam" && status == 200 {
                    let kind = &response.json()["kind"];
                    let by_the_edge = private && (strip || *credential == Credential::IamKey);
                    assert_eq!(kind == "platform_iam", by_the_edge, "{context}: {kind}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * 7 * 7);
}

#[test]
fn the_edge_s_own_refusal_is_a_403_that_names_no_credential() {
    let edge = edge("private", "keep");
    let sibling = Credential::Sibling.value().unwrap();
    for headers in [
        vec![],
        vec![("X-Auth-Token", UNKNOWN_IAM_KEY)],
        vec![("X-Auth-Token", sibling.as_str())],
        vec![("X-Auth-Token", IAM_KEY), ("X-Auth-Token", IAM_KEY)],
        // The edge reads X-Auth-Token only, as the platform documents.
        vec![("Authorization", "Bearer x")],
    ] {
        let response = tests::blocking::send(edge.front, "GET", "/", &headers, "");
        assert_eq!(response.status, 403, "{headers:?}: {response:?}");
        assert_eq!(response.json()["error"], "forbidden");
        for (_, value) in &headers {
            assert!(!response.body.contains(value), "{headers:?}");
        }
    }
}

#[test]
fn a_large_body_streams_through_and_keep_alive_works() {
    let edge = edge("private", "keep");
    let token = Credential::Namespace.value().unwrap();
    // A body sent in chunks, as a client streams it: about 1.5 MB of JSON.
    let payload = format!(r#"{{"data":"{}"}}"#, "x".repeat(1_500_000));
    let mut raw = format!(
        "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Auth-Token: {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for chunk in payload.as_bytes().chunks(64 * 1024) {
        raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend_from_slice(chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let response = tests::blocking::send_raw(edge.front, &raw);
    assert_eq!(response.status, 200);
    assert_eq!(response.body.len(), payload.len());
    assert!(response.body == payload, "the body came back changed");

    // Two requests on one connection.
    let mut stream = TcpStream::connect(edge.front).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    for _ in 0..2 {
        write!(
            stream,
            "GET /private HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: {token}\r\n\r\n"
        )
        .unwrap();
        let response = tests::blocking::read_one(&mut stream);
        assert_eq!(response.status, 200, "{response:?}");
    }
}

#[test]
fn ctrl_c_stops_the_service_and_the_edge_exits_with_its_code() {
    let mut edge = edge("private", "keep");
    assert!(alive(edge.service_pid));
    signal(edge.process.id(), libc::SIGINT);
    let status = wait_exit(&mut edge.process);
    // The quickstart does not catch SIGINT: it dies of it, and the edge says so as a shell does.
    assert_eq!(status.code(), Some(128 + libc::SIGINT), "{status:?}");
    assert!(!alive(edge.service_pid), "the service outlived the edge");
}

#[test]
fn the_service_dying_ends_the_edge_with_its_exit_code() {
    // Before it listens...
    let (mut process, front, _) = start_edge(&["--port", "0"], &["sh", "-c", "exit 7"]);
    assert!(front.is_none());
    assert_eq!(wait_exit(&mut process).code(), Some(7));
    // ...and after.
    let mut edge = edge("private", "keep");
    signal(edge.service_pid, libc::SIGKILL);
    let status = wait_exit(&mut edge.process);
    assert_eq!(status.code(), Some(128 + libc::SIGKILL), "{status:?}");
}

#[test]
fn an_edge_that_cannot_serve_leaves_no_service_running() {
    let occupied = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = occupied.local_addr().unwrap().port().to_string();
    let quickstart = quickstart().to_str().unwrap().to_owned();
    let (mut process, front, service_pid) = start_edge(&["--port", &port], &[&quickstart]);
    assert!(front.is_none());
    assert_eq!(
        wait_exit(&mut process).code(),
        Some(3),
        "a failure at run time"
    );
    assert!(service_pid != 0);
    assert!(!alive(service_pid), "the service outlived the edge");
}

/// The processes of process group `group` that still hold anything, from `/proc`.
fn group_members(group: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let (_, pgrp) = state_and_group(format!("/proc/{pid}/stat").as_ref())?;
            (pgrp == group && has_a_live_thread(pid)).then_some(pid)
        })
        .collect()
}

/// Waits up to 5 seconds for the group to be gone and the service's port to be free.
fn assert_nothing_left(group: u32, port: u16, context: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !group_members(group).is_empty() {
        assert!(
            Instant::now() < deadline,
            "{context}: left running: {:?}",
            group_members(group)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
        "{context}: port {port} is still taken"
    );
}

/// The edge in front of the quickstart started through the `sh` script `script`. Returns the
/// edge, the service's process group, and the port the service listens on.
fn edge_in_front_of_a_wrapper(script: &str, flags: &[&str]) -> (Child, u32, u16) {
    let quickstart = quickstart().to_str().unwrap().to_owned();
    let mut all_flags = vec!["--port", "0"];
    all_flags.extend_from_slice(flags);
    let (process, front, group, banner) =
        start_edge_with_banner(&all_flags, &["sh", "-c", script, &quickstart]);
    assert!(front.is_some(), "the edge did not start: {banner:?}");
    let port = service_port(group);
    (process, group, port)
}

/// The loopback port a member of `group` listens on.
fn service_port(group: u32) -> u16 {
    let tables = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let inodes: Vec<String> = group_members(group)
        .into_iter()
        .flat_map(|pid| {
            std::fs::read_dir(format!("/proc/{pid}/fd"))
                .into_iter()
                .flatten()
        })
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|link| {
            let link = link.to_str()?.to_owned();
            Some(link.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    tables
        .lines()
        .skip(1)
        .find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (state, inode) = (fields[3], fields[9]);
            let port = u16::from_str_radix(fields[1].split(':').nth(1)?, 16).ok()?;
            (state == "0A" && inodes.iter().any(|i| i == inode)).then_some(port)
        })
        .expect("the service listens")
}

#[test]
fn a_signal_reaches_the_whole_group_of_a_wrapped_service() {
    // `sh` stays in between: a command after the service keeps it from exec'ing it.
    for signal_sent in [libc::SIGTERM, libc::SIGINT] {
        let (mut process, group, port) = edge_in_front_of_a_wrapper("\"$0\"; echo after", &[]);
        assert_eq!(group_members(group).len(), 2, "sh and the quickstart");
        signal(process.id(), signal_sent);
        wait_exit(&mut process);
        assert_nothing_left(group, port, &format!("signal {signal_sent}"));
    }
}

#[test]
fn a_second_ctrl_c_kills_at_once() {
    // A service that ignores SIGINT (an ignored signal stays ignored across exec).
    let (mut process, group, port) = edge_in_front_of_a_wrapper("trap '' INT; exec \"$0\"", &[]);
    signal(process.id(), libc::SIGINT);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!group_members(group).is_empty(), "it ignores the first one");
    let second = Instant::now();
    signal(process.id(), libc::SIGINT);
    let status = wait_exit(&mut process);
    assert!(
        second.elapsed() < Duration::from_secs(5),
        "it waited for the grace period"
    );
    assert_eq!(status.code(), Some(128 + libc::SIGKILL), "{status:?}");
    assert_nothing_left(group, port, "second Ctrl-C");
}

#[test]
fn the_service_dies_with_an_edge_killed_outright() {
    let mut edge = edge("private", "keep");
    let port = service_port(edge.service_pid);
    signal(edge.process.id(), libc::SIGKILL);
    let _ = edge.process.wait();
    // The direct child dies of the parent-death signal (Linux).
    assert_nothing_left(edge.service_pid, port, "SIGKILL to the edge");
}

#[test]
fn a_private_edge_refuses_a_service_reachable_beyond_loopback() {
    // The service overrides the loopback address the edge asks for.
    let quickstart = quickstart().to_str().unwrap().to_owned();
    let exposed = ["sh", "-c", "LISTEN_HOST=0.0.0.0 exec \"$0\"", &quickstart];
    let (mut process, front, group) = start_edge(&["--port", "0"], &exposed);
    assert!(front.is_none(), "it served in front of an exposed service");
    assert_eq!(
        wait_exit(&mut process).code(),
        Some(3),
        "a failure at run time"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while !group_members(group).is_empty() {
        assert!(Instant::now() < deadline, "the service was left running");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Told to accept the risk, it starts, and says so loudly.
    let (process, front, _, banner) =
        start_edge_with_banner(&["--port", "0", "--allow-exposed-service"], &exposed);
    assert!(front.is_some());
    assert!(
        banner
            .iter()
            .any(|line| line.contains("WARNING: the service also listens on 0.0.0.0")),
        "{banner:?}"
    );
    drop(Edge {
        process,
        front: front.unwrap(),
        service_pid: 0,
    });
    // A public container's edge checks nothing anyway: a warning, no refusal.
    let (process, front, _, banner) =
        start_edge_with_banner(&["--port", "0", "--privacy", "public"], &exposed);
    assert!(front.is_some());
    assert!(
        banner.iter().any(|line| line.contains("WARNING")),
        "{banner:?}"
    );
    drop(Edge {
        process,
        front: front.unwrap(),
        service_pid: 0,
    });
}

#[test]
fn iam_keys_come_from_a_file_or_a_variable_and_are_never_printed() {
    let file = Scratch::new("iam-keys");
    write_private(&file, &format!("# the team's key\n\n{IAM_KEY}\n"));
    let quickstart = quickstart().to_str().unwrap().to_owned();
    let file_flag = ["--port", "0", "--iam-key-file", file.to_str().unwrap()];
    let variable = [("SCW_JWT_IAM_KEYS", format!("{UNKNOWN_IAM_KEY}, {IAM_KEY}"))];
    let variable: Vec<(&str, &str)> = variable.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for (flags, env) in [
        (&file_flag[..], &[][..]),
        (&["--port", "0"][..], &variable[..]),
    ] {
        let (process, front, service_pid, banner) = start_edge_with_env(flags, &[&quickstart], env);
        let edge = Edge {
            process,
            front: front.expect("the edge started"),
            service_pid,
        };
        assert!(
            banner
                .iter()
                .all(|line| !line.contains(IAM_KEY) && !line.contains(UNKNOWN_IAM_KEY)),
            "{banner:?}"
        );
        let through =
            tests::blocking::send(edge.front, "GET", "/", &[("X-Auth-Token", IAM_KEY)], "");
        assert_eq!(through.status, 200, "{flags:?}: the key was not accepted");
        // The service's environment, as the kernel holds it: the platform's variables, and
        // none of the edge's own (so nothing the service starts inherits them either).
        let environ = std::fs::read(format!("/proc/{}/environ", edge.service_pid)).unwrap();
        let environ = String::from_utf8_lossy(&environ);
        assert!(environ.contains("SCW_PUBLIC_KEY="), "{flags:?}");
        assert!(
            !environ.contains("SCW_JWT_IAM_KEYS")
                && !environ.contains(IAM_KEY)
                && !environ.contains(UNKNOWN_IAM_KEY),
            "{flags:?}: the edge's secret reached the service"
        );
        if env.is_empty() {
            let refused = tests::blocking::send(
                edge.front,
                "GET",
                "/",
                &[("X-Auth-Token", UNKNOWN_IAM_KEY)],
                "",
            );
            assert_eq!(refused.status, 403);
        }
    }
}

#[test]
fn a_request_body_that_stops_arriving_is_cut() {
    let quickstart = quickstart().to_str().unwrap().to_owned();
    let flags = ["--port", "0", "--privacy", "public", "--body-timeout", "1"];
    let (process, front, service_pid, _) = start_edge_with_banner(&flags, &[&quickstart]);
    let edge = Edge {
        process,
        front: front.expect("the edge started"),
        service_pid,
    };
    let token = keys().token().namespace(NS).sign();
    let mut stream = TcpStream::connect(edge.front).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Ten bytes announced, three sent, then silence.
    write!(
        stream,
        "POST /echo HTTP/1.1\r\nHost: edge\r\nX-Auth-Token: {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{{\"a"
    )
    .unwrap();
    let started = Instant::now();
    let response = tests::blocking::read_one(&mut stream);
    assert_eq!(response.status, 408, "{response:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        response.body.contains("stopped arriving"),
        "{}",
        response.body
    );
}

/// A service of the test's own behind a public edge: `sh` writes the port the edge chose to a
/// file and waits, and the test listens there itself. Each request the service gets, its head
/// and body, is sent on the channel; `GET /hang-up` is closed without an answer, and
/// everything else gets a 200.
fn edge_in_front_of_the_test() -> (Edge, std::sync::mpsc::Receiver<String>) {
    let file = Scratch::new("edge-port");
    let script = format!(
        "printf %s \"$PORT\" > '{0}.part' && mv '{0}.part' '{0}' && exec sleep 600",
        file.display()
    );
    let (requests, received) = std::sync::mpsc::channel();
    let port_file = file.to_path_buf();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        let port = loop {
            if let Ok(port) = std::fs::read_to_string(&port_file) {
                break port;
            }
            assert!(Instant::now() < deadline, "the service never got a port");
            std::thread::sleep(Duration::from_millis(10));
        };
        let listener = std::net::TcpListener::bind(("127.0.0.1", port.parse().unwrap())).unwrap();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut received = Vec::new();
            let mut buffer = [0; 4096];
            // The head, then as many bytes as it announces.
            let head_end = loop {
                if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(end + 4);
                }
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break None,
                    Ok(n) => received.extend_from_slice(&buffer[..n]),
                }
            };
            // The edge's own probes connect and leave without a request.
            let Some(head_end) = head_end else { continue };
            let head = String::from_utf8_lossy(&received[..head_end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map_or(0, |n| n.trim().parse().unwrap());
            while received.len() < head_end + length {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => received.extend_from_slice(&buffer[..n]),
                }
            }
            let request = String::from_utf8_lossy(&received).into_owned();
            let hang_up = request.starts_with("GET /hang-up ");
            requests.send(request).unwrap();
            if !hang_up {
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                );
            }
        }
    });
    let flags = ["--port", "0", "--privacy", "public"];
    let (process, front, service_pid, banner) =
        start_edge_with_banner(&flags, &["sh", "-c", &script]);
    let edge = Edge {
        process,
        front: front.unwrap_or_else(|| panic!("the edge did not start: {banner:?}")),
        service_pid,
    };
    (edge, received)
}

#[test]
fn the_service_gets_the_request_as_sent_plus_the_platform_s_fields() {
    let (edge, received) = edge_in_front_of_the_test();
    let response = tests::blocking::send(
        edge.front,
        "POST",
        "/orders?page=2",
        &[
            ("Content-Type", "application/json"),
            ("Connection", "close, X-Hop"),
            ("X-Hop", "this connection only"),
            ("X-Forwarded-For", "203.0.113.7"),
        ],
        r#"{"item":"tea"}"#,
    );
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body, "ok");
    let request = received.recv_timeout(Duration::from_secs(10)).unwrap();
    let (head, body) = request.split_once("\r\n\r\n").unwrap();
    let head = head.to_lowercase();
    let fields: Vec<&str> = head.lines().collect();
    assert!(
        head.starts_with("post /orders?page=2 http/1.1\r\n"),
        "{head}"
    );
    // The body as sent, its length announced as the client did: no chunked encoding.
    assert_eq!(body, r#"{"item":"tea"}"#);
    assert!(fields.contains(&"content-length: 14"), "{head}");
    assert!(!head.contains("transfer-encoding"), "{head}");
    assert!(fields.contains(&"content-type: application/json"), "{head}");
    // The platform's fields: the client's address appended, the scheme, a fresh id.
    assert!(
        fields.contains(&"x-forwarded-for: 203.0.113.7, 127.0.0.1"),
        "{head}"
    );
    assert!(fields.contains(&"x-forwarded-proto: http"), "{head}");
    assert!(head.contains("x-request-id: "), "{head}");
    // Hop-by-hop fields stay with the client's connection.
    assert!(!head.contains("x-hop"), "{head}");
}

#[test]
fn a_service_that_hangs_up_is_a_502_not_a_408() {
    let (edge, received) = edge_in_front_of_the_test();
    let response = tests::blocking::send(edge.front, "GET", "/hang-up", &[], "");
    assert_eq!(response.status, 502, "{response:?}");
    assert_eq!(response.json()["error"], "bad_gateway");
    assert!(received.recv_timeout(Duration::from_secs(10)).is_ok());
}

/// User plus system CPU time of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after `comm`.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn out_of_file_descriptors_the_edge_waits_instead_of_spinning() {
    let key = key_file().to_str().unwrap().to_owned();
    let quickstart = quickstart().to_str().unwrap().to_owned();
    // The edge with few file descriptors (`exec` keeps the pid: the edge is `sh`'s process).
    let mut process = Command::new("sh")
        .args(["-c", "ulimit -n 48 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_scw-jwt"))
        .args([
            "edge",
            "--key",
            &key,
            "--port",
            "0",
            "--privacy",
            "public",
            "--",
        ])
        .arg(&quickstart)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(process.stdout.take().unwrap()).lines();
    let mut front = None;
    let mut lines = lines.map_while(Result::ok);
    for line in lines.by_ref() {
        if let Some(addr) = line.strip_prefix("scw-jwt edge listening on http://") {
            front = Some(addr.parse::<SocketAddr>().unwrap());
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    let edge = Edge {
        front: front.expect("the edge started"),
        process,
        service_pid: 0,
    };
    // More connections than the edge has descriptors for: its accepts fail with EMFILE.
    let held: Vec<TcpStream> = (0..80)
        .filter_map(|_| TcpStream::connect(edge.front).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let before = cpu_ticks(edge.process.id());
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(edge.process.id()) - before;
    // A loop retrying at once burns the whole second (about 100 ticks); a back-off, almost none.
    assert!(
        used < 30,
        "the edge used {used} ticks of CPU in one second while out of descriptors"
    );
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let response = tests::blocking::send(edge.front, "GET", "/", &[], "");
    assert_eq!(
        response.status, 200,
        "it serves again once descriptors are free"
    );
}

/// A service that daemonises a second quickstart (a subshell starts it under `setsid` and
/// exits, so it is in no group of the service's and its parent is gone) outlives neither a
/// stopped edge nor a service that exits: the edge is its subreaper and ends it (Linux).
#[test]
fn a_daemonised_service_never_outlives_the_edge() {
    let quickstart = quickstart().to_str().unwrap().to_owned();
    // `$1`: where the daemon writes its pid; it listens on a port of its own, on loopback.
    let daemonise = "(PORT=0 setsid sh -c 'echo $$ > \"$1\"; exec \"$0\"' \"$0\" \"$1\" &)";
    for (ending, script) in [
        ("SIGTERM to the edge", format!("{daemonise}; exec \"$0\"")),
        (
            "the service exiting",
            format!("{daemonise}; sleep 1; exit 0"),
        ),
    ] {
        let pid_file = Scratch::new("daemon");
        let (mut process, said) = edge_with_output(
            &[],
            &["sh", "-c", &script, &quickstart, pid_file.to_str().unwrap()],
            &[],
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        let daemon: u32 = loop {
            if let Some(pid) = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|pid| pid.trim().parse().ok())
            {
                break pid;
            }
            assert!(
                Instant::now() < deadline,
                "{ending}: no daemon: {}",
                said.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(has_a_live_thread(daemon), "{ending}");
        if ending.starts_with("SIGTERM") {
            assert!(
                says(&said, "scw-jwt edge listening on", 60),
                "{}",
                said.lock().unwrap()
            );
            signal(process.id(), libc::SIGTERM);
        }
        wait_exit(&mut process);
        let deadline = Instant::now() + Duration::from_secs(5);
        while has_a_live_thread(daemon) {
            assert!(
                Instant::now() < deadline,
                "{ending}: the daemon {daemon} outlived the edge"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Not a test of its own: the service of `a_listener_opened_after_start_is_caught`, this test
/// binary run again with `SCW_JWT_TEST_SERVICE` set (a plain `cargo test` returns at once). It
/// listens where the edge asks, on loopback, then two seconds later also where the variable
/// says: `second-port` (0.0.0.0, another port), `v6-only` (`[::]`, IPV6_V6ONLY), `reuse-port`
/// (0.0.0.0, the same port, SO_REUSEPORT).
#[test]
fn late_listener_service() {
    let Ok(mode) = std::env::var("SCW_JWT_TEST_SERVICE") else {
        return;
    };
    let port: u16 = std::env::var("PORT").unwrap().parse().unwrap();
    let host: std::net::IpAddr = std::env::var("LISTEN_HOST").unwrap().parse().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listen = |address: SocketAddr, reuse_port: bool, v6_only: bool| {
            let socket = if address.is_ipv4() {
                tokio::net::TcpSocket::new_v4()
            } else {
                tokio::net::TcpSocket::new_v6()
            }
            .unwrap();
            socket.set_reuseport(reuse_port).unwrap();
            if v6_only {
                use std::os::fd::AsRawFd as _;
                let on: libc::c_int = 1;
                // SAFETY: a valid socket, and a pointer to an int of the size given.
                let done = unsafe {
                    libc::setsockopt(
                        socket.as_raw_fd(),
                        libc::IPPROTO_IPV6,
                        libc::IPV6_V6ONLY,
                        std::ptr::from_ref(&on).cast(),
                        std::mem::size_of_val(&on) as libc::socklen_t,
                    )
                };
                assert_eq!(done, 0);
            }
            socket.bind(address).unwrap();
            socket.listen(16).unwrap()
        };
        let asked = listen(SocketAddr::new(host, port), true, false);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let late = match mode.as_str() {
            "second-port" => listen("0.0.0.0:0".parse().unwrap(), false, false),
            "v6-only" => listen("[::]:0".parse().unwrap(), false, true),
            "reuse-port" => listen(SocketAddr::from(([0, 0, 0, 0], port)), true, false),
            other => panic!("no such mode {other}"),
        };
        eprintln!("late listener on {}", late.local_addr().unwrap());
        tokio::time::sleep(Duration::from_secs(300)).await;
        drop((asked, late));
    });
}

/// A listener the service opens after start, beyond loopback, goes around the edge: a private
/// edge stops the service and says where it listened; a public one (or one told
/// --allow-exposed-service) warns in its log and goes on.
#[test]
fn a_listener_opened_after_start_is_caught() {
    let me = std::env::current_exe().unwrap();
    let service = [
        me.to_str().unwrap(),
        "late_listener_service",
        "--exact",
        "--nocapture",
    ];
    for mode in ["second-port", "v6-only", "reuse-port"] {
        let env = [("SCW_JWT_TEST_SERVICE", mode)];
        let (mut process, said) = edge_with_output(&[], &service, &env);
        support::assert_stopped_for_the_late_listener(&mut process, &said, mode);

        for flags in [&["--privacy", "public"][..], &["--allow-exposed-service"]] {
            let (mut process, said) = edge_with_output(flags, &service, &env);
            assert!(
                says(&said, "WARNING: the service now also listens on", 30),
                "{mode} {flags:?}: {}",
                said.lock().unwrap()
            );
            assert!(
                process.try_wait().unwrap().is_none(),
                "{mode} {flags:?}: it stopped"
            );
            signal(process.id(), libc::SIGTERM);
            wait_exit(&mut process);
        }
    }
}

/// Not a test of its own: the gRPC service of `grpc_calls_pass_the_edge_over_h2c`, this test
/// binary run again with `SCW_JWT_TEST_GRPC` set. A tonic server on `$PORT` (HTTP/2 only, as
/// tonic serves by default), every call checked by the tower layer with `platform_iam`, with
/// the environment the edge gives it.
#[test]
fn grpc_service() {
    if std::env::var_os("SCW_JWT_TEST_GRPC").is_none() {
        return;
    }
    let port: u16 = std::env::var("PORT").unwrap().parse().unwrap();
    let host: std::net::IpAddr = std::env::var("LISTEN_HOST").unwrap().parse().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((host, port)).await.unwrap();
        let policy = scw_private::Policy::new().platform_iam(true);
        tests::grpc::serve_grpc_on(listener, tests::grpc::Form::Layer(policy), None);
        tokio::time::sleep(Duration::from_secs(300)).await;
    });
}

/// A tonic client calls a tonic service through the edge: the edge tells HTTP/2 from HTTP/1.1
/// by the connection preface and forwards the call over h2c. A JWT and an IAM key get in; a
/// call without either is the edge's refusal, in gRPC. With `--h2c` an HTTP/1.1 request is
/// forwarded over h2c too (a tonic server answers it); without, it stays HTTP/1.1, which a
/// tonic server does not speak (502).
#[test]
fn grpc_calls_pass_the_edge_over_h2c() {
    use tests::grpc::{call_route, grpc_client};
    use tonic::Code;

    let me = std::env::current_exe().unwrap();
    let service = [
        me.to_str().unwrap(),
        "grpc_service",
        "--exact",
        "--nocapture",
    ];
    let token = keys().token().container(NS, CT).sign();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for h2c in [false, true] {
        let mut flags = vec!["--port", "0", "--iam-key", IAM_KEY];
        if h2c {
            flags.push("--h2c");
        }
        let (mut process, front, _, _) =
            start_edge_with_env(&flags, &service, &[("SCW_JWT_TEST_GRPC", "1")]);
        let front = front.expect("the edge listens");
        runtime.block_on(async {
            let mut client = grpc_client(front).await;
            let route = tests::Route::Any;
            let caller = call_route(&mut client, route, &[("x-auth-token", &token)])
                .await
                .unwrap_or_else(|status| panic!("--h2c {h2c}, a JWT: {status:?}"));
            assert_eq!(
                (caller.access.as_str(), caller.kind.as_str()),
                ("token", "container")
            );

            let caller = call_route(&mut client, route, &[("x-auth-token", IAM_KEY)])
                .await
                .unwrap_or_else(|status| panic!("--h2c {h2c}, an IAM key: {status:?}"));
            assert_eq!(caller.access, "platform_iam");

            let refused = call_route(&mut client, route, &[]).await.unwrap_err();
            assert_eq!(refused.code(), Code::PermissionDenied, "--h2c {h2c}");
            assert_eq!(
                refused.message(),
                "a private container needs exactly one X-Auth-Token"
            );
        });
        let plain = tests::blocking::send(front, "GET", "/", &[("X-Auth-Token", IAM_KEY)], "");
        if h2c {
            // tonic's answer to a path it does not serve: UNIMPLEMENTED, over HTTP/1.1 here.
            assert_eq!(plain.status, 200, "{plain:?}");
            assert_eq!(plain.header("grpc-status"), Some("12"), "{plain:?}");
        } else {
            assert_eq!(plain.status, 502, "{plain:?}");
        }
        signal(process.id(), libc::SIGTERM);
        wait_exit(&mut process);
    }
}
