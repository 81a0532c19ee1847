//! `--isolate-network`: the service in a network namespace of its own, whose only interface
//! is loopback, so that nothing beyond this machine's loopback can reach it however it listens
//! (Linux).
//!
//! - The service is started in new user and network namespaces (`unshare`; a user namespace
//!   is what lets an ordinary user make a network namespace, and root needs none). Before it
//!   runs, it brings its loopback interface up; it keeps the edge's user and group ids.
//! - The edge cannot enter that namespace itself: joining one takes a capability in its own
//!   namespace, which an ordinary user lacks. So it starts a small *connector* inside it (this
//!   binary again, which joins the service's namespaces before it runs): for each connection
//!   the edge asks for, the connector connects to the service's port on the namespace's
//!   loopback and passes the connected socket back over a socket pair (`SCM_RIGHTS`). A
//!   socket keeps working wherever it is passed.
//!
//! What it costs: the service reaches nothing beyond its namespace either (a local database,
//! DNS, `cargo run` fetching crates: start it with a built binary), and some distributions do
//! not let ordinary users make user namespaces; then the edge says so and does not start.

use std::io;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd, RawFd};
use std::os::unix::net::UnixDatagram;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::Failure;

/// The variable that starts this binary as the connector: `<descriptor>:<port>`.
pub(crate) const CONNECTOR_VARIABLE: &str = "SCW_JWT_NETNS_CONNECTOR";

/// What the service's `pre_exec` writes, prepared before the fork (a forked child may not
/// allocate): the id maps of its user namespace.
pub(super) struct Isolation {
    root: bool,
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
}

impl Isolation {
    pub(super) fn new() -> Self {
        // SAFETY: `geteuid` and `getegid` have no preconditions.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        Self {
            root: uid == 0,
            uid_map: format!("{uid} {uid} 1\n").into_bytes(),
            gid_map: format!("{gid} {gid} 1\n").into_bytes(),
        }
    }

    /// Moves the calling process, a freshly forked child, into new namespaces with loopback
    /// up. Only async-signal-safe calls: `prctl`, `unshare`, `open`, `write`, `close`,
    /// `socket`, `ioctl`.
    pub(super) fn enter(&self) -> io::Result<()> {
        let flags = if self.root {
            libc::CLONE_NEWNET
        } else {
            libc::CLONE_NEWUSER | libc::CLONE_NEWNET
        };
        // SAFETY: `unshare` only changes this process's namespaces.
        if unsafe { libc::unshare(flags) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if !self.root {
            // The child inherited the edge's "not dumpable", which makes its own `/proc` files
            // root's, the id maps included. `execve` would reset it in a moment anyway; until
            // then this copy of the edge's memory is readable by the user, as the edge's own
            // was before `secrets::not_dumpable`.
            // SAFETY: `prctl` with these arguments only sets a flag of this process.
            if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0) } != 0 {
                return Err(io::Error::last_os_error());
            }
            write_file(c"/proc/self/setgroups", b"deny")?;
            write_file(c"/proc/self/uid_map", &self.uid_map)?;
            write_file(c"/proc/self/gid_map", &self.gid_map)?;
        }
        loopback_up()
    }
}

fn write_file(path: &std::ffi::CStr, bytes: &[u8]) -> io::Result<()> {
    // SAFETY: a valid C string; the descriptor is closed below.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `bytes` is valid for its length.
    let written = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
    let error = io::Error::last_os_error();
    // SAFETY: `fd` is open and owned here.
    unsafe { libc::close(fd) };
    if usize::try_from(written).ok() == Some(bytes.len()) {
        Ok(())
    } else {
        Err(error)
    }
}

/// Brings `lo` up: a new network namespace has it down.
fn loopback_up() -> io::Result<()> {
    // SAFETY: plain socket and ioctl calls on a descriptor owned here; `ifreq` is zeroed, then
    // named `lo`, as SIOCGIFFLAGS and SIOCSIFFLAGS expect.
    unsafe {
        let socket = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if socket < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut request: libc::ifreq = std::mem::zeroed();
        for (to, from) in request.ifr_name.iter_mut().zip(b"lo\0") {
            *to = *from as libc::c_char;
        }
        let mut done = libc::ioctl(socket, libc::SIOCGIFFLAGS, &mut request) == 0;
        if done {
            request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            done = libc::ioctl(socket, libc::SIOCSIFFLAGS, &request) == 0;
        }
        let error = io::Error::last_os_error();
        libc::close(socket);
        if done { Ok(()) } else { Err(error) }
    }
}

