//! Supervising the service: starting it as the platform starts a container, forwarding
//! signals to its whole process group, and making sure it never outlives the edge.
//!
//! What holds where:
//! - A signal the edge receives (SIGINT, SIGTERM, SIGHUP) goes to the service's whole process
//!   group, so a service started through a wrapper (`sh -c`, `make`, `npm`) gets it too. If
//!   the group has not stopped after [`STOP_GRACE`], or a second signal arrives meanwhile, the
//!   whole group is killed.
//! - On every way out (the service exited, a signal, a failure), everything the service
//!   started is killed: its group, and on Linux every other descendant of the edge, which is
//!   the subreaper of all of them, so a daemon that left the group (`setsid`) is found too
//!   (`descendants.rs`).
//! - If the edge itself is killed (SIGKILL, a crash), on Linux the direct child dies with it
//!   (a parent-death signal). A process the child started in turn is not reached by that
//!   signal: when the edge is killed outright, a wrapper's children and daemons may survive
//!   it. On other systems nothing kills the service when the edge is killed outright, and a
//!   daemon that left the group survives any end of the edge.

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::unix::process::ExitStatusExt as _;
use std::process::{ExitCode, ExitStatus};
use std::time::Duration;

use scw_private::env;
use tokio::process::{Child, Command};
use tokio::signal::unix::{Signal, SignalKind, signal};

use super::{Options, Privacy};
use crate::Failure;

/// How long a freshly started service may take to listen (`cargo run` may build it first).
pub(super) const STARTUP_TIMEOUT: Duration = Duration::from_secs(600);
/// How long a service has to stop after the signal it was sent, before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// The signals forwarded to the service.
pub(super) struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl Signals {
    pub(super) fn new() -> Result<Self, Failure> {
        let listen = |kind: SignalKind| {
            signal(kind).map_err(|e| Failure::Runtime(format!("cannot catch signals: {e}")))
        };
        Ok(Self {
            interrupt: listen(SignalKind::interrupt())?,
            terminate: listen(SignalKind::terminate())?,
            hangup: listen(SignalKind::hangup())?,
        })
    }

    /// The next signal the edge received.
    pub(super) async fn next(&mut self) -> libc::c_int {
        tokio::select! {
            _ = self.interrupt.recv() => libc::SIGINT,
            _ = self.terminate.recv() => libc::SIGTERM,
            _ = self.hangup.recv() => libc::SIGHUP,
        }
    }
}

/// The running service: the direct child, which leads a process group of its own.
pub(super) struct Service {
    child: Child,
    group: libc::pid_t,
}

impl Service {
    /// Starts the command as the platform starts a container: with its environment, asked to
    /// listen on loopback only, in a process group of its own (so a terminal's Ctrl-C reaches
    /// the edge, which forwards it once to the whole group).
    pub(super) fn start(options: &Options, upstream: SocketAddr) -> Result<Self, Failure> {
        let (program, args) = options.args.command.split_first().ok_or_else(|| {
            Failure::Usage("give the command that starts the service after `--`".to_owned())
        })?;
        let public = match options.args.privacy {
            Privacy::Private => "false",
            Privacy::Public => "true",
        };
        let mut command = Command::new(program);
        for variable in super::EDGE_ONLY_VARIABLES {
            command.env_remove(variable);
        }
        command
            .args(args)
            .env(env::PUBLIC_KEY, options.keys.public_pem())
            .env(env::NAMESPACE_ID, &options.args.namespace_id)
            .env(env::CONTAINER_ID, &options.args.container_id)
            .env(env::PUBLIC, public)
            .env("PORT", upstream.port().to_string())
            .env("LISTEN_HOST", upstream.ip().to_string())
            .process_group(0)
            .kill_on_drop(true);
        die_with_the_edge(&mut command);
        if options.args.isolate_network {
            isolate(&mut command);
        }
        let child = command.spawn().map_err(|e| {
            // A failure in `isolate` reaches here as an error number alone.
            let hint = if options.args.isolate_network {
                " (--isolate-network needs user namespaces, which some machines keep from \
                 ordinary users)"
            } else {
                ""
            };
            Failure::Runtime(format!(
                "cannot start {}: {e}{hint}",
                describe(&options.args.command)
            ))
        })?;
        let group = child
            .id()
            .and_then(|pid| libc::pid_t::try_from(pid).ok())
            .ok_or_else(|| Failure::Runtime("the service exited at once".to_owned()))?;
        Ok(Self { child, group })
    }

