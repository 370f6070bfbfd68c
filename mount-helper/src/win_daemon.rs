//! The Windows side of [`crate::daemon`] and [`crate::mountpoint`]: the same calls, served
//! by WinFsp through `common::backend::winfsp` (which type-checks with `common` alone).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::vfs::Vfs;

use crate::daemon::MountRequest;

/// Mounts through WinFsp: in the foreground, or from a detached process once it reports the
/// mount live.
#[cfg(feature = "winfsp")]
pub fn run_mount<V, F>(req: &MountRequest, open: F) -> Result<(), String>
where
    V: Vfs,
    F: FnOnce() -> Result<Arc<V>, String>,
{
    let spec = common::backend::winfsp::MountSpec {
        mountpoint: req.mountpoint.clone(),
        foreground: req.foreground,
        subtype: req.fuse.subtype.clone(),
        image: req.fuse.fsname.clone(),
        threads: req.fuse.threads,
    };
    common::backend::winfsp::run_mount(&spec, open)
}

/// Without WinFsp support there is nothing to mount with.
#[cfg(not(feature = "winfsp"))]
pub fn run_mount<V, F>(_req: &MountRequest, _open: F) -> Result<(), String>
where
    V: Vfs,
    F: FnOnce() -> Result<Arc<V>, String>,
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
