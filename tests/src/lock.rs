//! An exclusive flock(2) on a file, so that test processes running in parallel build a shared
//! fixture once.

use std::fs::{self, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::Path;

/// An exclusive flock(2) on a file, released on drop.
#[derive(Debug)]
pub struct FileLock(fs::File);

impl FileLock {
    /// Blocks until `path` (created if needed) is locked by us.
    pub fn acquire(path: &Path) -> FileLock {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .unwrap_or_else(|e| panic!("open the lock file {}: {e}", path.display()));
        // SAFETY: flock on an fd we own; blocks until the lock is ours.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        assert_eq!(
            rc,
            0,
            "flock {}: {}",
            path.display(),
            std::io::Error::last_os_error()
        );
        FileLock(file)
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // SAFETY: unlocking the fd we locked.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}