/// The edge's way into the service's namespace: the connector at the other end of a socket
/// pair.
#[derive(Clone)]
pub(crate) struct Door {
    pair: Arc<Mutex<UnixDatagram>>,
}

impl Door {
    /// Starts the connector in the namespaces of the process `service`, for `port`.
    pub(super) fn open(service: libc::pid_t, port: u16) -> Result<Self, Failure> {
        use std::os::unix::process::CommandExt as _;

        let failed = |e: io::Error| {
            Failure::Runtime(format!("cannot reach the service's network namespace: {e}"))
        };
        // SAFETY: `geteuid` has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let namespace = |kind: &str| std::fs::File::open(format!("/proc/{service}/ns/{kind}"));
        let user = if root {
            None
        } else {
            Some(namespace("user").map_err(failed)?)
        };
        let net = namespace("net").map_err(failed)?;
        let (edge_end, connector_end) = UnixDatagram::pair().map_err(failed)?;
        // The connector's end must survive its `execve`.
        let connector_fd = connector_end.as_raw_fd();
        // SAFETY: `fcntl` on a descriptor owned here.
        if unsafe { libc::fcntl(connector_fd, libc::F_SETFD, 0) } != 0 {
            return Err(failed(io::Error::last_os_error()));
        }
        let (user_fd, net_fd) = (user.as_ref().map(|file| file.as_raw_fd()), net.as_raw_fd());
        let mut command = std::process::Command::new("/proc/self/exe");
        command
            .arg0("scw-jwt-netns-connector")
            .env(CONNECTOR_VARIABLE, format!("{connector_fd}:{port}"))
            .stdin(std::process::Stdio::null());
        // SAFETY: the closure runs in the forked child before `execve` and calls only
        // `prctl` and `setns`, which are async-signal-safe; the child is single-threaded, as
        // joining a user namespace requires.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(io::Error::last_os_error());
                }
                if let Some(user) = user_fd
                    && libc::setns(user, libc::CLONE_NEWUSER) != 0
                {
                    return Err(io::Error::last_os_error());
                }
                if libc::setns(net_fd, libc::CLONE_NEWNET) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        command.spawn().map_err(failed)?;
        drop(connector_end);
        // A connector that died must not hang the edge.
        edge_end
            .set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(failed)?;
        Ok(Self {
            pair: Arc::new(Mutex::new(edge_end)),
        })
    }

    /// A TCP connection to the service's port, made inside its namespace.
    pub(crate) async fn connect(&self) -> io::Result<tokio::net::TcpStream> {
        let pair = Arc::clone(&self.pair);
        let stream = tokio::task::spawn_blocking(move || {
            let pair = pair
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            pair.send(b"c")?;
            receive_socket(&pair)
        })
        .await
        .map_err(io::Error::other)??;
        stream.set_nonblocking(true)?;
        stream.set_nodelay(true)?;
        tokio::net::TcpStream::from_std(stream)
    }
}

/// Receives one connected socket, or the error the connector met.
fn receive_socket(pair: &UnixDatagram) -> io::Result<std::net::TcpStream> {
    let mut status = [0u8; 4];
    let mut io = libc::iovec {
        iov_base: status.as_mut_ptr().cast(),
        iov_len: status.len(),
    };
    let mut control = [0u8; 64];
    // SAFETY: `msghdr` is plain data; the pointers set below outlive the `recvmsg` call.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = &mut io;
    message.msg_iovlen = 1;
    message.msg_control = control.as_mut_ptr().cast();
    message.msg_controllen = control.len() as _;
    // SAFETY: a valid socket and message header.
    let received = unsafe { libc::recvmsg(pair.as_raw_fd(), &mut message, libc::MSG_CMSG_CLOEXEC) };
    if received < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the header was filled by `recvmsg`; CMSG_FIRSTHDR checks its length.
    let fd = unsafe {
        let header = libc::CMSG_FIRSTHDR(&message);
        if header.is_null()
            || (*header).cmsg_level != libc::SOL_SOCKET
            || (*header).cmsg_type != libc::SCM_RIGHTS
        {
            None
        } else {
            Some(std::ptr::read_unaligned(
                libc::CMSG_DATA(header).cast::<RawFd>(),
            ))
        }
    };
    // SAFETY: SCM_RIGHTS put a new descriptor in this process, owned by no one else.
    let fd = fd.map(|fd| unsafe { OwnedFd::from_raw_fd(fd) });
    match (fd, i32::from_ne_bytes(status)) {
        (Some(fd), 0) => Ok(std::net::TcpStream::from(fd)),
        (None, 0) => Err(io::Error::other("the connector sent no socket")),
        // A descriptor that comes with an error is closed unused: only a connected socket,
        // sent as one, is ever read or written.
        (_, status) => Err(io::Error::from_raw_os_error(status)),
    }
}

