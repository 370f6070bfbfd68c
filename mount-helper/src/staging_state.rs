//! Staged changes on disk: where staging directories live, which are still in use by a live
//! mount and which were left behind (daemon killed, reboot), and the lock that keeps two
//! read-write mounts off one WIM.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use wimfs::fs::StagingInfo;

/// `$XDG_CACHE_HOME/wimfs/staging` (or `~/.cache/wimfs/staging`).
pub fn staging_root() -> Result<PathBuf, String> {
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => match std::env::var_os("HOME") {
            Some(h) if !h.is_empty() => PathBuf::from(h).join(".cache"),
            _ => return Err("set --staging-dir (no HOME or XDG_CACHE_HOME)".into()),
        },
    };
    Ok(base.join("wimfs").join("staging"))
}

/// A fresh staging directory for image `index` of `wim`.
pub fn new_staging_dir(wim: &Path, index: u32) -> Result<PathBuf, String> {
    let name = wim
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "wim".into());
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(staging_root()?.join(format!("{name}-{index}-{stamp}-{}", std::process::id())))
}

/// Makes a staging directory outside the root discoverable (a symlink in the root).
pub fn register(dir: &Path) -> Result<(), String> {
    let root = staging_root()?;
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    if dir.starts_with(&root) {
        return Ok(());
    }
    std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    use std::os::unix::ffi::OsStrExt;
    let hash = crate::control::fnv(dir.as_os_str().as_bytes());
    let link = root.join(format!("{hash:016x}.link"));
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&dir, &link).map_err(|e| format!("{}: {e}", link.display()))
}

/// One staging directory and what is known about it.
#[derive(Debug, Clone)]
pub struct Staged {
    /// The directory.
    pub dir: PathBuf,
    /// Its info file.
    pub info: StagingInfo,
    /// A live daemon is using it.
    pub live: bool,
    /// Bytes of staged data.
    pub bytes: u64,
}

/// Every staging directory under the root (and registered elsewhere).
pub fn list() -> Vec<Staged> {
    let Ok(root) = staging_root() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let dir = std::fs::canonicalize(e.path()).unwrap_or_else(|_| e.path());
        let Some(info) = StagingInfo::read(&dir) else {
            continue;
        };
        let bytes = std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .filter_map(|f| f.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0);
        let live = wimfs::fs::in_use(&dir);
        out.push(Staged {
            dir,
            info,
            live,
            bytes,
        });
    }
    out.sort_by_key(|s| s.info.created);
    out
}

/// Staging directories left behind for image `image` (None = any) of the WIM at `wim`.
pub fn leftovers(wim: &Path, image: Option<u32>) -> Vec<Staged> {
    let canon = wim
        .canonicalize()
        .unwrap_or_else(|_| wim.to_path_buf())
        .display()
        .to_string();
    list()
        .into_iter()
        .filter(|s| !s.live && s.info.wim == canon && image.is_none_or(|i| i == s.info.image))
        .collect()
}

/// Removes a staging directory and its registration link.
pub fn remove(dir: &Path) -> Result<(), String> {
    std::fs::remove_dir_all(dir).map_err(|e| format!("removing {}: {e}", dir.display()))?;
    if let Ok(root) = staging_root() {
        if let Ok(entries) = std::fs::read_dir(root) {
            for e in entries.flatten() {
                if std::fs::read_link(e.path()).is_ok_and(|t| t == dir) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
    Ok(())
}

/// Takes the exclusive read-write lock of a WIM (released when the file closes, i.e. when the
/// daemon exits). Read-only mounts do not take it.
pub fn lock_wim(wim: &Path) -> Result<File, String> {
    let f = File::open(wim).map_err(|e| format!("{}: {e}", wim.display()))?;
    // SAFETY: flock on a descriptor we own.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        return Err(format!(
            "{} is already mounted read-write (or being committed) by another wimfs; a read-only mount still works",
            wim.display()
        ));
    }
    Ok(f)
}
