//! [`Vfs`] for [`CollectionFs`]: each call is routed by the node its inode stands for: a host
//! directory, an inode of an image (passed through, renumbered), or a WIM's image list.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use common::vfs::{Attr, DirEntry, FileKind, OpenInfo, StatFs, Vfs, VfsError, VfsResult, ROOT_INO};

use common::nested::VfsFile;

use super::fs::{CollectionFs, OpenFile, ERROR_XATTR};
use super::host::{self, HostKind, IMAGES_SUFFIX};
use super::inodes::{Node, SlotId};
use super::slots::Origin;
use crate::split_parts;

/// How long the kernel may cache what can change under us: host directories, image
/// directories (an image may fail, then open), image lists.
const LIVE_TTL: Duration = Duration::from_secs(1);

/// True when file `ino` named `name` of image `fs` shows its images (`NAME.d`): a WIM or ESD
/// by its name, a split part when its header says it is the first.
fn shows_images(fs: &Arc<dyn Vfs>, ino: u64, name: &OsStr) -> bool {
    host::is_wim_name(name)
        || (host::is_split_name(name)
            && VfsFile::open_ino(Arc::clone(fs), ino, name.to_string_lossy().into_owned())
                .is_ok_and(|file| split_parts::is_first_part(&file)))
}

impl CollectionFs {
    fn lookup_inner(&self, id: SlotId, dir: u64, name: &OsStr, path: &Path) -> VfsResult<Attr> {
        let fs = self.fs_for(id, dir)?.ok_or(VfsError::NotFound)?;
        match fs.lookup(dir, name) {
            Ok(attr) => Ok(self.map_attr(id, attr, path)),
            Err(VfsError::NotFound) if self.opts.wim => {
                let stem = host::wim_name_of_images_dir(name).ok_or(VfsError::NotFound)?;
                let file = fs.lookup(dir, stem)?;
                if file.kind != FileKind::File || !shows_images(&fs, file.ino, stem) {
                    return Err(VfsError::NotFound);
                }
                let origin = Origin::InnerFile {
                    parent: id,
                    dir,
                    ino: file.ino,
                };
                let wim = self.wim_slot(origin, file.mtime, path);
                self.images_dir_attr(wim, path)
            }
            Err(e) => Err(e),
        }
    }

    fn image_index(&self, wim: SlotId, name: &OsStr) -> VfsResult<u32> {
        let count = self
            .wim_of(wim)
            .map_err(|_| VfsError::NotFound)?
            .image_count();
        name.to_str()
            .and_then(|s| s.parse::<u32>().ok().filter(|i| i.to_string() == s))
            .filter(|i| (1..=count).contains(i))
            .ok_or(VfsError::NotFound)
    }

    fn lookup_image(&self, wim: SlotId, name: &OsStr, path: &Path) -> VfsResult<Attr> {
        let index = self.image_index(wim, name)?;
        let id = self.image_slot(&*self.slot(wim)?, wim, index, path);
        self.lookup_slot_root(id, path)
    }

    fn readdir_host(
        &self,
        rel: &Path,
        path: &Path,
        offset: u64,
        fill: &mut dyn FnMut(u64, &DirEntry) -> bool,
    ) -> VfsResult<()> {
        let dir = self.opts.root.join(rel);
        let entries = host::list(&dir, self.opts.wim).map_err(|e| VfsError::Io {
            context: dir.display().to_string(),
            source: e,
        })?;
        for (i, e) in entries.into_iter().enumerate().skip(offset as usize) {
            let child = path.join(&e.name);
            let ino = match e.kind {
                HostKind::Dir => self.inodes.intern(Node::Host(rel.join(&e.name)), &child),
                HostKind::Iso(stamp) => {
                    let id = self.iso_slot(dir.join(&e.name), stamp, &child);
                    self.root_ino(id, &child)
                }
                HostKind::WimImages(file, stamp) => {
                    let origin = Origin::HostFile(dir.join(file), stamp);
                    let id = self.wim_slot(origin, stamp.mtime, &child);
                    self.inodes.intern(Node::WimImages { wim: id }, &child)
                }
            };
            let entry = DirEntry {
                ino,
                kind: FileKind::Directory,
                name: e.name,
            };
            if fill(i as u64 + 1, &entry) {
                break;
            }
        }
        Ok(())
    }

