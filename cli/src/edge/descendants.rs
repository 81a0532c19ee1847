//! Everything the service starts, however it detaches: the edge is its subreaper, ends all of
//! it on the way out, and watches where any of it listens (Linux).
//!
//! A service that daemonises (forks twice and calls `setsid`) leaves its process group, so a
//! signal to the group misses it, and its parent's exit would hand it to init. As init systems
//! do, the edge marks itself a *child subreaper* (`PR_SET_CHILD_SUBREAPER`): every orphan below
//! it is re-parented to the edge instead. Its descendants are then exactly the processes whose
//! chain of parents, read from `/proc`, leads to the edge; on every way out the edge freezes
//! them all (SIGSTOP, until no reading finds a new one), then kills and reaps them: killing in
//! rounds alone loses to a chain that forks and exits faster than `/proc` is read.
//!
//! A cgroup of the service's own would contain it without reading `/proc`, but a developer's
//! session rarely has one delegated (and containers, CI's included, often mount cgroup v1), so
//! the edge relies on what every Linux offers: the subreaper and signals.
//!
//! What this cannot do: if the edge itself is killed outright (SIGKILL), nothing runs, so its
//! orphans go to init (the direct child still dies of its parent-death signal). Off Linux there
//! is no subreaper and no `/proc`: only the service's process group is signalled.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How the edge ends what the service started, as the banner says it.
#[cfg(target_os = "linux")]
pub(super) const TEARDOWN: &str =
    "on the way out, everything the service started is frozen (SIGSTOP), then killed";
#[cfg(not(target_os = "linux"))]
pub(super) const TEARDOWN: &str =
    "on the way out, the service's process group is killed; a daemon that left it is not";

/// Makes the edge the subreaper of everything it starts. Call it before starting the service.
#[cfg(target_os = "linux")]
pub(super) fn become_subreaper() -> Result<(), std::io::Error> {
    // SAFETY: `prctl` with these arguments only sets a flag of this process.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub(super) fn become_subreaper() -> Result<(), std::io::Error> {
    Ok(())
}

/// A process as `/proc/<pid>/stat` describes it.
struct Process {
    parent: libc::pid_t,
    /// Every thread has exited: only its parent's wait is missing. The main thread alone is not
    /// enough: it can be a zombie (it called `pthread_exit`, or it died first of a SIGKILL) while
    /// other threads still run and hold the process's sockets.
    zombie: bool,
    /// Stopped by a signal (`T`): it cannot fork until something continues it. For a process
    /// whose main thread is a zombie, every other thread is.
    stopped: bool,
}

impl Process {
    /// A process from the state letter of its `stat`. A zombie main thread says nothing of the
    /// other threads: then `live_threads`, the states of those that have not exited, says.
    fn new(parent: libc::pid_t, state: &str, live_threads: impl FnOnce() -> Vec<String>) -> Self {
        if state != "Z" {
            return Self {
                parent,
                zombie: false,
                stopped: state == "T",
            };
        }
        let live = live_threads();
        Self {
            parent,
            zombie: live.is_empty(),
            stopped: !live.is_empty() && live.iter().all(|state| state == "T"),
        }
    }
}

/// Every process of the machine this user can see, by pid.
fn processes() -> HashMap<libc::pid_t, Process> {
    reading().0
}

/// Every process of the machine this user can see, by pid, and whether any process listed
/// in `/proc` was gone before its `stat` could be read.
fn reading() -> (HashMap<libc::pid_t, Process>, bool) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return (HashMap::new(), false);
    };
    let mut vanished = false;
    let processes = entries
        .filter_map(|entry| {
            let pid: libc::pid_t = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                vanished = true;
                return None;
            };
            // `pid (comm) state ppid ...`; `comm` may hold spaces and parentheses.
            let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
            let state = fields.next()?;
            let parent = fields.next()?.parse().ok()?;
            Some((pid, Process::new(parent, state, || live_thread_states(pid))))
        })
        .collect();
    (processes, vanished)
}

/// The states of the threads of `pid` that are neither zombies nor dead. Read only for a
/// process whose main thread is a zombie, which is rare and short-lived.
fn live_thread_states(pid: libc::pid_t) -> Vec<String> {
    let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    threads
        .filter_map(|thread| {
            let stat = std::fs::read_to_string(thread.ok()?.path().join("stat")).ok()?;
            let state = stat.rsplit_once(')')?.1.split_whitespace().next()?;
            (state != "Z" && state != "X").then(|| state.to_owned())
        })
        .collect()
}