    pub(super) fn pid(&self) -> libc::pid_t {
        self.group
    }

    /// Waits for the service to exit by itself, then clears whatever it left behind.
    pub(super) async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        let status = self.child.wait().await;
        self.kill_everything();
        status
    }

    /// Sends `signal` to the service's group, gives it [`STOP_GRACE`] to exit (a second
    /// signal to the edge cuts it short), then kills the group; returns the exit code the
    /// edge exits with.
    pub(super) async fn stop(&mut self, signal: libc::c_int, signals: &mut Signals) -> ExitCode {
        self.signal_group(signal);
        let status = tokio::select! {
            status = self.child.wait() => status,
            _ = tokio::time::sleep(STOP_GRACE) => {
                errln!(
                    "scw-jwt edge: the service did not stop within {} s; killing it",
                    STOP_GRACE.as_secs()
                );
                self.signal_group(libc::SIGKILL);
                self.child.wait().await
            }
            _ = signals.next() => {
                errln!("scw-jwt edge: a second signal; killing the service");
                self.signal_group(libc::SIGKILL);
                self.child.wait().await
            }
        };
        // Whatever the service started and left behind.
        self.kill_everything();
        status.map_or(ExitCode::FAILURE, exit_code)
    }

    /// Kills the service's group and, on Linux, every other descendant of the edge: what
    /// left the group (`setsid`) was re-parented to the edge, its subreaper.
    fn kill_everything(&self) {
        self.signal_group(libc::SIGKILL);
        super::descendants::kill_all(self.group);
    }

    fn signal_group(&self, signal: libc::c_int) {
        // SAFETY: `kill` has no memory-safety preconditions. The group is the one the child
        // leads: its id stays taken while any member of the group lives, and a group that is
        // already gone makes this a harmless ESRCH.
        unsafe { libc::kill(-self.group, signal) };
    }
}

impl Drop for Service {
    /// Whatever way the edge leaves `serve`, everything the service started goes with it.
    fn drop(&mut self) {
        self.kill_everything();
    }
}

