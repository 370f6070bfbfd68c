//! The collection filesystem: host directories, lazily opened images, WIM image lists, all
//! behind one inode space (`inodes.rs`). The `Vfs` implementation is in `vfs_impl.rs`.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::SystemTime;

use common::cache::ChunkCache;
use common::io::{FileSource, ReadAt};
use common::nested::VfsFile;
use common::vfs::{Attr, FileKind, Vfs, VfsError, VfsResult, ROOT_INO};
use isofs::{IsoFs, TreeKind};
use parking_lot::RwLock;
use wimfs::{WimFile, WimFs, WimFsOptions};

use super::host::{self, HostKind, IMAGES_SUFFIX};
use super::inodes::{InodeTable, Node, SlotId};
use super::slots::{FileStamp, Opened, Origin, Slot, SlotKind, SlotTable};
use crate::spill_args::SpillArgs;
use crate::split_parts::{self, NamedSource};

/// The extended attribute holding the error of an image that could not be opened.
pub const ERROR_XATTR: &str = "user.isofs.error";

/// zisofs block cache of each open ISO (plain extents are read directly).
const ISO_CACHE_BYTES: usize = 8 << 20;

/// What to serve and how.
#[derive(Debug, Clone)]
pub struct CollectionOptions {
    /// The host directory (absolute).
    pub root: PathBuf,
    /// The mount point (absolute), for WIM absolute-link targets.
    pub mountpoint: PathBuf,
    /// Show the images of WIM/ESD files as `NAME.wim.d/<index>/`.
    pub wim: bool,
    /// Close images unused for this many seconds.
    pub idle_secs: u64,
    /// Decoded-chunk cache for WIMs, in bytes (shared by all).
    pub cache_bytes: usize,
    /// Its disk tier for solid chunks.
    pub spill: SpillArgs,
    /// Which tree of each ISO to serve (default: each image's best).
    pub tree: Option<TreeKind>,
    /// Owner shown for files without one.
    pub uid: u32,
    /// Group shown for files without one.
    pub gid: u32,
}

/// An open file: the image's filesystem is held, so closing the slot cannot pull it away.
pub(super) struct OpenFile {
    pub slot: Arc<Slot>,
    pub fs: Arc<dyn Vfs>,
    pub ino: u64,
    pub handle: u64,
}

/// Every ISO below a host directory, as one filesystem.
pub struct CollectionFs {
    pub(super) opts: CollectionOptions,
    pub(super) inodes: InodeTable,
    pub(super) slots: Arc<SlotTable>,
    pub(super) handles: RwLock<HashMap<u64, OpenFile>>,
    pub(super) next_handle: AtomicU64,
    wim_cache: Arc<ChunkCache>,
}

impl std::fmt::Debug for CollectionFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CollectionFs({})", self.opts.root.display())
    }
}

impl CollectionFs {
    /// Serves `opts.root`; starts the idle closer.
    pub fn new(opts: CollectionOptions) -> Self {
        let slots = Arc::new(SlotTable::new());
        super::idle::start(&slots, opts.idle_secs);
        Self {
            wim_cache: Arc::new(opts.spill.cache(opts.cache_bytes)),
            opts,
            inodes: InodeTable::new(),
            slots,
            handles: RwLock::new(HashMap::new()),
            next_handle: AtomicU64::new(1),
        }
    }

    pub(super) fn node(&self, ino: u64) -> VfsResult<(Node, PathBuf)> {
        self.inodes.get(ino).ok_or(VfsError::NotFound)
    }

    pub(super) fn slot(&self, id: SlotId) -> VfsResult<Arc<Slot>> {
        self.slots.get(id).ok_or(VfsError::NotFound)
    }

    /// A directory's attributes for an image or image list not open (yet).
    fn closed_dir_attr(&self, mtime: SystemTime) -> Attr {
        Attr {
            ino: 0,
            kind: FileKind::Directory,
            size: 0,
            allocated: 0,
            nlink: 2,
            perm: 0o555,
            uid: self.opts.uid,
            gid: self.opts.gid,
            atime: mtime,
            mtime,
            ctime: mtime,
            crtime: mtime,
            dos_attributes: 0x10,
            rdev: 0,
        }
    }

    pub(super) fn iso_slot(&self, file: PathBuf, stamp: FileStamp, label: &Path) -> SlotId {
        let attr = self.closed_dir_attr(stamp.mtime);
        let origin = Origin::HostFile(file, stamp);
        self.slots
            .slot_for(SlotKind::Iso, origin, label.to_path_buf(), attr)
    }

