//! Everything the service starts, however it detaches: the edge is its subreaper, ends all of
//! it on the way out, and watches where any of it listens (Linux).
//!
//! A service that daemonises (forks twice and calls `setsid`) leaves its process group, so a
//! signal to the group misses it, and its parent's exit would hand it to init. As init systems
//! do, the edge marks itself a *child subreaper* (`PR_SET_CHILD_SUBREAPER`): every orphan below
//! it is re-parented to the edge instead. Its descendants are then exactly the processes whose
//! chain of parents, read from `/proc`, leads to the edge; on every way out the edge kills them
//! all, in rounds until none is left (one may fork while a round runs), and reaps them.
//!
//! What this cannot do: if the edge itself is killed outright (SIGKILL), nothing runs, so its
//! orphans go to init (the direct child still dies of its parent-death signal). Off Linux there
//! is no subreaper and no `/proc`: only the service's process group is signalled.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

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
}

/// Every process of the machine this user can see, by pid.
fn processes() -> HashMap<libc::pid_t, Process> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    entries
        .filter_map(|entry| {
            let pid: libc::pid_t = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid ...`; `comm` may hold spaces and parentheses.
            let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
            let zombie = fields.next()? == "Z" && !has_a_live_thread(pid);
            let parent = fields.next()?.parse().ok()?;
            Some((pid, Process { parent, zombie }))
        })
        .collect()
}

/// Whether any thread of `pid` is neither a zombie nor dead. Read only for a process whose main
/// thread is a zombie, which is rare and short-lived.
fn has_a_live_thread(pid: libc::pid_t) -> bool {
    let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    threads.filter_map(Result::ok).any(|thread| {
        std::fs::read_to_string(thread.path().join("stat")).is_ok_and(|stat| {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X")
        })
    })
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

/// Kills every descendant of the edge, in rounds until none is left or a second has passed,
/// and reaps the re-parented orphans (not `service`, the direct child, which tokio waits for).
/// It blocks for that second at most: it runs only on the edge's way out, when nothing else is
/// served.
pub(super) fn kill_all(service: libc::pid_t) {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let processes = processes();
        let alive: Vec<libc::pid_t> = below(edge(), &processes)
            .into_iter()
            .filter(|pid| processes.get(pid).is_some_and(|p| !p.zombie))
            .collect();
        for pid in &alive {
            // SAFETY: `kill` has no memory-safety preconditions. Each pid was read as a
            // descendant of the edge a moment ago; a pid is only reused once its zombie is
            // reaped, and those below the edge are reaped by the edge or their own parents.
            unsafe { libc::kill(*pid, libc::SIGKILL) };
        }
        reap(service);
        if alive.is_empty() || Instant::now() > deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
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

/// The addresses beyond loopback where any descendant of the edge listens (TCP), or `None`
/// where that cannot be read (not Linux).
pub(super) fn exposed_listeners() -> Option<Vec<SocketAddr>> {
    let tables = ["/proc/net/tcp", "/proc/net/tcp6"].map(std::fs::read_to_string);
    if tables.iter().all(Result::is_err) {
        return None;
    }
    let processes = processes();
    let sockets: HashSet<String> = below(edge(), &processes)
        .into_iter()
        .flat_map(|pid| {
            std::fs::read_dir(format!("/proc/{pid}/fd"))
                .into_iter()
                .flatten()
        })
        .filter_map(|fd| {
            let link = std::fs::read_link(fd.ok()?.path()).ok()?;
            let inode = link.to_str()?.strip_prefix("socket:[")?.strip_suffix(']')?;
            Some(inode.to_owned())
        })
        .collect();
    let mut exposed: Vec<SocketAddr> = tables
        .iter()
        .flatten()
        .flat_map(|table| super::process::listening_sockets(table))
        .filter(|(address, inode)| {
            sockets.contains(inode) && !super::process::is_loopback(address.ip())
        })
        .map(|(address, _)| address)
        .collect();
    exposed.sort();
    exposed.dedup();
    Some(exposed)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_running_process_has_a_live_thread_and_an_exited_one_has_none() {
        let this = libc::pid_t::try_from(std::process::id()).unwrap();
        assert!(has_a_live_thread(this));

        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        // Not reaped yet: a zombie, whose only thread has exited.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !processes().get(&pid).is_some_and(|p| p.zombie) {
            assert!(Instant::now() < deadline, "`true` did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!has_a_live_thread(pid));
        child.wait().unwrap();
        assert!(!has_a_live_thread(pid), "a reaped process has no threads");
    }
}
