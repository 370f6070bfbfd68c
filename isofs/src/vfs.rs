//! `impl common::vfs::Vfs` for an opened image: a read-only view of the chosen tree. Errors of
//! the format layers become [`VfsError`] through the one `From` impl in [`crate::error`].

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::sync::Arc;

use common::cache::{ChunkCache, SourceId};
use common::io::{FileSource, ReadAt};
use common::vfs::{
    Attr, DirEntry, FileKind, ListedFile, OpenInfo, StatFs, Vfs, VfsError, VfsResult,
};

use crate::error::{IsoError, IsoResult};
use crate::image::{build_tree, OpenOptions, Recognized, TreeKind};
use crate::model::node::{Content, Node};
use crate::model::tree::Tree;

/// A mounted image.
#[derive(Debug)]
pub struct IsoFs {
    src: Arc<dyn ReadAt>,
    tree: Tree,
    kind: TreeKind,
    cache: ChunkCache,
    /// The image's identity in the cache.
    src_id: SourceId,
}

impl IsoFs {
    /// Opens the image file at `path`.
    pub fn open_path(path: &Path, opts: &OpenOptions, cache_bytes: usize) -> IsoResult<Self> {
        let src = FileSource::open(path)
            .map_err(|e| IsoError::io(format!("opening {}", path.display()), e))?;
        Self::open(Arc::new(src), opts, cache_bytes)
    }

    /// Opens the image read from `src`, with a zisofs block cache of `cache_bytes`.
    pub fn open(src: Arc<dyn ReadAt>, opts: &OpenOptions, cache_bytes: usize) -> IsoResult<Self> {
        let rec = Recognized::scan(&*src)?;
        let (kind, tree) = build_tree(&*src, &rec, opts)?;
        Ok(Self {
            src,
            tree,
            kind,
            cache: ChunkCache::new(cache_bytes),
            src_id: SourceId::fresh(),
        })
    }

    /// Which tree is served.
    pub fn tree_kind(&self) -> TreeKind {
        self.kind
    }

    /// The model.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    fn node(&self, ino: u64) -> VfsResult<&Node> {
        self.tree.node(ino).ok_or(VfsError::NotFound)
    }

    fn attr(&self, ino: u64, n: &Node) -> Attr {
        Attr {
            ino,
            kind: n.kind(),
            size: n.size(),
            allocated: n.allocated(),
            nlink: n.nlink,
            perm: n.meta.perm,
            uid: n.meta.uid,
            gid: n.meta.gid,
            atime: n.meta.atime,
            mtime: n.meta.mtime,
            ctime: n.meta.ctime,
            crtime: n.meta.crtime,
            dos_attributes: 0,
            rdev: n.rdev(),
        }
    }

    /// The child of `dir` a directory listing showed as `name` with U+FFFD for bytes that are
    /// not UTF-8 (Windows only; the first such child wins).
    fn lookup_lossy(&self, dir: u64, name: &OsStr) -> Option<u64> {
        if cfg!(unix) {
            return None;
        }
        let Some(Node {
            content: Content::Dir(children),
            ..
        }) = self.tree.node(dir)
        else {
            return None;
        };
        children
            .iter()
            .find(|c| common::osname::lossy_eq(&c.name, name))
            .map(|c| c.ino)
    }

    /// Reads file bytes (shared by [`Vfs::read`] and tests).
    pub fn read_file(&self, ino: u64, offset: u64, buf: &mut [u8]) -> VfsResult<usize> {
        let n = self.node(ino)?;
        let got = match &n.content {
            Content::File(m) => m.read_at(&*self.src, offset, buf)?,
            Content::Zisofs(z) => z.read_at(&*self.src, self.src_id, &self.cache, offset, buf)?,
            Content::Inline(b) => common::io::copy_at(b, offset, buf),
            Content::Dir(_) => return Err(VfsError::IsADirectory),
            Content::Symlink(_) => return Err(VfsError::InvalidArgument("a symlink".into())),
            Content::Special(..) => 0,
        };
        Ok(got)
    }
}

