//! Unmounting our own FUSE mount, and only while it is still ours.
//!
//! fuser 0.18 unmounts by path when its `Mount` is dropped (at the end of `Session::run`),
//! guarded by a check of the `/dev/fuse` connection that is inverted in that release: a
//! connection the kernel has already aborted counts as mounted. So a daemon whose mount was
//! taken away by `umount`/`fusermount3 -u` called `umount2(path)` on its way out, and took
//! down whatever had been mounted at the same directory meanwhile. [`MountedConnection`] is
//! the replacement: it unmounts the path only while our connection is alive (a mount whose
//! superblock is gone has its connection aborted: `poll` reports `POLLERR`, see
//! `fuse_dev_poll` in the kernel's fs/fuse/dev.c), and at most once.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// A mount we made: its `/dev/fuse` connection (our own descriptor of it) and its mount point.
#[derive(Debug)]
pub(super) struct MountedConnection {
    device: OwnedFd,
    mountpoint: PathBuf,
    /// Set once we unmounted (or found the connection gone): never unmount again.
    finished: Mutex<bool>,
}

impl MountedConnection {
    /// `device`: a descriptor of the session's `/dev/fuse` connection; `mountpoint`: where
    /// it is mounted (canonical, as fuser mounted it).
    pub(super) fn new(device: OwnedFd, mountpoint: PathBuf) -> Self {
        Self {
            device,
            mountpoint,
            finished: Mutex::new(false),
        }
    }

    /// The mount point.
    pub(super) fn mountpoint(&self) -> &Path {
        &self.mountpoint
    }

    /// False once the kernel has aborted the connection (the mount is gone).
    pub(super) fn alive(&self) -> bool {
        let mut pfd = libc::pollfd {
            fd: self.device.as_raw_fd(),
            events: 0,
            revents: 0,
        };
        loop {
            // SAFETY: one valid pollfd for a descriptor we own, zero timeout.
            let rc = unsafe { libc::poll(&mut pfd, 1, 0) };
            if rc >= 0 {
                return pfd.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) == 0;
            }
            if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                return false;
            }
        }
    }

    /// Unmounts the mount point if our connection is still alive; does nothing once the
    /// mount is gone (whatever is mounted there now is not ours).
    pub(super) fn unmount(&self) -> io::Result<()> {
        let mut finished = self.finished.lock().unwrap_or_else(|e| e.into_inner());
        if *finished || !self.alive() {
            *finished = true;
            return Ok(());
        }
        unmount_path(&self.mountpoint)?;
        *finished = true;
        Ok(())
    }
}

/// How many times the daemon tries a busy mount point, 100 ms apart.
const BUSY_TRIES: u32 = 30;

/// `umount2(path)` (`MNT_DETACH` if `lazy`), tried up to `tries` times 100 ms apart while the
/// mount is busy: a file closed just before is released by the kernel asynchronously and may
/// hold the mount for a moment. The error of the last try otherwise.
pub fn umount2_while_busy(path: &Path, lazy: bool, tries: u32) -> io::Result<()> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "mount point contains NUL"))?;
    let flags = if lazy { libc::MNT_DETACH } else { 0 };
    let mut tried = 0;
    loop {
        // SAFETY: `c` is a valid NUL-terminated path that lives across the call.
        if unsafe { libc::umount2(c.as_ptr(), flags) } == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        tried += 1;
        if err.raw_os_error() != Some(libc::EBUSY) || tried >= tries {
            return Err(err);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// `umount2(path)`; without the privilege for it, `fusermount3 -u -z` (as fuser does).
fn unmount_path(path: &Path) -> io::Result<()> {
    let Err(err) = umount2_while_busy(path, false, BUSY_TRIES) else {
        return Ok(());
    };
    if err.raw_os_error() != Some(libc::EPERM) {
        return Err(err);
    }
    let status = Command::new("fusermount3")
        .args(["-u", "-q", "-z", "--"])
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "fusermount3 -u {} failed ({status})",
            path.display()
        )))
    }
}