/// On Linux, the direct child is killed when the edge dies, even by SIGKILL.
#[cfg(target_os = "linux")]
fn die_with_the_edge(command: &mut Command) {
    let edge = std::process::id();
    // SAFETY: the closure runs in the forked child before `exec` and calls only `prctl` and
    // `getppid`, which are async-signal-safe. The parent-death signal fires when the thread
    // that forked exits: that is the thread running `serve`, the main thread, which lives as
    // long as the edge.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The edge may have died between the fork and the `prctl`: then no signal comes.
            if u32::try_from(libc::getppid()).ok() != Some(edge) {
                return Err(std::io::Error::other(
                    "the edge exited while starting the service",
                ));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_the_edge(_: &mut Command) {}

/// Off Linux there are no network namespaces: the edge stops the service and refuses the flag
/// once it has started (`way_in`).
#[cfg(not(target_os = "linux"))]
fn isolate(_: &mut Command) {}

/// The service in network namespaces of its own, loopback up (`--isolate-network`).
#[cfg(target_os = "linux")]
fn isolate(command: &mut Command) {
    let isolation = super::netns::Isolation::new();
    // SAFETY: `enter` makes only async-signal-safe calls, on data prepared before the fork.
    unsafe {
        command.pre_exec(move || isolation.enter());
    }
}

/// The edge's end when its service exited by itself: says so, and passes its code on.
pub(super) fn exited(
    status: std::io::Result<ExitStatus>,
    suffix: &str,
) -> Result<ExitCode, Failure> {
    let status =
        status.map_err(|e| Failure::Runtime(format!("cannot wait for the service: {e}")))?;
    errln!("scw-jwt edge: the service exited ({status}){suffix}");
    Ok(exit_code(status))
}

/// The service's exit code, or 128 + the signal that ended it, as a shell reports it.
fn exit_code(status: ExitStatus) -> ExitCode {
    let code = status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(1);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Whether the service listens within [`STARTUP_TIMEOUT`].
pub(super) async fn listening(upstream: &super::proxy::Upstream) -> bool {
    let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
    while tokio::time::Instant::now() < deadline {
        if upstream.connect().await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

pub(super) fn free_loopback_port() -> Result<SocketAddr, Failure> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| Failure::Runtime(format!("no free loopback port: {e}")))?;
    listener
        .local_addr()
        .map_err(|e| Failure::Runtime(e.to_string()))
}

/// The service's command, quoted, for a message: with what may be a key blanked (a path or
/// an argument may hold one).
pub(super) fn describe(command: &[OsString]) -> String {
    let words: Vec<_> = command.iter().map(|w| w.to_string_lossy()).collect();
    crate::redact::output(&format!("`{}`", words.join(" ")))
}

/// Where the service really listens, beside the loopback address the edge calls it on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Exposure {
    /// Loopback only: only this machine's users can skip the edge.
    LoopbackOnly,
    /// These addresses too (`0.0.0.0` and `::` meaning every interface).
    Beyond(Vec<IpAddr>),
    /// Not known (not Linux, or the sockets could not be read).
    Unknown,
    /// In a network namespace of its own whose only interface is loopback
    /// (`--isolate-network`): nothing beyond loopback reaches it.
    Isolated,
}

/// Where something listens on TCP `port`, from the kernel's socket tables (Linux).
pub(super) fn exposure(port: u16) -> Exposure {
    let tables = ["/proc/net/tcp", "/proc/net/tcp6"].map(std::fs::read_to_string);
    if tables.iter().all(Result::is_err) {
        return Exposure::Unknown;
    }
    let addresses: Vec<IpAddr> = tables
        .iter()
        .flatten()
        .flat_map(|table| listening_addresses(table, port))
        .collect();
    if addresses.is_empty() {
        return Exposure::Unknown;
    }
    let beyond: Vec<IpAddr> = addresses
        .into_iter()
        .filter(|address| !is_loopback(*address))
        .collect();
    if beyond.is_empty() {
        Exposure::LoopbackOnly
    } else {
        Exposure::Beyond(beyond)
    }
}

/// `127.0.0.0/8`, `::1`, and IPv4 loopback mapped into IPv6.
pub(super) fn is_loopback(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// The local addresses of the listening sockets on `port` in one `/proc/net/tcp{,6}` table.
fn listening_addresses(table: &str, port: u16) -> Vec<IpAddr> {
    listening_sockets(table)
        .into_iter()
        .filter(|(address, _)| address.port() == port)
        .map(|(address, _)| address.ip())
        .collect()
}

/// Every listening socket of one `/proc/net/tcp{,6}` table, with its inode.
pub(super) fn listening_sockets(table: &str) -> Vec<(SocketAddr, String)> {
    sockets_in(table, TCP_LISTEN)
        .into_iter()
        .map(|socket| (socket.address, socket.inode))
        .collect()
}

/// `st` of a listening TCP socket in `/proc/net/tcp{,6}`.
pub(super) const TCP_LISTEN: &str = "0A";
/// `st` of an unconnected UDP socket in `/proc/net/udp{,6}`: it takes datagrams from anyone.
pub(super) const UDP_UNCONNECTED: &str = "07";

/// A socket as the kernel's socket tables list it.
pub(super) struct Socket {
    pub(super) address: SocketAddr,
    pub(super) inode: String,
    /// The user that made it.
    pub(super) uid: u32,
}

/// The sockets of one `/proc/net/{tcp,udp}{,6}` table in `state`: lines of
/// `sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...`, addresses
/// as hexadecimal words in the kernel's byte order.
pub(super) fn sockets_in(table: &str, state: &str) -> Vec<Socket> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if *fields.get(3)? != state {
                return None;
            }
            let (address, port) = fields.get(1)?.split_once(':')?;
            let port = u16::from_str_radix(port, 16).ok()?;
            Some(Socket {
                address: SocketAddr::new(parse_address(address)?, port),
                inode: fields
                    .get(9)
                    .map_or_else(String::new, |inode| (*inode).to_owned()),
                uid: fields
                    .get(7)
                    .and_then(|uid| uid.parse().ok())
                    .unwrap_or(u32::MAX),
            })
        })
        .collect()
}