    /// Lists an image's directory. With `--wim`, each WIM file is followed by its
    /// `NAME.wim.d` entry; offsets are `2 * inner offset`, and an odd offset `2k + 1` means
    /// "the entry at inner offset k is listed, its `.d` entry is not yet".
    fn readdir_inner(
        &self,
        id: SlotId,
        dir: u64,
        path: &Path,
        offset: u64,
        fill: &mut dyn FnMut(u64, &DirEntry) -> bool,
    ) -> VfsResult<()> {
        let Some(fs) = self.fs_for(id, dir)? else {
            return Ok(());
        };
        let mut at = offset / 2;
        let mut skip_file = offset % 2 == 1;
        fs.readdir(dir, at, &mut |next, e| {
            let this = std::mem::replace(&mut at, next);
            let child = path.join(&e.name);
            let wim =
                self.opts.wim && e.kind == FileKind::File && shows_images(&fs, e.ino, &e.name);
            if !std::mem::take(&mut skip_file) {
                let entry = DirEntry {
                    ino: self.inodes.intern(
                        Node::Inner {
                            slot: id,
                            ino: e.ino,
                        },
                        &child,
                    ),
                    kind: e.kind,
                    name: e.name.clone(),
                };
                let off = if wim {
                    this.saturating_mul(2) | 1
                } else {
                    next.saturating_mul(2)
                };
                if fill(off, &entry) {
                    return true;
                }
            }
            if !wim {
                return false;
            }
            let mut name = e.name.clone();
            name.push(IMAGES_SUFFIX);
            let images_path = path.join(&name);
            let mtime = fs
                .getattr(e.ino)
                .map(|a| a.mtime)
                .unwrap_or(std::time::UNIX_EPOCH);
            let origin = Origin::InnerFile {
                parent: id,
                dir,
                ino: e.ino,
            };
            let wim_id = self.wim_slot(origin, mtime, &images_path);
            let entry = DirEntry {
                ino: self
                    .inodes
                    .intern(Node::WimImages { wim: wim_id }, &images_path),
                kind: FileKind::Directory,
                name,
            };
            fill(next.saturating_mul(2), &entry)
        })
    }

    fn readdir_images(
        &self,
        wim: SlotId,
        path: &Path,
        offset: u64,
        fill: &mut dyn FnMut(u64, &DirEntry) -> bool,
    ) -> VfsResult<()> {
        let Ok(w) = self.wim_of(wim) else {
            return Ok(());
        };
        let slot = self.slot(wim)?;
        let first = u32::try_from(offset.saturating_add(1)).unwrap_or(u32::MAX);
        for index in first..=w.image_count() {
            let name = OsString::from(index.to_string());
            let child = path.join(&name);
            let id = self.image_slot(&slot, wim, index, &child);
            let entry = DirEntry {
                ino: self.root_ino(id, &child),
                kind: FileKind::Directory,
                name,
            };
            if fill(u64::from(index), &entry) {
                break;
            }
        }
        Ok(())
    }

    /// The error of the image behind a node, if it could not be opened.
    fn error_of(&self, node: &Node) -> Option<String> {
        match node {
            Node::Inner { slot, ino } if *ino == ROOT_INO => self.slots.get(*slot)?.error(),
            Node::WimImages { wim } => self.slots.get(*wim)?.error(),
            _ => None,
        }
    }
}

impl Vfs for CollectionFs {
    fn lookup(&self, parent: u64, name: &OsStr) -> VfsResult<Attr> {
        let (node, path) = self.node(parent)?;
        let path = path.join(name);
        match node {
            Node::Host(rel) => self.lookup_host(&rel, name, &path),
            Node::Inner { slot, ino } => self.lookup_inner(slot, ino, name, &path),
            Node::WimImages { wim } => self.lookup_image(wim, name, &path),
        }
    }

    fn getattr(&self, ino: u64) -> VfsResult<Attr> {
        match self.node(ino)?.0 {
            Node::Host(rel) => self.host_dir_attr(ino, &rel),
            Node::Inner {
                slot,
                ino: ROOT_INO,
            } => self.slot_root_attr(slot, ino),
            Node::Inner { slot, ino: inner } => {
                let fs = self.fs_for(slot, inner)?.ok_or(VfsError::NotFound)?;
                let mut attr = fs.getattr(inner)?;
                attr.ino = ino;
                Ok(attr)
            }
            Node::WimImages { wim } => {
                let mut attr = self.slot(wim)?.closed_attr.clone();
                attr.ino = ino;
                Ok(attr)
            }
        }
    }

