//! Keeping the edge's secrets from the service it runs (Linux).
//!
//! The service runs as the developer's own user, so whatever that user may read of the edge
//! process, it may read too: `/proc/<edge>/environ` (where `SCW_JWT_IAM_KEYS` would be),
//! `/proc/<edge>/cmdline` (where `--iam-key` would be, for every user of the machine) and
//! `/proc/<edge>/mem` (the keys, and the private key, in the heap). So:
//!
//! - An edge given IAM keys in its environment or on its command line starts itself again
//!   (`execve` of `/proc/self/exe`, the same pid) without them, and hands them over through an
//!   inherited pipe, named by [`KEYS_FD_VARIABLE`]. The kernel shows a process's environment
//!   and arguments as they were at its last `execve`, so after that they hold no key.
//! - The edge marks itself not dumpable (`PR_SET_DUMPABLE` 0): its `/proc` files then belong
//!   to root, and no process of the developer's user can read its environment, its memory or
//!   its descriptors, nor attach a debugger to it.
//!
//! What this cannot do: root reads any process's memory. The key files the edge is given are
//! the user's own files, which the service, running as that user, can read as well.

use std::ffi::OsString;
use std::io::Read as _;
use std::os::fd::{FromRawFd as _, OwnedFd};

use crate::Failure;

/// The variable that gives `edge` IAM secret keys, comma-separated: unlike a flag, it is not
/// shown to other users in `ps`; the edge removes it from its own environment at start.
pub(super) const KEYS_VARIABLE: &str = "SCW_JWT_IAM_KEYS";

/// Set only by the edge for itself when it starts again: the descriptor its IAM keys come
/// through, one a line.
pub(super) const KEYS_FD_VARIABLE: &str = "SCW_JWT_IAM_KEYS_FD";

/// The IAM keys handed over by the edge that started this one, if it did; they are read once
/// and the pipe closed.
pub(super) fn handed_over() -> Result<Option<Vec<String>>, Failure> {
    let Some(fd) = std::env::var_os(KEYS_FD_VARIABLE) else {
        return Ok(None);
    };
    let fd: std::os::fd::RawFd = fd
        .to_str()
        .and_then(|fd| fd.parse().ok())
        .filter(|fd| *fd > 2)
        .ok_or_else(|| Failure::Usage(format!("{KEYS_FD_VARIABLE} is set by the edge only")))?;
    // SAFETY: the edge that started this one left exactly this descriptor open for it, the
    // read end of a pipe, and nothing else in this process owns it.
    let mut pipe = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let mut text = String::new();
    pipe.read_to_string(&mut text)
        .map_err(|e| Failure::Runtime(format!("cannot read the IAM keys handed over: {e}")))?;
    Ok(Some(text.lines().map(str::to_owned).collect()))
}

/// The arguments of this process without `--iam-key` and its value, up to the service's
/// command (after `--`), which is the service's own and stays as given. `None` when there is
/// no such argument.
fn arguments_without_keys(arguments: &[OsString]) -> Option<Vec<OsString>> {
    let mut kept = Vec::with_capacity(arguments.len());
    let mut removed = false;
    let mut words = arguments.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            kept.push(word.clone());
            kept.extend(words.cloned());
            break;
        }
        if word == "--iam-key" {
            words.next();
            removed = true;
        } else if word.as_encoded_bytes().starts_with(b"--iam-key=") {
            removed = true;
        } else {
            kept.push(word.clone());
        }
    }
    removed.then_some(kept)
}

/// Starts the edge again without the IAM keys in its environment or its arguments, handing
/// `keys` (the ones found there) over through a pipe; returns only if there is nothing to
/// hide. On success it never returns: the process goes on as the new edge.
#[cfg(target_os = "linux")]
pub(super) fn start_again_without(keys: &[String]) -> Result<(), Failure> {
    use std::io::Write as _;
    use std::os::unix::process::CommandExt as _;

    let arguments: Vec<OsString> = std::env::args_os().collect();
    let Some((program, rest)) = arguments.split_first() else {
        return Ok(());
    };
    let stripped = arguments_without_keys(rest);
    if stripped.is_none() && std::env::var_os(KEYS_VARIABLE).is_none() {
        return Ok(());
    }
    let failed = |e: std::io::Error| Failure::Runtime(format!("cannot hide the IAM keys: {e}"));
    let mut ends = [0; 2];
    // SAFETY: `pipe` writes two descriptors into the array it is given. Without O_CLOEXEC,
    // the read end stays open across the `execve` below, for the new edge to read.
    if unsafe { libc::pipe(ends.as_mut_ptr()) } != 0 {
        return Err(failed(std::io::Error::last_os_error()));
    }
    // SAFETY: both descriptors were just created, and are owned here alone.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
    // A pipe holds 64 KiB before a writer blocks: far more than any list of IAM keys.
    let mut writer = std::fs::File::from(write);
    writer
        .write_all(keys.join("\n").as_bytes())
        .map_err(failed)?;
    drop(writer);
    let read_fd = std::os::fd::AsRawFd::as_raw_fd(&read);
    let error = std::process::Command::new("/proc/self/exe")
        .arg0(program)
        .args(stripped.unwrap_or_else(|| rest.to_vec()))
        .env_remove(KEYS_VARIABLE)
        .env(KEYS_FD_VARIABLE, read_fd.to_string())
        .exec();
    Err(failed(error))
}

#[cfg(not(target_os = "linux"))]
pub(super) fn start_again_without(_: &[String]) -> Result<(), Failure> {
    Ok(())
}

/// Makes the edge's `/proc` files root's, so the service cannot read its memory or its
/// environment; a process of the same user could otherwise.
#[cfg(target_os = "linux")]
pub(super) fn not_dumpable() -> Result<(), Failure> {
    // SAFETY: `prctl` with these arguments only sets a flag of this process.
    if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } != 0 {
        return Err(Failure::Runtime(format!(
            "cannot protect the edge's memory: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub(super) fn not_dumpable() -> Result<(), Failure> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<OsString> {
        line.split(' ').map(OsString::from).collect()
    }

    #[test]
    fn the_keys_leave_the_edge_s_arguments_but_never_the_service_s() {
        assert_eq!(
            arguments_without_keys(&words(
                "edge --iam-key K --port 0 --iam-key=L -- svc --iam-key M"
            )),
            Some(words("edge --port 0 -- svc --iam-key M"))
        );
        assert_eq!(
            arguments_without_keys(&words("edge --port 0 -- svc --iam-key M")),
            None
        );
        assert_eq!(arguments_without_keys(&words("edge --key k.pem")), None);
    }
}