fn parse_address(hex: &str) -> Option<IpAddr> {
    // Each 32-bit word is printed as a native-endian integer: little-endian on the machines
    // this runs on, so each word's bytes come reversed.
    let words: Vec<u32> = (0..hex.len() / 8)
        .map(|i| u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok())
        .collect::<Option<_>>()?;
    let bytes: Vec<u8> = words.iter().flat_map(|word| word.to_le_bytes()).collect();
    match bytes.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::new(
            bytes[0], bytes[1], bytes[2], bytes[3],
        ))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(bytes).ok()?,
        ))),
        _ => None,
    }
}

/// `a, b and c`.
pub(super) fn list(addresses: &[IpAddr]) -> String {
    in_english(addresses.iter().map(ToString::to_string).collect())
}

/// `0.0.0.0:8081 and [::]:8082`.
pub(super) fn list_sockets(sockets: &[impl ToString]) -> String {
    in_english(sockets.iter().map(ToString::to_string).collect())
}

fn in_english(words: Vec<String>) -> String {
    match words.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kernel_s_socket_tables() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 00000000:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 0100007F:1F91 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1
   3: 0A00000A:1F92 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1";
        assert_eq!(
            listening_addresses(tcp, 8080),
            [IpAddr::from([127, 0, 0, 1])]
        );
        assert_eq!(listening_addresses(tcp, 8081), [IpAddr::from([0, 0, 0, 0])]);
        assert_eq!(
            listening_addresses(tcp, 8082),
            [IpAddr::from([10, 0, 0, 10])]
        );
        assert!(listening_addresses(tcp, 8083).is_empty());
        let tcp6 =
            "  sl  local_address                         remote_address                        st
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A
   1: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A
   2: 0000000000000000FFFF00000100007F:1F92 00000000000000000000000000000000:0000 0A";
        assert_eq!(
            listening_addresses(tcp6, 8080),
            [IpAddr::from(Ipv6Addr::LOCALHOST)]
        );
        assert_eq!(
            listening_addresses(tcp6, 8081),
            [IpAddr::from(Ipv6Addr::UNSPECIFIED)]
        );
        let mapped = listening_addresses(tcp6, 8082);
        assert_eq!(mapped, [IpAddr::from(Ipv4Addr::LOCALHOST.to_ipv6_mapped())]);
        assert!(is_loopback(mapped[0]));
        assert!(!is_loopback(IpAddr::from(Ipv6Addr::UNSPECIFIED)));
    }

    #[test]
    fn this_process_s_own_sockets_are_seen() {
        let loopback = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = loopback.local_addr().unwrap().port();
        assert_eq!(exposure(port), Exposure::LoopbackOnly);
        let everywhere = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
        let port = everywhere.local_addr().unwrap().port();
        assert_eq!(
            exposure(port),
            Exposure::Beyond(vec![IpAddr::from([0, 0, 0, 0])])
        );
    }

    #[test]
    fn lists_read_as_english() {
        let a = IpAddr::from([0, 0, 0, 0]);
        let b = IpAddr::from(Ipv6Addr::UNSPECIFIED);
        assert_eq!(list(&[a]), "0.0.0.0");
        assert_eq!(list(&[a, b]), "0.0.0.0 and ::");
    }
}
