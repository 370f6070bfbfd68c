//! The [`WimFs`] type: one mounted image, its lock-protected tree, open handles, and (for
//! read-write mounts) the staging directory. The `Vfs` methods live in `read.rs`, `create.rs`,
//! `remove_rename.rs`, `write_data.rs` and `xattr.rs`.

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

use common::vfs::{
    Attr, DirEntry, ListedFile, OpenInfo, SetAttr, StatFs, Vfs, VfsError, VfsResult,
};
use parking_lot::{Mutex, RwLock};

use super::journal::Journal;
use super::seqhash::SequentialHash;
use crate::error::WimError;
use crate::format::Sha1Hash;
use crate::staging::Staging;
use crate::tree::ImageTree;
use crate::wim::WimFile;

/// Options of a mount.
#[derive(Debug, Clone, Default)]
pub struct WimFsOptions {
    /// Absolute mount point, prefixed to "fixed" absolute symlink targets (as wimlib does).
    pub mount_root: Option<String>,
    /// Owner shown for files without UNIX data (and given to files created without it).
    pub uid: u32,
    /// Group shown for files without UNIX data.
    pub gid: u32,
    /// Read-write: stage changes in this directory.
    pub staging_dir: Option<PathBuf>,
    /// Read-write: the staging directory holds changes of an earlier mount; replay them.
    pub resume: bool,
}

impl From<WimError> for VfsError {
    fn from(e: WimError) -> Self {
        match e {
            WimError::Io { context, source } => VfsError::Io { context, source },
            WimError::Unsupported(m) => VfsError::Unsupported(m),
            other => VfsError::Corrupt(other.to_string()),
        }
    }
}

/// An open file.
#[derive(Debug)]
pub(super) struct Handle {
    pub ino: u64,
    pub write: bool,
    pub seq: Option<Arc<Mutex<SequentialHash>>>,
}

/// One mounted image.
#[derive(Debug)]
pub struct WimFs {
    /// The WIM (replaced by the committed one after a commit while mounted).
    pub(super) wim: RwLock<Arc<WimFile>>,
    pub(super) image: u32,
    pub(super) tree: RwLock<ImageTree>,
    pub(super) opts: WimFsOptions,
    pub(super) staging: Option<Staging>,
    pub(super) handles: Mutex<HashMap<u64, Handle>>,
    /// Hash states of files read without a handle (handle 0: read-only mounts whose backend
    /// sends no opens), by inode; at most [`super::read::MAX_HANDLELESS_HASHES`].
    pub(super) handleless_hashes: Mutex<HashMap<u64, Arc<Mutex<SequentialHash>>>>,
    pub(super) next_handle: AtomicU64,
    pub(super) link_targets: Mutex<HashMap<u64, Arc<[u8]>>>,
    pub(super) corrupt_blobs: Mutex<HashSet<Sha1Hash>>,
    /// Set while a commit runs: writes are refused, reads go on.
    pub(super) frozen: AtomicBool,
    /// Held (shared) by a data write from its check of `frozen` until its data is written, and
    /// (exclusive) by a commit while it sets `frozen`: no write is half done when one begins.
    pub(super) write_gate: RwLock<()>,
    /// Set once anything changed.
    pub(super) dirty: AtomicBool,
    /// Some file's data is a blob the WIM lacks: opening it must fail (a read could not tell,
    /// as the file shows size 0), so every open goes through [`Vfs::open`].
    pub(super) missing_data: bool,
    /// The journal of a read-write mount.
    pub(super) journal: Option<Mutex<Journal>>,
    /// Set when records were written since the last sync.
    pub(super) journal_unsynced: AtomicBool,
    /// Each inode's position in its directory's listing, built at the first use
    /// (`listing_place.rs`).
    pub(super) listing_positions: std::sync::OnceLock<Vec<u32>>,
}

impl WimFs {
    /// Loads image `index` of `wim`; read-write when `opts.staging_dir` is set.
    pub fn new(wim: Arc<WimFile>, index: u32, opts: WimFsOptions) -> Result<Self, WimError> {
        let mut tree = ImageTree::load(&wim, index)?;
        let missing_data = tree
            .live()
            .any(|(_, i)| matches!(&i.data, crate::inode::Content::Blob(s) if s.missing));
        let (staging, journal, ops) = match &opts.staging_dir {
            None => (None, None, Vec::new()),
            Some(dir) => {
                let setup = super::resume::open_staging(&wim, index, dir, opts.resume)?;
                if let Some((map, len)) = &setup.renumber {
                    tree = tree.renumbered(map, *len).map_err(|e| {
                        WimError::Unsupported(format!(
                            "the journal in {} does not fit the image: {e}",
                            dir.display()
                        ))
                    })?;
                }
                (
                    Some(setup.staging),
                    Some(Mutex::new(setup.journal)),
                    setup.ops,
                )
            }
        };
        let fs = Self {
            wim: RwLock::new(wim),
            image: index,
            tree: RwLock::new(tree),
            opts,
            staging,
            handles: Mutex::new(HashMap::new()),
            handleless_hashes: Mutex::new(HashMap::new()),
            next_handle: AtomicU64::new(1),
            link_targets: Mutex::new(HashMap::new()),
            corrupt_blobs: Mutex::new(HashSet::new()),
            frozen: AtomicBool::new(false),
            write_gate: RwLock::new(()),
            dirty: AtomicBool::new(false),
            missing_data,
            journal,
            journal_unsynced: AtomicBool::new(false),
            listing_positions: std::sync::OnceLock::new(),
        };
        fs.replay(&ops)
            .map_err(|e| WimError::Unsupported(e.to_string()))?;
        fs.refresh_staged_sizes();
        Ok(fs)
    }