/// The processes below `root`, zombies included, from one reading of `/proc`.
fn below(root: libc::pid_t, processes: &HashMap<libc::pid_t, Process>) -> Vec<libc::pid_t> {
    let mut children: HashMap<libc::pid_t, Vec<libc::pid_t>> = HashMap::new();
    for (pid, process) in processes {
        children.entry(process.parent).or_default().push(*pid);
    }
    let mut found = Vec::new();
    let mut next = vec![root];
    while let Some(pid) = next.pop() {
        for child in children.get(&pid).into_iter().flatten() {
            found.push(*child);
            next.push(*child);
        }
    }
    found
}

fn edge() -> libc::pid_t {
    libc::pid_t::try_from(std::process::id()).unwrap_or(libc::pid_t::MAX)
}

/// How long [`kill_all`] may take at most: it blocks the edge's way out, when nothing else is
/// served. Freezing converges in a few readings of `/proc`, however fast the service forks:
/// each reading stops every process it finds, and a stopped process forks no more.
const KILL_ALL_LIMIT: Duration = Duration::from_secs(10);

/// Ends every descendant of the edge, and reaps the re-parented orphans (not `service`, the
/// direct child, which tokio waits for).
///
/// Killing in rounds is not enough: a chain in which each process forks the next and exits
/// keeps one member alive that no reading of `/proc` has seen yet. So the descendants are
/// first *frozen*: every reading sends SIGSTOP to every live descendant it finds, until two
/// readings in a row find every one stopped, no new pid (zombies included), and no process
/// gone between its listing and its `stat` ([`Freeze`]). A stopped process cannot fork; a
/// process forked before its parent stopped is in the next reading (under its parent, or under
/// the edge, their subreaper, if its parent has exited); and a member that forks and exits
/// between its listing and its `stat` (so that its child is not in the reading) spoils the
/// reading, as a new zombie or by vanishing. Only then is each one sent SIGKILL, which ends
/// stopped processes too. A process of another user that exits during a reading only makes the
/// freeze read once more.
pub(super) fn kill_all(service: libc::pid_t) {
    let deadline = Instant::now() + KILL_ALL_LIMIT;
    let mut freeze = Freeze::default();
    while !freeze.is_complete() && Instant::now() < deadline {
        let (processes, vanished) = reading();
        for pid in freeze.read(edge(), &processes, vanished) {
            signal(pid, libc::SIGSTOP);
        }
        // Time for the signals to land before the next reading; a freeze takes a few.
        std::thread::sleep(Duration::from_millis(1));
    }
    if !freeze.is_complete() {
        errln!(
            "scw-jwt edge: the service's processes did not all stop within {} s; killing those found",
            KILL_ALL_LIMIT.as_secs()
        );
    }
    loop {
        let alive = live_descendants(&processes());
        for pid in &alive {
            signal(*pid, libc::SIGKILL);
        }
        reap(service);
        if alive.is_empty() || Instant::now() > deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The freeze of [`kill_all`], one reading of `/proc` at a time: the rule for when every
/// descendant is stopped, apart from the signals that stop them.
#[derive(Default)]
struct Freeze {
    /// Every descendant any reading found, zombies included.
    seen: HashSet<libc::pid_t>,
    /// How many readings in a row have settled.
    settled_readings: u32,
}

impl Freeze {
    /// Settled readings in a row that complete the freeze: one could be read just before a
    /// stopped process's last child appeared under the edge; the next would see it.
    const SETTLED_READINGS: u32 = 2;

    /// Takes one reading of the processes below `root`, `vanished` if a process was gone
    /// before its `stat` could be read, and returns the live descendants to stop. The reading
    /// settles when nothing vanished, no descendant is new, and every one is stopped or a zombie.
    fn read(
        &mut self,
        root: libc::pid_t,
        processes: &HashMap<libc::pid_t, Process>,
        vanished: bool,
    ) -> Vec<libc::pid_t> {
        let mut settled = !vanished;
        let mut to_stop = Vec::new();
        for pid in below(root, processes) {
            let Some(process) = processes.get(&pid) else {
                continue;
            };
            // A new zombie spoils the reading too: a member that forked and exited between
            // its listing and its `stat` reads as a zombie, and its child is not listed.
            settled &= !self.seen.insert(pid) && (process.stopped || process.zombie);
            if !process.zombie {
                to_stop.push(pid);
            }
        }
        self.settled_readings = if settled {
            self.settled_readings + 1
        } else {
            0
        };
        to_stop
    }

    fn is_complete(&self) -> bool {
        self.settled_readings >= Self::SETTLED_READINGS
    }
}

/// The descendants of the edge that have not exited.
fn live_descendants(processes: &HashMap<libc::pid_t, Process>) -> Vec<libc::pid_t> {
    below(edge(), processes)
        .into_iter()
        .filter(|pid| processes.get(pid).is_some_and(|p| !p.zombie))
        .collect()
}

fn signal(pid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: `kill` has no memory-safety preconditions. Each pid was read as a descendant of
    // the edge a moment ago; a pid is only reused once its zombie is reaped, and those below
    // the edge are reaped by the edge or their own parents.
    unsafe { libc::kill(pid, signal) };
}

/// Reaps the edge's exited children but `service`: the orphans it inherited as subreaper.
pub(super) fn reap(service: libc::pid_t) {
    for (pid, process) in processes() {
        if process.parent == edge() && process.zombie && pid != service {
            // SAFETY: `waitpid` on a child of this process that has exited, without blocking.
            unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
        }
    }
}

/// A socket that anyone beyond loopback can reach: a listening TCP socket, or an unconnected
/// UDP one (QUIC, HTTP/3, a debug port), on an address other than loopback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Exposed {
    pub(super) address: SocketAddr,
    pub(super) udp: bool,
}

impl std::fmt::Display for Exposed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // TCP goes without saying.
        if self.udp {
            write!(f, "{} (udp)", self.address)
        } else {
            write!(f, "{}", self.address)
        }
    }
}

