//! A stable, short name for a path: FNV-1a of its bytes (control sockets, daemon locks,
//! staging registrations). Not a security measure: it only spreads names. On Unix, the files
//! named after a mount point live in the user's runtime dir (`$XDG_RUNTIME_DIR/wimfs`, else
//! `/tmp/wimfs-<uid>`), a 0700 directory.

#[cfg(unix)]
use std::path::{Path, PathBuf};

/// FNV-1a: a stable, short name for a path (control sockets, staging registrations).
pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(unix)]
/// The user's runtime dir for our files: `$XDG_RUNTIME_DIR/wimfs`, else `/tmp/wimfs-<uid>`.
pub(crate) fn runtime_dir() -> PathBuf {
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("wimfs"),
        _ => PathBuf::from(format!("/tmp/wimfs-{uid}")),
    }
}

#[cfg(unix)]
/// `<runtime dir>/<hash of mountpoint>.<ext>`: the file of kind `ext` of the mount at
/// `mountpoint` (canonical path).
pub(crate) fn runtime_path(mountpoint: &Path, ext: &str) -> PathBuf {
    runtime_dir().join(format!(
        "{:016x}.{ext}",
        fnv(mountpoint.as_os_str().as_encoded_bytes())
    ))
}

#[cfg(unix)]
/// Creates the runtime dir (mode 0700) and checks that it is ours and closed to others, so no
/// other user can plant or replace the files in it.
pub(crate) fn create_runtime_dir() -> Result<PathBuf, String> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    let dir = runtime_dir();
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let meta = std::fs::symlink_metadata(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o077 != 0 {
        return Err(format!(
            "{} is not a directory of user {uid} closed to others",
            dir.display()
        ));
    }
    Ok(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn runtime_paths_are_stable_and_distinct_per_mount_point_and_kind() {
        let a = runtime_path(Path::new("/mnt/a"), "lock");
        assert_eq!(a, runtime_path(Path::new("/mnt/a"), "lock"));
        assert_ne!(a, runtime_path(Path::new("/mnt/b"), "lock"));
        assert_ne!(a, runtime_path(Path::new("/mnt/a"), "sock"));
        assert_eq!(a.parent(), Some(runtime_dir().as_path()));
    }
}