    /// The WIM (the committed one after a commit while mounted).
    pub fn wim(&self) -> Arc<WimFile> {
        Arc::clone(&self.wim.read())
    }

    /// The image index.
    pub fn image(&self) -> u32 {
        self.image
    }

    /// Read access to the tree.
    pub fn tree(&self) -> parking_lot::RwLockReadGuard<'_, ImageTree> {
        self.tree.read()
    }

    /// The staging area (read-write mounts).
    pub fn staging(&self) -> Option<&Staging> {
        self.staging.as_ref()
    }

    /// Number of open file handles (a commit refuses to run while files are open).
    pub fn open_handles(&self) -> usize {
        self.handles.lock().len()
    }

    /// Number of files open for writing (a commit while mounted refuses to run while any is,
    /// unless forced).
    pub fn open_write_handles(&self) -> usize {
        self.handles.lock().values().filter(|h| h.write).count()
    }

    /// True once something was changed.
    pub fn is_dirty(&self) -> bool {
        self.dirty.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Refuses (true) or allows (false) writes, around a commit; waits for data writes in
    /// flight to finish first.
    pub fn set_frozen(&self, frozen: bool) {
        let _gate = self.write_gate.write();
        self.frozen
            .store(frozen, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Vfs for WimFs {
    fn lookup(&self, parent: u64, name: &OsStr) -> VfsResult<Attr> {
        self.do_lookup(parent, name)
    }
    fn getattr(&self, ino: u64) -> VfsResult<Attr> {
        self.do_getattr(ino)
    }
    fn readdir(
        &self,
        ino: u64,
        offset: u64,
        fill: &mut dyn FnMut(u64, &DirEntry) -> bool,
    ) -> VfsResult<()> {
        self.do_readdir(ino, offset, fill)
    }
    fn open(&self, ino: u64, write: bool) -> VfsResult<OpenInfo> {
        self.do_open(ino, write)
    }
    fn read(&self, ino: u64, handle: u64, offset: u64, buf: &mut [u8]) -> VfsResult<usize> {
        self.do_read(ino, handle, offset, buf)
    }
    fn release(&self, ino: u64, handle: u64) -> VfsResult<()> {
        self.do_release(ino, handle)
    }
    fn readlink(&self, ino: u64) -> VfsResult<Vec<u8>> {
        self.do_readlink(ino)
    }
    fn listxattr(&self, ino: u64) -> VfsResult<Vec<OsString>> {
        self.do_listxattr(ino)
    }
    fn getxattr(&self, ino: u64, name: &OsStr) -> VfsResult<Vec<u8>> {
        self.do_getxattr(ino, name)
    }
    fn statfs(&self) -> StatFs {
        self.do_statfs()
    }
    fn destroy(&self) {
        self.on_unmount();
    }

    fn read_only(&self) -> bool {
        self.staging.is_none()
    }
    /// A read-only image never changes, and reads verify blobs by inode when no handle
    /// comes with them; unless a file's blob is missing (only its open can fail).
    fn immutable_stateless(&self) -> bool {
        self.staging.is_none() && !self.missing_data
    }
    fn listing_place(&self, ino: u64) -> Option<(u64, usize)> {
        self.do_listing_place(ino)
    }
    fn listed_files(&self, dir: u64, from: usize, to: usize) -> Vec<ListedFile> {
        self.do_listed_files(dir, from, to)
    }
    fn setattr(&self, ino: u64, changes: &SetAttr) -> VfsResult<Attr> {
        self.do_setattr(ino, changes)
    }
    fn create(&self, parent: u64, name: &OsStr, perm: u16) -> VfsResult<(Attr, OpenInfo)> {
        self.do_create(parent, name, perm)
    }
    fn mkdir(&self, parent: u64, name: &OsStr, perm: u16) -> VfsResult<Attr> {
        self.do_mkdir(parent, name, perm)
    }
    fn symlink(&self, parent: u64, name: &OsStr, target: &[u8]) -> VfsResult<Attr> {
        self.do_symlink(parent, name, target)
    }
    fn link(&self, ino: u64, parent: u64, name: &OsStr) -> VfsResult<Attr> {
        self.do_link(ino, parent, name)
    }
    fn unlink(&self, parent: u64, name: &OsStr) -> VfsResult<()> {
        self.do_unlink(parent, name)
    }
    fn rmdir(&self, parent: u64, name: &OsStr) -> VfsResult<()> {
        self.do_rmdir(parent, name)
    }
    fn rename(
        &self,
        parent: u64,
        name: &OsStr,
        new_parent: u64,
        new_name: &OsStr,
        no_replace: bool,
    ) -> VfsResult<()> {
        self.do_rename(parent, name, new_parent, new_name, no_replace)
    }
    fn write(&self, ino: u64, handle: u64, offset: u64, data: &[u8]) -> VfsResult<usize> {
        self.do_write(ino, handle, offset, data)
    }
    fn fsync(&self, ino: u64, handle: u64) -> VfsResult<()> {
        self.do_fsync(ino, handle)
    }
    fn setxattr(&self, ino: u64, name: &OsStr, value: &[u8]) -> VfsResult<()> {
        self.do_setxattr(ino, name, value)
    }
    fn removexattr(&self, ino: u64, name: &OsStr) -> VfsResult<()> {
        self.do_removexattr(ino, name)
    }
}