    pub(super) fn wim_slot(&self, origin: Origin, mtime: SystemTime, label: &Path) -> SlotId {
        let attr = self.closed_dir_attr(mtime);
        self.slots
            .slot_for(SlotKind::Wim, origin, label.to_path_buf(), attr)
    }

    pub(super) fn image_slot(
        &self,
        wim: &Slot,
        wim_id: SlotId,
        index: u32,
        label: &Path,
    ) -> SlotId {
        self.slots.slot_for(
            SlotKind::WimImage,
            Origin::WimImage(wim_id, index),
            label.to_path_buf(),
            wim.closed_attr.clone(),
        )
    }

    /// The slot's contents, opening them if needed.
    fn open_slot(&self, slot: &Slot) -> Result<Opened, String> {
        self.slots.ensure(slot, || self.open_contents(slot))
    }

    fn open_contents(&self, slot: &Slot) -> Result<Opened, String> {
        if let Origin::WimImage(wim, index) = slot.origin {
            let wim = self.wim_of(wim)?;
            let opts = WimFsOptions {
                mount_root: Some(self.opts.mountpoint.join(&slot.label).display().to_string()),
                uid: self.opts.uid,
                gid: self.opts.gid,
                ..WimFsOptions::default()
            };
            let fs = WimFs::new(wim, index, opts).map_err(|e| format!("image {index}: {e}"))?;
            return Ok(Opened::Fs(Arc::new(fs)));
        }
        let src = self.bytes_of(slot)?;
        match slot.kind {
            SlotKind::Wim => {
                let name = slot.label.display().to_string();
                let mut parts = self.split_siblings(slot, src.as_ref())?;
                parts.insert(0, (src, name));
                let wim = WimFile::from_sources(parts, Arc::clone(&self.wim_cache))
                    .map_err(|e| e.to_string())?;
                Ok(Opened::Wim(Arc::new(wim)))
            }
            SlotKind::WimImage => Err("an image of a WIM has no bytes of its own".into()),
            SlotKind::Iso => {
                let opts = isofs::OpenOptions {
                    tree: self.opts.tree,
                    uid: self.opts.uid,
                    gid: self.opts.gid,
                };
                let iso = IsoFs::open(src, &opts, ISO_CACHE_BYTES).map_err(|e| e.to_string())?;
                Ok(Opened::Fs(Arc::new(iso)))
            }
        }
    }

    fn bytes_of(&self, slot: &Slot) -> Result<Arc<dyn ReadAt>, String> {
        match &slot.origin {
            Origin::HostFile(path, stamp) => {
                let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
                if FileStamp::of(&meta) != *stamp {
                    return Err("the file changed since it was listed".into());
                }
                Ok(Arc::new(FileSource::open(path).map_err(|e| e.to_string())?))
            }
            Origin::InnerFile { parent, ino, .. } => {
                let parent = self.slots.get(*parent).ok_or("no such image")?;
                let fs = self.fs_of(&parent)?;
                let name = slot.label.display().to_string();
                Ok(Arc::new(
                    VfsFile::open_ino(fs, *ino, name).map_err(|e| e.to_string())?,
                ))
            }
            Origin::WimImage(..) => Err("an image of a WIM has no bytes of its own".into()),
        }
    }

    /// The other parts of the split WIM whose first part `first` is slot `slot`'s file (found
    /// beside it); empty for an unsplit WIM.
    fn split_siblings(&self, slot: &Slot, first: &dyn ReadAt) -> Result<Vec<NamedSource>, String> {
        match &slot.origin {
            Origin::HostFile(path, _) => split_parts::siblings_on_host(path, first),
            Origin::InnerFile { parent, dir, .. } => {
                let parent = self.slots.get(*parent).ok_or("no such image")?;
                let fs = self.fs_of(&parent)?;
                let shown = slot
                    .label
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("");
                let name = shown.strip_suffix(IMAGES_SUFFIX).unwrap_or(shown);
                let label = slot
                    .label
                    .parent()
                    .unwrap_or(&slot.label)
                    .display()
                    .to_string();
                split_parts::siblings_in_image(&fs, *dir, name, first, &label)
            }
            Origin::WimImage(..) => Ok(Vec::new()),
        }
    }

    fn fs_of(&self, slot: &Slot) -> Result<Arc<dyn Vfs>, String> {
        match self.open_slot(slot)? {
            Opened::Fs(fs) => Ok(fs),
            Opened::Wim(_) => Err("a WIM file is not a filesystem".into()),
        }
    }