/// Every socket of this network namespace that anyone beyond loopback can reach, or `None`
/// where the kernel's tables cannot be read (not Linux).
fn reachable_sockets() -> Option<Vec<(Exposed, super::process::Socket)>> {
    use super::process::{TCP_LISTEN, UDP_UNCONNECTED, is_loopback, sockets_in};
    let tables = [
        ("/proc/net/tcp", TCP_LISTEN, false),
        ("/proc/net/tcp6", TCP_LISTEN, false),
        ("/proc/net/udp", UDP_UNCONNECTED, true),
        ("/proc/net/udp6", UDP_UNCONNECTED, true),
    ];
    let mut readable = false;
    let mut found = Vec::new();
    for (path, state, udp) in tables {
        let Ok(table) = std::fs::read_to_string(path) else {
            continue;
        };
        readable = true;
        found.extend(
            sockets_in(&table, state)
                .into_iter()
                .filter(|socket| !is_loopback(socket.address.ip()))
                .map(|socket| {
                    let exposed = Exposed {
                        address: socket.address,
                        udp,
                    };
                    (exposed, socket)
                }),
        );
    }
    readable.then_some(found)
}

/// The inodes of the sockets open in `pids`, read from every thread's descriptor table (a
/// thread may hold a table of its own, `unshare(CLONE_FILES)`, and the main thread may have
/// exited while the others hold the sockets). A table that cannot be read adds nothing.
fn socket_inodes(pids: impl IntoIterator<Item = libc::pid_t>) -> HashSet<String> {
    pids.into_iter()
        .flat_map(|pid| {
            std::fs::read_dir(format!("/proc/{pid}/task"))
                .into_iter()
                .flatten()
        })
        .filter_map(Result::ok)
        .flat_map(|thread| {
            std::fs::read_dir(thread.path().join("fd"))
                .into_iter()
                .flatten()
        })
        .filter_map(|fd| {
            let link = std::fs::read_link(fd.ok()?.path()).ok()?;
            let inode = link.to_str()?.strip_prefix("socket:[")?.strip_suffix(']')?;
            Some(inode.to_owned())
        })
        .collect()
}

/// Where the service can be reached without the edge, however its listener hides.
///
/// A socket counts when a descriptor table of the service's tree holds it. That misses a
/// socket no readable table holds: one that lives only in a queued `SCM_RIGHTS` message, or
/// one of a process that made itself not dumpable (its table is then root's). So a socket
/// that no readable table explains also counts, when this user made it after the service
/// started. Sockets of other processes, and of other users, never count.
pub(super) struct Watch {
    /// The reachable sockets that existed before the service started.
    before: HashSet<String>,
    /// The edge's user, which the service runs as.
    uid: u32,
}

