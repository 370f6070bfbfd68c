//! Mount options and the mounted session.

use std::os::fd::AsFd;
use std::path::Path;
use std::sync::Arc;

use fuser::{Config, MountOption, SessionACL};

use super::adapter::FuseAdapter;
use super::unmount::MountedConnection;
use crate::vfs::Vfs;

/// How to mount.
#[derive(Debug, Clone)]
pub struct FuseOptions {
    /// Shown as the source in `/proc/mounts` (e.g. the image path).
    pub fsname: String,
    /// The filesystem subtype (`wimfs`, `isofs`): shows as `fuse.wimfs`.
    pub subtype: String,
    /// Let other users see the mount (needs `user_allow_other` for non-root).
    pub allow_other: bool,
    /// Worker threads serving requests.
    pub threads: usize,
    /// Hand files to the kernel ahead of a reader going through directories in listing
    /// order (`push_ahead.rs`; images that need no open state only).
    pub files_ahead: bool,
}

impl Default for FuseOptions {
    fn default() -> Self {
        Self {
            fsname: "image".into(),
            subtype: "image".into(),
            allow_other: false,
            threads: 4,
            files_ahead: true,
        }
    }
}

/// Builds fuser's config from our options.
pub fn fuser_config(opts: &FuseOptions, read_only: bool) -> Config {
    let mut cfg = Config::default();
    cfg.mount_options
        .push(MountOption::FSName(opts.fsname.clone()));
    cfg.mount_options
        .push(MountOption::Subtype(opts.subtype.clone()));
    cfg.mount_options.push(MountOption::NoDev);
    cfg.mount_options.push(MountOption::NoSuid);
    cfg.mount_options.push(if read_only {
        MountOption::RO
    } else {
        MountOption::RW
    });
    if opts.allow_other {
        cfg.acl = SessionACL::All;
        // Permission checks by the kernel, from the modes we report.
        cfg.mount_options.push(MountOption::DefaultPermissions);
    }
    cfg.n_threads = Some(opts.threads.max(1));
    cfg.clone_fd = opts.threads > 1;
    cfg
}

/// A mounted, not yet served filesystem: mount first (to report readiness), then [`Self::run`].
///
/// fuser's own unmount-on-drop is never let run (see `unmount.rs`): the mount is ended by a
/// [`FuseUnmounter`], which leaves alone a mount point whose mount is already gone.
#[derive(Debug)]
pub struct FuseSession<V: Vfs> {
    /// None once [`Self::run`] took it.
    session: Option<fuser::Session<FuseAdapter<V>>>,
    connection: Arc<MountedConnection>,
}

/// Unmounts a [`FuseSession`] from another thread (e.g. on a signal); does nothing once the
/// mount is gone, so it never touches a later mount at the same directory.
#[derive(Debug, Clone)]
pub struct FuseUnmounter(Arc<MountedConnection>);

impl FuseUnmounter {
    /// Unmounts; the session's `run` then returns.
    pub fn unmount(&mut self) -> std::io::Result<()> {
        self.0.unmount()
    }
}

impl<V: Vfs> FuseSession<V> {
    /// Mounts `vfs` at `mountpoint` (the mount is live when this returns).
    pub fn mount(vfs: Arc<V>, mountpoint: &Path, opts: &FuseOptions) -> std::io::Result<Self> {
        let cfg = fuser_config(opts, vfs.read_only());
        let mountpoint = mountpoint.canonicalize()?;
        let adapter = FuseAdapter::new(vfs, opts.files_ahead);
        let push_ahead = adapter.push_ahead.clone();
        let session = fuser::Session::new(adapter, &mountpoint, &cfg)?;
        if let Some(push) = push_ahead {
            push.connect(session.notifier());
        }
        let device = session.as_fd().try_clone_to_owned()?;
        Ok(Self {
            session: Some(session),
            connection: Arc::new(MountedConnection::new(device, mountpoint)),
        })
    }

    /// A handle that unmounts this session.
    pub fn unmounter(&mut self) -> FuseUnmounter {
        FuseUnmounter(Arc::clone(&self.connection))
    }

    /// Serves requests on the configured worker threads until unmounted.
    pub fn run(mut self) -> std::io::Result<()> {
        match self.session.take() {
            Some(session) => serve_without_fuser_unmount(session),
            None => Ok(()),
        }
    }
}

/// Runs `session` until the kernel ends the connection, so that fuser never unmounts by path
/// at the end: `spawn` moves fuser's `Mount` out of the session into the returned handle (so
/// `run`, on the spawned thread, ends without unmounting), and the handle is forgotten, never
/// dropped (so its `Mount` does not unmount either). Its thread is joined through `guard`,
/// swapped for the handle of a finished thread first.
fn serve_without_fuser_unmount<V: Vfs>(
    session: fuser::Session<FuseAdapter<V>>,
) -> std::io::Result<()> {
    let mut background = session.spawn()?;
    let finished = std::thread::spawn(|| Ok(()));
    let serving = std::mem::replace(&mut background.guard, finished);
    std::mem::forget(background);
    let served = serving
        .join()
        .map_err(|_| std::io::Error::other("the FUSE session thread panicked"))?;
    match served {
        // The kernel ended the connection (the unmount): a worker reading a cloned
        // /dev/fuse descriptor may be told ECONNABORTED instead of ENODEV.
        Err(e) if e.raw_os_error() == Some(libc::ECONNABORTED) => Ok(()),
        other => other,
    }
}

impl<V: Vfs> Drop for FuseSession<V> {
    /// A session dropped without [`FuseSession::run`] (e.g. setting up the daemon failed):
    /// unmounted here while it is still ours, then served to its end (which tells the
    /// filesystem it is unmounted) without fuser's unmount. Should the unmount fail, the
    /// session is forgotten rather than served forever.
    fn drop(&mut self) {
        let Some(session) = self.session.take() else {
            return;
        };
        match self.connection.unmount() {
            Ok(()) => {
                if let Err(e) = serve_without_fuser_unmount(session) {
                    tracing::warn!("ending the session: {e}");
                }
            }
            Err(e) => {
                tracing::warn!("unmounting {}: {e}", self.connection.mountpoint().display());
                std::mem::forget(session);
            }
        }
    }
}
