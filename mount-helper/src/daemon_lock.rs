//! The life lock of a mount's daemon, so that `unmount` returns only once the daemon that
//! served the mount is done with it, and a new mount at the same directory right after is
//! safe from the old daemon's teardown.
//!
//! The daemon holds an exclusive flock(2) on `<runtime dir>/<hash of mount point>.lock` (see
//! `path_hash.rs`) from before it mounts until its session has ended (unmounted, the
//! filesystem told, its WIM lock released: [`DaemonLock::release`]), or, should it fail
//! before that, until it exits: the lock goes with its last descriptor, which the kernel
//! closes at process exit, so there is no stale pid to confuse. What the daemon does after
//! releasing it is closing files, freeing memory and exiting, none of which touches the
//! mount point. Each daemon locks a file of its own (made under a temporary name, then
//! renamed over the lock's name), so a new daemon never waits for an old one, and a name
//! always leads to the newest daemon at that mount point. Unmounting opens the name *before*
//! the mount goes away (so it holds the serving daemon's file, whatever is mounted there
//! later) and, once the mount is gone, waits for a shared lock on it.

use std::fs::File;
use std::os::fd::{AsRawFd, IntoRawFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::path_hash::{create_runtime_dir, runtime_path};

/// How long `unmount` waits for the daemon to exit before warning and returning.
pub const DAEMON_EXIT_TIMEOUT: Duration = Duration::from_secs(30);

/// The daemon's side: its lock, held until the process exits.
#[derive(Debug)]
pub struct DaemonLock {
    file: Option<File>,
    path: PathBuf,
}

impl DaemonLock {
    /// Takes the life lock for a mount at `mountpoint` (canonical path).
    pub fn hold(mountpoint: &Path) -> Result<Self, String> {
        create_runtime_dir()?;
        let path = runtime_path(mountpoint, "lock");
        let own = path.with_extension(format!("lock.{}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(&own)
            .map_err(|e| format!("{}: {e}", own.display()))?;
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = std::io::Error::last_os_error();
            let _ = std::fs::remove_file(&own);
            return Err(format!("locking {}: {e}", own.display()));
        }
        std::fs::rename(&own, &path).map_err(|e| {
            let _ = std::fs::remove_file(&own);
            format!("{} -> {}: {e}", own.display(), path.display())
        })?;
        Ok(Self {
            file: Some(file),
            path,
        })
    }
}

impl DaemonLock {
    /// The daemon's mount is gone and nothing it still does can disturb a new mount at the
    /// same directory (what is left is closing files and freeing memory, which for a large
    /// staging directory includes the filesystem freeing its blocks): removes the lock's
    /// name and releases the lock now, so that `unmount` returns without waiting for that.
    pub fn release(mut self) {
        if let Some(file) = self.take_file() {
            // SAFETY: flock on a descriptor we own; closed right after.
            unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
        }
    }

    /// The lock's file, its name removed if it is still this daemon's.
    fn take_file(&mut self) -> Option<File> {
        let file = self.file.take()?;
        let ours = match (file.metadata(), std::fs::symlink_metadata(&self.path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        };
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
        Some(file)
    }
}

impl Drop for DaemonLock {
    /// The daemon is done with the mount without [`DaemonLock::release`] (it failed):
    /// removes the lock's name if it is still this daemon's, and keeps the lock itself (its
    /// descriptor) until the process exits.
    fn drop(&mut self) {
        if let Some(file) = self.take_file() {
            // Deliberately left open: the kernel closes it, and so drops the lock, at exit.
            let _ = file.into_raw_fd();
        }
    }
}

/// The unmounting side: the lock file of the daemon serving a mount, opened before unmounting.
#[derive(Debug)]
pub struct ServingDaemon(Option<File>);

impl ServingDaemon {
    /// The daemon serving the mount at `mountpoint` (canonical path), if it holds a life lock
    /// this user can see (an older daemon, or one of another user, has none: not waited for).
    pub fn of(mountpoint: &Path) -> Self {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(runtime_path(mountpoint, "lock"))
            .ok();
        Self(file)
    }

    /// Waits until the daemon is done with the mount (it released its lock or exited), up to
    /// `timeout`; then warns (on stderr) and returns.
    /// The wait is a blocking shared flock(2) on a helper thread, so `unmount` returns as soon
    /// as the daemon's lock goes, not at the next tick of a poll; a daemon that outlives the
    /// timeout leaves that thread blocked until this short-lived process exits.
    pub fn wait_until_done(self, mountpoint: &Path, timeout: Duration) {
        let Some(file) = self.0 else { return };
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("daemon-exit".into())
            .spawn(move || {
                let _ = tx.send(lock_shared(&file));
            });
        if spawned.is_err() {
            return; // no thread: do not wait rather than fail the unmount
        }
        match rx.recv_timeout(timeout) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!(
                "warning: cannot tell whether the daemon of {} has exited: {e}",
                mountpoint.display()
            ),
            Err(_) => eprintln!(
                "warning: {} is unmounted, but its daemon is still running after {} s; \
                 a new mount there may be disturbed until it exits",
                mountpoint.display(),
                timeout.as_secs()
            ),
        }
    }
}

/// A blocking shared flock(2) of `file`: returns once no process holds it exclusively.
fn lock_shared(file: &File) -> std::io::Result<()> {
    loop {
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH) } == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_held_lock_is_waited_for_and_a_released_one_is_not() {
        let dir = std::env::temp_dir().join(format!("daemon-lock-test-{}", std::process::id()));
        let held = DaemonLock::hold(&dir).expect("lock");
        let serving = ServingDaemon::of(&dir);
        assert!(serving.0.is_some(), "the lock file is there");
        let start = Instant::now();
        serving.wait_until_done(&dir, Duration::from_millis(200));
        assert!(start.elapsed() >= Duration::from_millis(200), "waited");
        // Same process: the lock is ours, so only a separate open file description can test
        // it; once the name is gone there is nothing to wait for.
        drop(held);
        assert!(ServingDaemon::of(&dir).0.is_none(), "the name is removed");
    }

    #[test]
    fn the_wait_ends_when_the_lock_goes() {
        let path = std::env::temp_dir().join(format!("daemon-lock-go-{}", std::process::id()));
        let holder = File::create(&path).expect("create");
        // SAFETY: flock on a descriptor we own.
        assert_eq!(unsafe { libc::flock(holder.as_raw_fd(), libc::LOCK_EX) }, 0);
        let waiter = ServingDaemon(Some(File::open(&path).expect("open")));
        let released = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(holder);
        });
        let start = Instant::now();
        waiter.wait_until_done(&path, Duration::from_secs(20));
        let waited = start.elapsed();
        released.join().expect("join");
        let _ = std::fs::remove_file(&path);
        assert!(waited >= Duration::from_millis(100), "returned while held");
        assert!(
            waited < Duration::from_secs(20),
            "timed out after the release"
        );
    }
}
