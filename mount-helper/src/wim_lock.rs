//! The lock that keeps two read-write mounts (or a mount and an offline commit) off one WIM,
//! and its release by the daemon once its mount is gone.

use std::fs::{File, TryLockError};
use std::path::Path;
use std::sync::Mutex;

#[cfg(not(unix))]
use crate::staging_state::user_state_dir;

/// The exclusive read-write lock of a WIM; released when dropped (unless a forked daemon
/// shares it), or when the process exits.
#[derive(Debug)]
pub struct WimLock {
    /// Held for its lock; closed (and on Windows unlocked) on drop.
    file: File,
}

impl Drop for WimLock {
    fn drop(&mut self) {
        // Unix: only the closing file descriptor goes. The lock belongs to the open file
        // description, which a forked daemon shares with the process that forked it: an
        // explicit unlock there would release the daemon's lock too.
        // Windows: unlock explicitly (closing may release it late, Windows warns), so the
        // detached serving process can take it over at once.
        #[cfg(windows)]
        let _ = self.file.unlock();
    }
}

/// Takes the exclusive read-write lock of a WIM (kept for as long as the daemon lives).
/// Read-only mounts do not take it.
///
/// On Unix it is a `flock` of the WIM itself (std's `File::try_lock`), which holds across
/// users and across paths to the same file. Windows' file locks are mandatory byte-range
/// locks, and a locked WIM could not be read through the mount's own handles; there the lock
/// is taken on `%LOCALAPPDATA%\wimfs\locks\<hash of the WIM's canonical path>.lock`, which
/// keeps one user's read-write mounts and commits of a WIM apart, not different users'.
pub fn lock_wim(wim: &Path) -> Result<WimLock, String> {
    let f = lock_file_of(wim)?;
    match f.try_lock() {
        Ok(()) => Ok(WimLock { file: f }),
        Err(TryLockError::WouldBlock) => Err(format!(
            "{} is already mounted read-write (or being committed) by another wimfs; a read-only mount still works",
            wim.display()
        )),
        Err(TryLockError::Error(e)) => Err(format!("locking {}: {e}", wim.display())),
    }
}

/// The file whose lock stands for the WIM's.
#[cfg(unix)]
fn lock_file_of(wim: &Path) -> Result<File, String> {
    File::open(wim).map_err(|e| format!("{}: {e}", wim.display()))
}

/// The file whose lock stands for the WIM's.
#[cfg(not(unix))]
fn lock_file_of(wim: &Path) -> Result<File, String> {
    let canon = wim
        .canonicalize()
        .map_err(|e| format!("{}: {e}", wim.display()))?;
    let dir = user_state_dir()?.join("locks");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let hash = crate::path_hash::fnv(canon.as_os_str().as_encoded_bytes());
    let path = dir.join(format!("{hash:016x}.lock"));
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The lock a daemon holds for its mount, from [`WimLock::keep_until_unmounted`] until
/// [`release_kept`].
static KEPT: Mutex<Option<WimLock>> = Mutex::new(None);

impl WimLock {
    /// Keeps the lock for as long as this process serves its mount: until [`release_kept`]
    /// (the daemon calls it once its mount is gone) or the process exits.
    pub fn keep_until_unmounted(self) {
        *KEPT.lock().unwrap_or_else(|e| e.into_inner()) = Some(self);
    }
}

/// Releases the lock kept by [`WimLock::keep_until_unmounted`], if any: the mount is gone and
/// the process that forked this daemon has exited, so the lock is unlocked explicitly (every
/// descriptor of it is this process's) and a new read-write mount or commit of the WIM can
/// start while this process is still closing its files.
pub fn release_kept() {
    let kept = KEPT.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(lock) = kept {
        let _ = lock.file.unlock();
    }
}
