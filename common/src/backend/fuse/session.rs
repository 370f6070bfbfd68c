//! Mount options and the mounted session.

use std::path::Path;
use std::sync::Arc;

use fuser::{Config, MountOption, SessionACL};

use super::adapter::FuseAdapter;
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
}

impl Default for FuseOptions {
    fn default() -> Self {
        Self {
            fsname: "image".into(),
            subtype: "image".into(),
            allow_other: false,
            threads: 4,
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
#[derive(Debug)]
pub struct FuseSession<V: Vfs> {
    session: fuser::Session<FuseAdapter<V>>,
}

/// Unmounts a [`FuseSession`] from another thread (e.g. on a signal).
#[derive(Debug)]
pub struct FuseUnmounter(fuser::SessionUnmounter);

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
        let session = fuser::Session::new(FuseAdapter::new(vfs), mountpoint, &cfg)?;
        Ok(Self { session })
    }

    /// A handle that unmounts this session.
    pub fn unmounter(&mut self) -> FuseUnmounter {
        FuseUnmounter(self.session.unmount_callable())
    }

    /// Serves requests on the configured worker threads until unmounted.
    pub fn run(self) -> std::io::Result<()> {
        match self.session.run() {
            // The kernel ended the connection (the unmount): a worker reading a cloned
            // /dev/fuse descriptor may be told ECONNABORTED instead of ENODEV.
            Err(e) if e.raw_os_error() == Some(libc::ECONNABORTED) => Ok(()),
            other => other,
        }
    }
}
