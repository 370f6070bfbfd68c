//! The [`FuseAdapter`] type: a [`Vfs`] and what the FUSE requests need to answer for it; its
//! `fuser::Filesystem` implementation is in `filesystem.rs`, directory listings in
//! `listing.rs`.

use std::sync::Arc;
use std::time::Duration;

use super::push_ahead::PushAhead;
use super::request_counts::{RequestCounts, RequestKind};
use crate::vfs::Vfs;

/// A [`Vfs`] seen through FUSE.
#[derive(Debug)]
pub struct FuseAdapter<V: Vfs> {
    pub(super) vfs: Arc<V>,
    pub(super) ttl: Duration,
    /// A read-only image that needs no open state ([`Vfs::immutable_stateless`]): OPEN,
    /// OPENDIR and FLUSH are answered `ENOSYS`, which makes the kernel stop sending them (and
    /// RELEASE, RELEASEDIR) for the rest of the mount; opened files then keep their page cache
    /// (the kernel's default for a file system without opens is `FOPEN_KEEP_CACHE`, plus
    /// `FOPEN_CACHE_DIR` for directories), and directories are listed with READDIRPLUS, so a
    /// reader going through a tree sends no LOOKUP either. Reading a small file costs one
    /// READ.
    pub(super) stateless: bool,
    pub(super) counts: RequestCounts,
    /// Hands files to the kernel ahead of the reader (stateless images only).
    pub(super) push_ahead: Option<Arc<PushAhead<V>>>,
}

impl<V: Vfs> FuseAdapter<V> {
    /// Wraps `vfs`; read-only images get long TTLs; `files_ahead`: hand files to the kernel
    /// ahead of the reader where the image allows (`push_ahead.rs`).
    pub fn new(vfs: Arc<V>, files_ahead: bool) -> Self {
        let ttl = if vfs.read_only() {
            Duration::from_secs(24 * 3600)
        } else {
            Duration::from_secs(1)
        };
        let stateless = vfs.read_only() && vfs.immutable_stateless();
        let push_ahead = (stateless && files_ahead).then(|| PushAhead::new(&vfs));
        Self {
            vfs,
            ttl,
            stateless,
            counts: RequestCounts::default(),
            push_ahead,
        }
    }

    /// How long the kernel may cache `attr` (and the name that led to it).
    pub(super) fn ttl_of(&self, attr: &crate::vfs::Attr) -> Duration {
        self.vfs.cache_ttl(attr.ino).unwrap_or(self.ttl)
    }

    pub(super) fn count(&self, kind: RequestKind) {
        self.counts.count(kind);
    }
}