impl Vfs for IsoFs {
    fn lookup(&self, parent: u64, name: &OsStr) -> VfsResult<Attr> {
        let dir = self.node(parent)?;
        if dir.kind() != FileKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        let ino = common::osname::to_bytes(name)
            .and_then(|bytes| self.tree.lookup(parent, bytes))
            .or_else(|| self.lookup_lossy(parent, name))
            .ok_or(VfsError::NotFound)?;
        let n = self.node(ino)?;
        Ok(self.attr(ino, n))
    }

    fn getattr(&self, ino: u64) -> VfsResult<Attr> {
        let n = self.node(ino)?;
        Ok(self.attr(ino, n))
    }

    fn readdir(
        &self,
        ino: u64,
        offset: u64,
        fill: &mut dyn FnMut(u64, &DirEntry) -> bool,
    ) -> VfsResult<()> {
        let Content::Dir(children) = &self.node(ino)?.content else {
            return Err(VfsError::NotADirectory);
        };
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        for (i, c) in children.iter().enumerate().skip(start) {
            let kind = self.tree.node(c.ino).map_or(FileKind::File, Node::kind);
            let entry = DirEntry {
                ino: c.ino,
                kind,
                name: common::osname::from_vec(c.name.to_vec()),
            };
            if fill(i as u64 + 1, &entry) {
                break;
            }
        }
        Ok(())
    }

    fn open(&self, ino: u64, write: bool) -> VfsResult<OpenInfo> {
        let n = self.node(ino)?;
        if write {
            return Err(VfsError::ReadOnly);
        }
        if n.kind() == FileKind::Directory {
            return Err(VfsError::IsADirectory);
        }
        Ok(OpenInfo {
            handle: 0,
            immutable: true,
        })
    }

    fn read(&self, ino: u64, _handle: u64, offset: u64, buf: &mut [u8]) -> VfsResult<usize> {
        self.read_file(ino, offset, buf)
    }

    /// An ISO image never changes under the mount and reads need no handle.
    fn immutable_stateless(&self) -> bool {
        true
    }

    fn listing_place(&self, ino: u64) -> Option<(u64, usize)> {
        let node = self.tree.node(ino)?;
        (node.kind() == FileKind::File)
            .then(|| self.tree.place(ino))
            .flatten()
    }

    fn listed_files(&self, dir: u64, from: usize, to: usize) -> Vec<ListedFile> {
        let Some(Content::Dir(children)) = self.tree.node(dir).map(|n| &n.content) else {
            return Vec::new();
        };
        let Some(entries) = children.get(from..to.min(children.len())) else {
            return Vec::new();
        };
        entries
            .iter()
            .enumerate()
            .filter_map(|(k, c)| {
                let node = self
                    .tree
                    .node(c.ino)
                    .filter(|n| n.kind() == FileKind::File)?;
                Some(ListedFile {
                    index: from + k,
                    ino: c.ino,
                    size: node.size(),
                })
            })
            .collect()
    }

    fn readlink(&self, ino: u64) -> VfsResult<Vec<u8>> {
        match &self.node(ino)?.content {
            Content::Symlink(t) => Ok(t.to_vec()),
            _ => Err(VfsError::NotASymlink),
        }
    }

    fn listxattr(&self, ino: u64) -> VfsResult<Vec<OsString>> {
        self.node(ino)?;
        Ok(Vec::new())
    }

    fn getxattr(&self, ino: u64, _name: &OsStr) -> VfsResult<Vec<u8>> {
        self.node(ino)?;
        Err(VfsError::NoAttribute)
    }

    fn statfs(&self) -> StatFs {
        StatFs {
            blocks: self.src.len().div_ceil(2048),
            free_blocks: 0,
            files: self.tree.len() as u64,
            free_files: 0,
            block_size: 2048,
            max_name_len: 255,
        }
    }
}
