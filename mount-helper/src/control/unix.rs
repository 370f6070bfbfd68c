//! The control channel's transport on Unix: a Unix socket, mode 0600, in a 0700 directory of
//! the user's runtime dir (`$XDG_RUNTIME_DIR/wimfs`, else `/tmp/wimfs-<uid>`), named after the
//! mount point. Only the user (and root) can connect; the socket's permissions are the
//! authentication.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// A connection.
pub(super) type Stream = UnixStream;

/// The control socket of the mount at `mountpoint` (canonical path).
pub fn endpoint_path(mountpoint: &Path) -> PathBuf {
    crate::path_hash::runtime_path(mountpoint, "sock")
}

/// The daemon's end: the bound socket.
#[derive(Debug)]
pub(super) struct Listener {
    listener: UnixListener,
    path: PathBuf,
}

impl Listener {
    /// Binds the mount's socket (replacing a stale one).
    pub(super) fn bind(mountpoint: &Path) -> Result<Self, String> {
        let path = endpoint_path(mountpoint);
        if let Some(dir) = path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path)
            .map_err(|e| format!("control socket {}: {e}", path.display()))?;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        Ok(Self { listener, path })
    }

    /// The clients, one after the other (failed accepts are skipped).
    pub(super) fn incoming(&self) -> impl Iterator<Item = Stream> + '_ {
        self.listener.incoming().flatten()
    }

    /// Removes the socket file (the mount is going away).
    pub(super) fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Connects to the mount's socket; `None` if there is none (or nobody listens on it).
pub(super) fn connect(mountpoint: &Path) -> Result<Option<Stream>, String> {
    let path = endpoint_path(mountpoint);
    match UnixStream::connect(&path) {
        Ok(s) => Ok(Some(s)),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(format!("control socket {}: {e}", path.display())),
    }
}
