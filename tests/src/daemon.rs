//! The processes behind a mount: finding the daemon serving a mount point, waiting for a killed
//! daemon to be gone and for the read-write lock of a WIM to be free.

use std::fs;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::thread;
use std::time::Duration;

/// Processes (other than this one) that have `arg` as one of their command-line arguments.
/// Used to find the FUSE daemon serving a mount point, which is unique per test.
pub fn pids_with_arg(arg: &Path) -> Vec<libc::pid_t> {
    let want = arg.as_os_str().as_encoded_bytes();
    let me = std::process::id() as libc::pid_t;
    let mut pids = Vec::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return pids;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if cmdline.split(|&b| b == 0).any(|a| a == want) {
            pids.push(pid);
        }
    }
    pids
}

/// Sends SIGKILL to each pid.
pub fn kill_pids(pids: &[libc::pid_t]) {
    for &pid in pids {
        // SAFETY: plain kill(2) of a process id we found serving our own mount point.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// Waits (up to 10 s) until process `pid` has fully exited: every thread gone or a zombie, so
/// its files are closed and its locks released. (The group leader turns zombie before its
/// other threads finish exiting, so the leader's state alone is not enough.)
pub fn wait_dead(pid: u32) {
    let dead = |stat: &str| {
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().next());
        matches!(state, Some("Z") | Some("X"))
    };
    for _ in 0..1000 {
        let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
            return;
        };
        let all_dead = tasks
            .flatten()
            .all(|t| fs::read_to_string(t.path().join("stat")).map_or(true, |s| dead(&s)));
        if all_dead {
            return;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Waits (up to 10 s) until no process holds the flock(2) of `path` (a WIM's read-write lock).
pub fn wait_unlocked(path: &Path) {
    for _ in 0..1000 {
        let Ok(f) = fs::File::open(path) else {
            return;
        };
        // SAFETY: flock on a descriptor we own; released when `f` closes.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return;
        }
        thread::sleep(Duration::from_millis(10));
    }
}
