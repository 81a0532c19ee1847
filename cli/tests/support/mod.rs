//! What the edge's test files share: the test key, starting the edge, reading what it says.
#![allow(dead_code, reason = "each test file uses its own part")]

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use scw_private::testing::KeyPair;

/// Test-only key pair A, written where `--key` can read it.
///
/// One file in Cargo's scratch directory for tests (under `target/`, so `cargo clean` takes
/// it), whatever the number of runs: a process writes its own copy and renames it over the
/// shared one, so a test binary running beside another never reads half a key.
pub fn key_file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join("edge-test-key-a.pem");
        let own = dir.join(format!("edge-test-key-a.pem.{}", std::process::id()));
        write_private(&own, &keys().private_pem());
        std::fs::rename(&own, &path).unwrap();
        path
    })
}

/// A path under the system's temporary directory that is removed, with all it holds, when
/// dropped: when its test ends, failed or not, so that test runs leave nothing in `/tmp`.
/// Nothing is created at the path.
pub struct Scratch(PathBuf);

impl Scratch {
    /// `scw-jwt-<what>-<pid>-<n>`: unique to this call in this process, and cleared of what
    /// an earlier process of the same pid may have left.
    pub fn new(what: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("scw-jwt-{what}-{}-{n}", std::process::id()));
        let scratch = Self(path);
        scratch.remove();
        scratch
    }

    fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.0).or_else(|_| std::fs::remove_file(&self.0));
    }
}

impl std::ops::Deref for Scratch {
    type Target = std::path::Path;

    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for Scratch {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Writes a file that holds secrets as the edge requires it: readable by its owner alone.
pub fn write_private(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

pub fn keys() -> &'static KeyPair {
    static KEYS: OnceLock<KeyPair> = OnceLock::new();
    KEYS.get_or_init(|| {
        KeyPair::from_private_pem(include_str!(
            "../../../runtime/test-keys/rsa2048-a.private.pem"
        ))
        .unwrap()
    })
}

/// The state letter and process group in a `stat` file: `pid (comm) state ppid pgrp ...`, where
/// `comm` may hold spaces and parentheses.
pub fn state_and_group(stat_file: &std::path::Path) -> Option<(String, u32)> {
    let stat = std::fs::read_to_string(stat_file).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some((fields.first()?.to_string(), fields.get(2)?.parse().ok()?))
}

/// Whether a thread of `pid` has not exited yet. A zombie has exited, only its parent's wait is
/// missing; but the main thread of a killed multithreaded process can be a zombie while its other
/// threads are still tearing down, and they hold its descriptors (its listening socket) until the
/// last one is gone. So every thread counts, not only the one `/proc/{pid}/stat` describes.
pub fn has_a_live_thread(pid: u32) -> bool {
    let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    threads.filter_map(Result::ok).any(|thread| {
        state_and_group(&thread.path().join("stat"))
            .is_some_and(|(state, _)| state != "Z" && state != "X")
    })
}

pub fn signal(pid: u32, signal: libc::c_int) {
    // SAFETY: `kill` has no memory-safety preconditions.
    unsafe { libc::kill(libc::pid_t::try_from(pid).unwrap(), signal) };
}

pub fn wait_exit(process: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = process.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the edge did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The edge, started with both its outputs collected in one buffer, for the tests that read
/// what it says after start.
pub fn edge_with_output(
    flags: &[&str],
    command: &[&str],
    env: &[(&str, &str)],
) -> (Child, Arc<Mutex<String>>) {
    let key = key_file().to_str().unwrap().to_owned();
    let mut edge = Command::new(env!("CARGO_BIN_EXE_scw-jwt"));
    edge.envs(env.iter().copied())
        .args(["edge", "--key", &key, "--port", "0"])
        .args(flags)
        .arg("--")
        .args(command);
    with_output(edge)
}

/// Starts `command` with both its outputs collected in one buffer.
pub fn with_output(mut command: Command) -> (Child, Arc<Mutex<String>>) {
    let mut process = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let said = Arc::new(Mutex::new(String::new()));
    let pipes: [Box<dyn Read + Send>; 2] = [
        Box::new(process.stdout.take().unwrap()),
        Box::new(process.stderr.take().unwrap()),
    ];
    for pipe in pipes {
        let said = Arc::clone(&said);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut said = said.lock().unwrap();
                said.push_str(&line);
                said.push('\n');
            }
        });
    }
    (process, said)
}

/// Waits up to `seconds` for `needle` in what the edge said.
pub fn says(said: &Mutex<String>, needle: &str, seconds: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if said.lock().unwrap().contains(needle) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Waits for a private edge to stop its service over the listener it printed as `late
/// listener on <address>` (exit 3), and checks that the edge named that address.
pub fn assert_stopped_for_the_late_listener(
    process: &mut Child,
    said: &Mutex<String>,
    context: &str,
) {
    assert!(
        says(said, "late listener on ", 60),
        "{context}: {}",
        said.lock().unwrap()
    );
    let status = wait_exit(process);
    // The edge has exited, but the threads reading its pipes may not have read its last line.
    assert!(
        says(said, "it was stopped", 10),
        "{context}: {}",
        said.lock().unwrap()
    );
    let said = said.lock().unwrap().clone();
    assert_eq!(status.code(), Some(3), "{context}: {said}");
    let late = said
        .lines()
        .find_map(|line| line.strip_prefix("late listener on "))
        .unwrap_or_else(|| panic!("{context}: {said}"))
        .to_owned();
    assert!(
        said.contains(&format!(
            "the service started listening on {late} beyond loopback"
        )),
        "{context}: {said}"
    );
}
