//! Mount-point checks (exists, is a directory, is not already a mount) and unmounting, which
//! returns once the mount's daemon is done with it (`daemon_lock.rs`).

#[cfg(unix)]
use std::os::unix::ffi::OsStrExt;
#[cfg(unix)]
use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::process::Command;

#[cfg(unix)]
use crate::daemon_lock::{ServingDaemon, DAEMON_EXIT_TIMEOUT};

/// On Windows: a free drive letter or a directory that does not exist yet; unmounting asks
/// the serving process through a named event.
#[cfg(windows)]
pub use crate::win_daemon::{check_mountpoint, is_mountpoint, resolve_mounted, unmount};

#[cfg(unix)]
/// The canonical path of a live mount (as [`check_mountpoint`] returned it at mount time).
pub fn resolve_mounted(dir: &Path) -> Result<PathBuf, String> {
    dir.canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))
}

#[cfg(unix)]
/// Canonicalizes `dir` and refuses anything that cannot be mounted on.
pub fn check_mountpoint(dir: &Path) -> Result<PathBuf, String> {
    let meta = std::fs::metadata(dir).map_err(|e| format!("mount point {}: {e}", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!("mount point {} is not a directory", dir.display()));
    }
    let canon = dir
        .canonicalize()
        .map_err(|e| format!("mount point {}: {e}", dir.display()))?;
    if is_mountpoint(&canon) {
        return Err(format!(
            "mount point {} is busy: something is already mounted there",
            canon.display()
        ));
    }
    Ok(canon)
}

#[cfg(unix)]
/// Unescapes the octal escapes (`\040` for space, ...) of `/proc/self/mountinfo` fields.
fn unescape_mountinfo(field: &str) -> Vec<u8> {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() {
            let oct = &field[i + 1..i + 4];
            if let Ok(v) = u8::from_str_radix(oct, 8) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(unix)]
/// The filesystem type mounted exactly at `dir` (e.g. `fuse.wimfs`), if any.
pub fn mounted_fstype(dir: &Path) -> Option<String> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let want = dir.as_os_str().as_bytes();
    let mut found = None;
    for line in info.lines() {
        // id parent major:minor root mountpoint options... - fstype source superoptions
        let mut fields = line.split(' ');
        let Some(mp) = fields.nth(4) else { continue };
        if unescape_mountinfo(mp) != want {
            continue;
        }
        let rest = line.split(" - ").nth(1)?;
        found = rest.split(' ').next().map(str::to_owned);
    }
    found
}

#[cfg(unix)]
/// True if something is mounted exactly at `dir`.
pub fn is_mountpoint(dir: &Path) -> bool {
    mounted_fstype(dir).is_some()
}

#[cfg(unix)]
/// Unmounts a FUSE mount at `dir` made by one of our tools (`fuse.<subtype>`), and (unless
/// `lazy`) waits up to [`DAEMON_EXIT_TIMEOUT`] for the daemon that served it to be done with
/// it, so the directory can be mounted on again at once.
pub fn unmount(dir: &Path, subtype: &str, lazy: bool) -> Result<(), String> {
    let canon = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let want = format!("fuse.{subtype}");
    match mounted_fstype(&canon) {
        None => return Err(format!("{} is not mounted", canon.display())),
        // A direct mount(2) by root reports plain "fuse"; fusermount3 reports "fuse.<subtype>".
        Some(t) if t != want && t != "fuse" => {
            return Err(format!(
                "{} holds a {t} mount, not a {subtype} mount",
                canon.display()
            ))
        }
        Some(_) => {}
    }
    // Opened while the mount is still there, so it is the daemon of this mount that is waited
    // for, not of one made at the same directory later. A lazy unmount leaves the daemon
    // serving the files still open: not waited for.
    let daemon = ServingDaemon::of(&canon);
    detach(&canon, lazy)?;
    if !lazy {
        daemon.wait_until_done(&canon, DAEMON_EXIT_TIMEOUT);
    }
    Ok(())
}

#[cfg(unix)]
/// Ends the mount at `canon`: `fusermount3 -u`, else (root) umount2.
fn detach(canon: &Path, lazy: bool) -> Result<(), String> {
    let mut args = vec!["-u"];
    if lazy {
        args.push("-z");
    }
    let status = Command::new("fusermount3").args(&args).arg(canon).status();
    if matches!(status, Ok(s) if s.success()) {
        return Ok(());
    }
    // Root without fusermount3, or fusermount3 refused: try umount2 directly, giving a busy
    // mount point (a file closed just before) about a second.
    common::backend::fuse::umount2_while_busy(canon, lazy, 10)
        .map_err(|err| format!("unmounting {}: {err}", canon.display()))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes_are_decoded() {
        assert_eq!(unescape_mountinfo("/mnt/a\\040b"), b"/mnt/a b");
        assert_eq!(unescape_mountinfo("/plain"), b"/plain");
        assert_eq!(unescape_mountinfo("/end\\"), b"/end\\");
    }

    #[test]
    fn root_is_a_mountpoint_and_a_file_is_not_a_mountpoint_dir() {
        assert!(is_mountpoint(Path::new("/")));
        assert!(check_mountpoint(Path::new("/etc/hostname")).is_err());
    }
}
