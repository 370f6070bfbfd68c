//! Staged changes on disk: where staging directories live, which are still in use by a live
//! mount and which were left behind (daemon killed, reboot).
//!
//! On Windows the state lives under `%LOCALAPPDATA%\wimfs` (the user profile's ACL keeps it
//! to the user and administrators; Unix modes do not apply), staging directories kept outside
//! the root are registered by a small file holding their path instead of a symlink (creating
//! symlinks needs a privilege there). The WIM's own lock is in `wim_lock.rs`.

use std::path::{Path, PathBuf};

use wimfs::fs::StagingInfo;

/// The tools' per-user state: `$XDG_CACHE_HOME/wimfs` (or `~/.cache/wimfs`) on Unix,
/// `%LOCALAPPDATA%\wimfs` on Windows.
#[cfg(unix)]
pub fn user_state_dir() -> Result<PathBuf, String> {
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => match std::env::var_os("HOME") {
            Some(h) if !h.is_empty() => PathBuf::from(h).join(".cache"),
            _ => return Err("set --staging-dir (no HOME or XDG_CACHE_HOME)".into()),
        },
    };
    Ok(base.join("wimfs"))
}

/// The tools' per-user state: `$XDG_CACHE_HOME/wimfs` (or `~/.cache/wimfs`) on Unix,
/// `%LOCALAPPDATA%\wimfs` on Windows.
#[cfg(not(unix))]
pub fn user_state_dir() -> Result<PathBuf, String> {
    match std::env::var_os("LOCALAPPDATA") {
        Some(d) if !d.is_empty() => Ok(PathBuf::from(d).join("wimfs")),
        _ => Err("set --staging-dir (no LOCALAPPDATA)".into()),
    }
}

/// `<user state>/staging`: `$XDG_CACHE_HOME/wimfs/staging` (or `~/.cache/wimfs/staging`);
/// `%LOCALAPPDATA%\wimfs\staging` on Windows.
pub fn staging_root() -> Result<PathBuf, String> {
    Ok(user_state_dir()?.join("staging"))
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

/// Makes a staging directory outside the root discoverable (a symlink in the root; on
/// Windows a `.link` file holding its path).
pub fn register(dir: &Path) -> Result<(), String> {
    let root = staging_root()?;
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    if dir.starts_with(&root) {
        return Ok(());
    }
    std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let link = link_path(&root, &dir);
    let _ = std::fs::remove_file(&link);
    write_link(&dir, &link).map_err(|e| format!("{}: {e}", link.display()))
}

/// The registration link in `root` of the staging directory `dir` (canonical).
fn link_path(root: &Path, dir: &Path) -> PathBuf {
    let hash = crate::path_hash::fnv(dir.as_os_str().as_encoded_bytes());
    root.join(format!("{hash:016x}.link"))
}

#[cfg(unix)]
fn write_link(dir: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(dir, link)
}

#[cfg(not(unix))]
fn write_link(dir: &Path, link: &Path) -> std::io::Result<()> {
    let text = dir.to_str().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the staging directory's path is not valid Unicode",
        )
    })?;
    std::fs::write(link, text)
}

/// The directory a registration link in the root names (`None` for anything else).
#[cfg(unix)]
fn link_target(entry: &Path) -> Option<PathBuf> {
    std::fs::read_link(entry).ok()
}

/// The directory a registration link in the root names (`None` for anything else).
#[cfg(not(unix))]
fn link_target(entry: &Path) -> Option<PathBuf> {
    if entry.extension()? != "link" || !entry.is_file() {
        return None;
    }
    std::fs::read_to_string(entry).ok().map(PathBuf::from)
}

/// The staging directory an entry of the root stands for (itself, or the one it registers).
fn resolve_entry(entry: &Path) -> PathBuf {
    if cfg!(not(unix)) {
        if let Some(dir) = link_target(entry) {
            return dir;
        }
    }
    std::fs::canonicalize(entry).unwrap_or_else(|_| entry.to_path_buf())
}

/// Removes `entry` if it is a registration link whose directory no longer exists (removed by
/// hand, or by a tool that did not know about the link), so that links do not pile up. A link
/// whose directory's parent is missing too is kept: that may be a disk not mounted right now.
fn prune_dangling_link(entry: &Path) {
    let Some(dir) = link_target(entry) else {
        return;
    };
    let gone =
        std::fs::symlink_metadata(&dir).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
    if gone && dir.parent().is_some_and(Path::is_dir) {
        let _ = std::fs::remove_file(entry);
    }
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
        let dir = resolve_entry(&e.path());
        let Some(info) = StagingInfo::read(&dir) else {
            prune_dangling_link(&e.path());
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

/// Removes a staging directory and its registration link (found by its name, not by a scan
/// of the root: the root may hold many).
pub fn remove(dir: &Path) -> Result<(), String> {
    let canon = dir.canonicalize().ok();
    std::fs::remove_dir_all(dir).map_err(|e| format!("removing {}: {e}", dir.display()))?;
    if let (Ok(root), Some(canon)) = (staging_root(), canon) {
        let link = link_path(&root, &canon);
        if link_target(&link).is_some_and(|t| t == canon) {
            let _ = std::fs::remove_file(link);
        }
    }
    Ok(())
}
