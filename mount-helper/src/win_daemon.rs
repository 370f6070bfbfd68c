//! The Windows side of [`crate::daemon`] and [`crate::mountpoint`]: the same calls, served
//! by WinFsp through `common::backend::winfsp` (which type-checks with `common` alone).
//!
//! Instead of forking, a mount without `--foreground` starts this program again as a detached
//! process (with `--foreground` added) and waits for it to report the mount live.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::vfs::Vfs;

use crate::mount_request::MountRequest;

/// Ends the mount from inside the serving process (sets its unmount event).
#[cfg(feature = "winfsp")]
pub use common::backend::winfsp::WinFspUnmounter as Unmounter;

/// Without WinFsp support nothing is mounted, so there is nothing to unmount.
#[cfg(not(feature = "winfsp"))]
#[derive(Debug, Clone)]
pub struct Unmounter;

#[cfg(not(feature = "winfsp"))]
impl Unmounter {
    /// Always fails: this build cannot mount.
    pub fn unmount(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "this build has no WinFsp support (feature `winfsp`)",
        ))
    }
}

/// Mounts through WinFsp: in the foreground, or from a detached process once it reports the
/// mount live.
pub fn run_mount<V, F>(req: &MountRequest, open: F) -> Result<(), String>
where
    V: Vfs,
    F: FnOnce() -> Result<Arc<V>, String>,
{
    run_mount_with(req, open, |_: Arc<V>, _: Unmounter| Ok(()))
}

/// Like [`run_mount`], and runs `after_mount` in the serving process once the mount is live
/// (e.g. to start the control channel of a read-write mount). Without `--foreground`, this
/// process drops `open` and `after_mount` unused (releasing what they hold, such as the WIM's
/// read-write lock) and starts the serving process, which runs the same command again.
#[cfg(feature = "winfsp")]
pub fn run_mount_with<V, F, H>(req: &MountRequest, open: F, after_mount: H) -> Result<(), String>
where
    V: Vfs,
    F: FnOnce() -> Result<Arc<V>, String>,
    H: FnOnce(Arc<V>, Unmounter) -> Result<(), String>,
{
    let spec = common::backend::winfsp::MountSpec {
        mountpoint: req.mountpoint.clone(),
        foreground: req.foreground,
        subtype: req.fuse.subtype.clone(),
        image: req.fuse.fsname.clone(),
        threads: req.fuse.threads,
    };
    common::backend::winfsp::run_mount_with(&spec, open, after_mount)
}

/// Without WinFsp support there is nothing to mount with.
#[cfg(not(feature = "winfsp"))]
pub fn run_mount_with<V, F, H>(_req: &MountRequest, _open: F, _after_mount: H) -> Result<(), String>
where
    V: Vfs,
    F: FnOnce() -> Result<Arc<V>, String>,
    H: FnOnce(Arc<V>, Unmounter) -> Result<(), String>,
{
    Err("this build has no WinFsp support (feature `winfsp`)".into())
}

/// A free drive letter (`X:`) or a directory that does not exist yet.
#[cfg(feature = "winfsp")]
pub fn check_mountpoint(dir: &Path) -> Result<PathBuf, String> {
    common::backend::winfsp::check_mountpoint(dir)
}

/// Without WinFsp support there is nothing to mount with.
#[cfg(not(feature = "winfsp"))]
pub fn check_mountpoint(_dir: &Path) -> Result<PathBuf, String> {
    Err("this build has no WinFsp support (feature `winfsp`)".into())
}

/// The path of a live mount as the mount itself names it (`X:`, or an absolute directory):
/// what [`check_mountpoint`] returned when it was mounted.
#[cfg(feature = "winfsp")]
pub fn resolve_mounted(dir: &Path) -> Result<PathBuf, String> {
    common::backend::winfsp::mount_path(dir)
}

/// Without WinFsp support: the absolute path.
#[cfg(not(feature = "winfsp"))]
pub fn resolve_mounted(dir: &Path) -> Result<PathBuf, String> {
    std::path::absolute(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// True while a mount is live at `dir` (a path from [`resolve_mounted`]).
#[cfg(feature = "winfsp")]
pub fn is_mountpoint(dir: &Path) -> bool {
    common::backend::winfsp::is_mounted(dir)
}

/// Without WinFsp support nothing is mounted.
#[cfg(not(feature = "winfsp"))]
pub fn is_mountpoint(_dir: &Path) -> bool {
    false
}

/// Asks the process serving `dir` to unmount (`lazy` has no meaning on Windows).
#[cfg(feature = "winfsp")]
pub fn unmount(dir: &Path, subtype: &str, _lazy: bool) -> Result<(), String> {
    common::backend::winfsp::unmount(dir, subtype)
}

/// Without WinFsp support there is nothing mounted.
#[cfg(not(feature = "winfsp"))]
pub fn unmount(dir: &Path, _subtype: &str, _lazy: bool) -> Result<(), String> {
    Err(format!(
        "{}: this build has no WinFsp support",
        dir.display()
    ))
}