    /// The WIM of slot `id`.
    pub(super) fn wim_of(&self, id: SlotId) -> Result<Arc<WimFile>, String> {
        let slot = self.slots.get(id).ok_or("no such WIM")?;
        match self.open_slot(&slot)? {
            Opened::Wim(w) => Ok(w),
            Opened::Fs(_) => Err("not a WIM".into()),
        }
    }

    /// The filesystem holding inode `ino` of slot `id`. `None` when the image cannot be opened
    /// and `ino` is its directory (shown empty, the error in [`ERROR_XATTR`]); deeper inodes
    /// of such an image answer an I/O error.
    pub(super) fn fs_for(&self, id: SlotId, ino: u64) -> VfsResult<Option<Arc<dyn Vfs>>> {
        let slot = self.slot(id)?;
        match self.fs_of(&slot) {
            Ok(fs) => Ok(Some(fs)),
            Err(_) if ino == ROOT_INO => Ok(None),
            Err(e) => Err(VfsError::Corrupt(format!("{}: {e}", slot.label.display()))),
        }
    }

    /// `attr` of inode `attr.ino` of slot `id`, renumbered into the collection.
    pub(super) fn map_attr(&self, id: SlotId, mut attr: Attr, path: &Path) -> Attr {
        attr.ino = self.inodes.intern(
            Node::Inner {
                slot: id,
                ino: attr.ino,
            },
            path,
        );
        attr
    }

    /// The collection inode of slot `id`'s directory, first seen at `path`.
    pub(super) fn root_ino(&self, id: SlotId, path: &Path) -> u64 {
        self.inodes.intern(
            Node::Inner {
                slot: id,
                ino: ROOT_INO,
            },
            path,
        )
    }

    /// Slot `id`'s directory looked up at `path`: numbered, with its attributes.
    pub(super) fn lookup_slot_root(&self, id: SlotId, path: &Path) -> VfsResult<Attr> {
        let ino = self.root_ino(id, path);
        self.slot_root_attr(id, ino)
    }

    /// The attributes of slot `id`'s directory (the image's root when open).
    pub(super) fn slot_root_attr(&self, id: SlotId, ino: u64) -> VfsResult<Attr> {
        let slot = self.slot(id)?;
        let mut attr = match slot.current() {
            Some(Opened::Fs(fs)) => fs.getattr(ROOT_INO).unwrap_or(slot.closed_attr.clone()),
            _ => slot.closed_attr.clone(),
        };
        attr.ino = ino;
        Ok(attr)
    }

    /// The attributes of host directory `rel`.
    pub(super) fn host_dir_attr(&self, ino: u64, rel: &Path) -> VfsResult<Attr> {
        let path = self.opts.root.join(rel);
        let meta = std::fs::metadata(&path).map_err(|e| VfsError::Io {
            context: path.display().to_string(),
            source: e,
        })?;
        let mut attr = self.closed_dir_attr(meta.modified().unwrap_or(SystemTime::UNIX_EPOCH));
        attr.ino = ino;
        Ok(attr)
    }

    /// Looks `name` up in host directory `rel`; `path` is the name's path in the mount.
    pub(super) fn lookup_host(&self, rel: &Path, name: &OsStr, path: &Path) -> VfsResult<Attr> {
        let dir = self.opts.root.join(rel);
        match host::classify(&dir, name, self.opts.wim).ok_or(VfsError::NotFound)? {
            HostKind::Dir => {
                let rel = rel.join(name);
                let ino = self.inodes.intern(Node::Host(rel.clone()), path);
                self.host_dir_attr(ino, &rel)
            }
            HostKind::Iso(stamp) => {
                let id = self.iso_slot(dir.join(name), stamp, path);
                self.lookup_slot_root(id, path)
            }
            HostKind::WimImages(file, stamp) => {
                let id = self.wim_slot(Origin::HostFile(dir.join(file), stamp), stamp.mtime, path);
                self.images_dir_attr(id, path)
            }
        }
    }

    /// The attributes of the `NAME.wim.d` directory of WIM slot `id`.
    pub(super) fn images_dir_attr(&self, id: SlotId, path: &Path) -> VfsResult<Attr> {
        let mut attr = self.slot(id)?.closed_attr.clone();
        attr.ino = self.inodes.intern(Node::WimImages { wim: id }, path);
        Ok(attr)
    }
}