impl Watch {
    /// Notes the sockets that exist now. Call it before the service starts.
    pub(super) fn start() -> Self {
        let before = reachable_sockets()
            .unwrap_or_default()
            .into_iter()
            .map(|(_, socket)| socket.inode)
            .collect();
        // SAFETY: `geteuid` has no preconditions.
        let uid = unsafe { libc::geteuid() };
        Self { before, uid }
    }

    /// The sockets beyond loopback the service can be reached on, or `None` where that cannot
    /// be read (not Linux).
    pub(super) fn exposed(&self) -> Option<Vec<Exposed>> {
        let sockets = reachable_sockets()?;
        if sockets.is_empty() {
            return Some(Vec::new());
        }
        let processes = processes();
        let tree: HashSet<libc::pid_t> = below(edge(), &processes).into_iter().collect();
        let in_tree = socket_inodes(tree.iter().copied());
        let mut exposed = Vec::new();
        let mut unexplained = Vec::new();
        for (reachable, socket) in sockets {
            if in_tree.contains(&socket.inode) {
                exposed.push(reachable);
            } else if socket.uid == self.uid && !self.before.contains(&socket.inode) {
                unexplained.push((reachable, socket.inode));
            }
        }
        if !unexplained.is_empty() {
            // Read only when needed: every other process's tables, the edge's own included.
            let outside =
                socket_inodes(processes.keys().copied().filter(|pid| !tree.contains(pid)));
            unexplained.retain(|(_, inode)| !outside.contains(inode));
        }
        if !unexplained.is_empty() {
            // A process outside the tree that exited between the two readings took its
            // sockets with it: only what is still there, and still unexplained, counts.
            let still_there: HashSet<String> = reachable_sockets()
                .unwrap_or_default()
                .into_iter()
                .map(|(_, socket)| socket.inode)
                .collect();
            exposed.extend(
                unexplained
                    .into_iter()
                    .filter(|(_, inode)| still_there.contains(inode))
                    .map(|(reachable, _)| reachable),
            );
        }
        exposed.sort();
        exposed.dedup();
        Some(exposed)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_running_or_stopped_process_has_a_live_thread_and_an_exited_one_has_none() {
        let this = libc::pid_t::try_from(std::process::id()).unwrap();
        assert!(!live_thread_states(this).is_empty());
        // A process of one sleeping thread: this one's threads come and go with the other
        // tests, and one that is exiting reads as dead (`X`) for a moment.
        let mut sleeping = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let sleeping_pid = libc::pid_t::try_from(sleeping.id()).unwrap();
        assert!(!live_thread_states(sleeping_pid).is_empty());
        // Stopped, its thread still lives, and says so.
        signal(sleeping_pid, libc::SIGSTOP);
        let deadline = Instant::now() + Duration::from_secs(5);
        while live_thread_states(sleeping_pid) != ["T"] {
            assert!(Instant::now() < deadline, "`sleep` did not stop");
            std::thread::sleep(Duration::from_millis(10));
        }
        sleeping.kill().unwrap();
        sleeping.wait().unwrap();

        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        // Not reaped yet: a zombie, whose only thread has exited.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !processes().get(&pid).is_some_and(|p| p.zombie) {
            assert!(Instant::now() < deadline, "`true` did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(live_thread_states(pid).is_empty());
        child.wait().unwrap();
        assert!(
            live_thread_states(pid).is_empty(),
            "a reaped process has no threads"
        );
    }

    #[test]
    fn a_process_is_stopped_or_gone_by_its_threads_when_its_main_thread_is_a_zombie() {
        let read = |state: &str, live: &[&str]| {
            let live: Vec<String> = live.iter().map(|s| (*s).to_owned()).collect();
            let process = Process::new(1, state, || live);
            (process.zombie, process.stopped)
        };
        let unread = |state: &str| {
            let process = Process::new(1, state, || panic!("threads read for {state}"));
            (process.zombie, process.stopped)
        };
        // (zombie, stopped)
        assert_eq!(unread("R"), (false, false));
        assert_eq!(unread("S"), (false, false));
        assert_eq!(unread("T"), (false, true));
        assert_eq!(read("Z", &[]), (true, false), "every thread has exited");
        assert_eq!(read("Z", &["S"]), (false, false), "pthread_exit in main");
        assert_eq!(read("Z", &["T", "T"]), (false, true));
        assert_eq!(read("Z", &["T", "R"]), (false, false), "one thread runs");
    }

    /// A listener of a process outside the service's tree is not the service's, even one of
    /// the same user opened after the watch started: here the test process, which has the
    /// edge's place (the tree is what runs below it).
    #[test]
    fn a_listener_outside_the_service_s_tree_is_never_exposed() {
        let watch = Watch::start();
        let listener = std::net::TcpListener::bind((std::net::Ipv4Addr::UNSPECIFIED, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let exposed = watch.exposed().expect("Linux has socket tables");
        assert!(
            !exposed.iter().any(|socket| socket.address.port() == port),
            "{}",
            exposed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    /// A process of one thread: a zombie main thread means none lives.
    fn process(parent: libc::pid_t, state: &str) -> Process {
        Process::new(parent, state, Vec::new)
    }

    /// A process in a reading of `/proc`: its pid, its parent's, and its state.
    type Row = (libc::pid_t, libc::pid_t, &'static str);

    fn reading_of(processes: &[Row]) -> HashMap<libc::pid_t, Process> {
        processes
            .iter()
            .map(|&(pid, parent, state)| (pid, process(parent, state)))
            .collect()
    }

    fn sorted(mut pids: Vec<libc::pid_t>) -> Vec<libc::pid_t> {
        pids.sort_unstable();
        pids
    }

    const EDGE: libc::pid_t = 100;

    #[test]
    fn a_freeze_stops_every_live_descendant_and_completes_on_two_settled_readings() {
        let mut freeze = Freeze::default();
        // The service (101), its child (102), an orphan the edge inherited (103), a zombie
        // (104), and processes that are not the edge's (1, 200, 201).
        let running = reading_of(&[
            (1, 0, "S"),
            (101, EDGE, "S"),
            (102, 101, "R"),
            (103, EDGE, "S"),
            (104, 101, "Z"),
            (200, 1, "S"),
            (201, 200, "R"),
        ]);
        assert_eq!(sorted(freeze.read(EDGE, &running, false)), [101, 102, 103]);
        assert_eq!(freeze.settled_readings, 0, "every descendant was new");
        assert!(!freeze.is_complete());

        let stopped = reading_of(&[
            (1, 0, "S"),
            (101, EDGE, "T"),
            (102, 101, "T"),
            (103, EDGE, "T"),
            (104, 101, "Z"),
            (200, 1, "S"),
            (201, 200, "R"),
        ]);
        assert_eq!(sorted(freeze.read(EDGE, &stopped, false)), [101, 102, 103]);
        assert_eq!(freeze.settled_readings, 1);
        assert!(!freeze.is_complete(), "one settled reading is not enough");
        freeze.read(EDGE, &stopped, false);
        assert!(freeze.is_complete());
    }

    #[test]
    fn a_running_new_or_vanished_process_spoils_a_reading_and_starts_the_count_again() {
        let stopped = [(101, EDGE, "T"), (102, 101, "T")];
        let spoilers: [(&str, Vec<Row>, bool); 4] = [
            (
                "a descendant still running",
                vec![(101, EDGE, "T"), (102, 101, "R")],
                false,
            ),
            (
                "a new stopped descendant",
                vec![(101, EDGE, "T"), (102, 101, "T"), (103, 102, "T")],
                false,
            ),
            (
                "a new zombie",
                vec![(101, EDGE, "T"), (102, 101, "T"), (103, 102, "Z")],
                false,
            ),
            (
                "a process gone before its stat was read",
                stopped.to_vec(),
                true,
            ),
        ];
        for (what, spoiler, vanished) in spoilers {
            let mut freeze = Freeze::default();
            freeze.read(EDGE, &reading_of(&stopped), false);
            freeze.read(EDGE, &reading_of(&stopped), false);
            assert_eq!(freeze.settled_readings, 1, "{what}");
            freeze.read(EDGE, &reading_of(&spoiler), vanished);
            assert_eq!(freeze.settled_readings, 0, "{what} settled a reading");
            assert!(!freeze.is_complete(), "{what} completed the freeze");
        }
    }
}