    fn readdir(
        &self,
        ino: u64,
        offset: u64,
        fill: &mut dyn FnMut(u64, &DirEntry) -> bool,
    ) -> VfsResult<()> {
        let (node, path) = self.node(ino)?;
        match node {
            Node::Host(rel) => self.readdir_host(&rel, &path, offset, fill),
            Node::Inner { slot, ino } => self.readdir_inner(slot, ino, &path, offset, fill),
            Node::WimImages { wim } => self.readdir_images(wim, &path, offset, fill),
        }
    }

    fn open(&self, ino: u64, write: bool) -> VfsResult<OpenInfo> {
        if write {
            return Err(VfsError::ReadOnly);
        }
        let Node::Inner {
            slot: id,
            ino: inner,
        } = self.node(ino)?.0
        else {
            return Err(VfsError::IsADirectory);
        };
        let slot = self.slot(id)?;
        let fs = self.fs_for(id, inner)?.ok_or(VfsError::IsADirectory)?;
        let info = fs.open(inner, false)?;
        slot.hold();
        let handle = self.next_handle.fetch_add(1, Ordering::Relaxed);
        let file = OpenFile {
            slot,
            fs,
            ino: inner,
            handle: info.handle,
        };
        self.handles.write().insert(handle, file);
        Ok(OpenInfo {
            handle,
            immutable: info.immutable,
        })
    }

    fn read(&self, _ino: u64, handle: u64, offset: u64, buf: &mut [u8]) -> VfsResult<usize> {
        let (fs, ino, inner) = {
            let handles = self.handles.read();
            let f = handles.get(&handle).ok_or(VfsError::NotFound)?;
            (std::sync::Arc::clone(&f.fs), f.ino, f.handle)
        };
        fs.read(ino, inner, offset, buf)
    }

    fn release(&self, _ino: u64, handle: u64) -> VfsResult<()> {
        let Some(f) = self.handles.write().remove(&handle) else {
            return Ok(());
        };
        f.slot.unhold();
        f.fs.release(f.ino, f.handle)
    }

    fn readlink(&self, ino: u64) -> VfsResult<Vec<u8>> {
        match self.node(ino)?.0 {
            Node::Inner { slot, ino } if ino != ROOT_INO => self
                .fs_for(slot, ino)?
                .ok_or(VfsError::NotASymlink)?
                .readlink(ino),
            _ => Err(VfsError::NotASymlink),
        }
    }

    fn listxattr(&self, ino: u64) -> VfsResult<Vec<OsString>> {
        let node = self.node(ino)?.0;
        let mut names = match &node {
            Node::Inner { slot, ino } => match self.fs_for(*slot, *ino)? {
                Some(fs) => fs.listxattr(*ino)?,
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        if self.error_of(&node).is_some() {
            names.push(ERROR_XATTR.into());
        }
        Ok(names)
    }

    fn getxattr(&self, ino: u64, name: &OsStr) -> VfsResult<Vec<u8>> {
        let node = self.node(ino)?.0;
        if name == ERROR_XATTR {
            if let Some(e) = self.error_of(&node) {
                return Ok(e.into_bytes());
            }
        }
        match node {
            Node::Inner { slot, ino } => self
                .fs_for(slot, ino)?
                .ok_or(VfsError::NoAttribute)?
                .getxattr(ino, name),
            _ => Err(VfsError::NoAttribute),
        }
    }

    fn statfs(&self) -> StatFs {
        StatFs {
            blocks: 0,
            free_blocks: 0,
            files: self.inodes.len() as u64,
            free_files: 0,
            block_size: 2048,
            max_name_len: 255,
        }
    }

    fn cache_ttl(&self, ino: u64) -> Option<Duration> {
        match self.inodes.get(ino)?.0 {
            Node::Inner { ino, .. } if ino != ROOT_INO => None,
            _ => Some(LIVE_TTL),
        }
    }
}