/// The connector's life: for every request on the socket pair, a connection to
/// `127.0.0.1:port` in this namespace, sent back; an error code when it fails. Ends with the
/// edge (its parent-death signal), or when the pair breaks.
pub(crate) fn run_connector(value: &str) -> std::process::ExitCode {
    let Some((fd, port)) = value.split_once(':') else {
        return std::process::ExitCode::from(2);
    };
    let (Ok(fd), Ok(port)) = (fd.parse::<RawFd>(), port.parse::<u16>()) else {
        return std::process::ExitCode::from(2);
    };
    // SAFETY: the edge left exactly this descriptor open for the connector.
    let pair = UnixDatagram::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let mut request = [0u8; 1];
    while matches!(pair.recv(&mut request), Ok(1)) {
        let sent = match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(stream) => send_socket(&pair, stream.as_raw_fd(), 0),
            Err(error) => send_socket(&pair, -1, error.raw_os_error().unwrap_or(libc::EIO)),
        };
        if sent.is_err() {
            break;
        }
    }
    std::process::ExitCode::SUCCESS
}

/// Sends `fd` (none when negative) with a 4-byte status.
fn send_socket(pair: &UnixDatagram, fd: RawFd, status: i32) -> io::Result<()> {
    let mut status = status.to_ne_bytes();
    let mut io = libc::iovec {
        iov_base: status.as_mut_ptr().cast(),
        iov_len: status.len(),
    };
    let mut control = [0u8; 64];
    // SAFETY: `msghdr` is plain data; the pointers set below outlive the `sendmsg` call, and
    // the control buffer is large enough for one descriptor.
    unsafe {
        let mut message: libc::msghdr = std::mem::zeroed();
        message.msg_iov = &mut io;
        message.msg_iovlen = 1;
        if fd >= 0 {
            let space = libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) as usize;
            message.msg_control = control.as_mut_ptr().cast();
            message.msg_controllen = space as _;
            let header = libc::CMSG_FIRSTHDR(&message);
            (*header).cmsg_level = libc::SOL_SOCKET;
            (*header).cmsg_type = libc::SCM_RIGHTS;
            (*header).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(header).cast::<RawFd>(), fd);
        }
        if libc::sendmsg(pair.as_raw_fd(), &message, 0) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the edge takes from the connector: a socket sent as connected, never one that
    /// comes with an error, and the error when none comes.
    #[test]
    fn only_a_socket_sent_without_an_error_is_taken() {
        let (connector, edge) = UnixDatagram::pair().unwrap();
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let address = listener.local_addr().unwrap();
        let socket = std::net::TcpStream::connect(address).unwrap();

        send_socket(&connector, socket.as_raw_fd(), 0).unwrap();
        let taken = receive_socket(&edge).unwrap();
        assert_eq!(taken.peer_addr().unwrap(), address);

        send_socket(&connector, socket.as_raw_fd(), libc::ECONNREFUSED).unwrap();
        let refused = receive_socket(&edge).unwrap_err();
        assert_eq!(refused.raw_os_error(), Some(libc::ECONNREFUSED));

        send_socket(&connector, -1, libc::ECONNREFUSED).unwrap();
        let refused = receive_socket(&edge).unwrap_err();
        assert_eq!(refused.raw_os_error(), Some(libc::ECONNREFUSED));

        send_socket(&connector, -1, 0).unwrap();
        assert!(receive_socket(&edge).is_err(), "no socket and no error");
    }
}
