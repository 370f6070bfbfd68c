//! The write half of a read-write mount, creating names: files, directories, symlinks and hard
//! links, with the name checks and new-inode defaults every write path shares. The tree changes
//! in place under its lock; unchanged files keep being read lazily from the WIM. Removing and
//! renaming are in `remove_rename.rs`, file data and attributes in `write_data.rs`.

use std::ffi::{OsStr, OsString};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use common::vfs::{is_safe_name, Attr, OpenInfo, VfsError, VfsResult};

use super::attr::now_filetime;
use super::journal::Op;
use super::mounted_image::{Handle, WimFs};
use super::symlink::symlink_reparse_data;
use crate::format::dentry::{ATTR_DIRECTORY, ATTR_REPARSE_POINT};
use crate::format::reparse::TAG_SYMLINK;
use crate::format::tagged::UnixData;
use crate::inode::{Content, Inode, NodeKind};
use crate::staging::Staging;

/// FILE_ATTRIBUTE_NORMAL.
const ATTR_NORMAL: u32 = 0x80;
/// File-type bits of the UNIX data's `st_mode` (Linux's values, which the format stores on
/// every host).
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;
/// Longest name NTFS (and so a WIM applied to it) allows, in UTF-16 units.
const MAX_NAME_UNITS: usize = 255;

pub(super) fn check_name(name: &OsStr) -> VfsResult<OsString> {
    let bytes = name.as_encoded_bytes();
    if !is_safe_name(bytes) {
        return Err(VfsError::InvalidArgument(format!(
            "{name:?} cannot be a name"
        )));
    }
    let text = name.to_str().ok_or_else(|| {
        VfsError::InvalidArgument("names must be UTF-8 to be stored in a WIM".into())
    })?;
    if text.encode_utf16().count() > MAX_NAME_UNITS {
        return Err(VfsError::NameTooLong);
    }
    Ok(name.to_os_string())
}

pub(super) fn type_bits(kind: NodeKind) -> u32 {
    match kind {
        NodeKind::File => S_IFREG,
        NodeKind::Directory => S_IFDIR,
        NodeKind::Symlink => S_IFLNK,
    }
}

impl WimFs {
    /// The staging area, if this mount accepts writes now.
    pub(super) fn writable(&self) -> VfsResult<&Staging> {
        let staging = self.staging.as_ref().ok_or(VfsError::ReadOnly)?;
        if self.frozen.load(Ordering::SeqCst) {
            return Err(VfsError::Busy("a commit is in progress".into()));
        }
        Ok(staging)
    }

    /// Records that the image changed.
    pub(super) fn touched(&self) {
        self.dirty.store(true, Ordering::Relaxed);
    }

    fn new_inode(&self, parent: &Inode, parent_ino: u64, kind: NodeKind, perm: u16) -> Inode {
        let now = now_filetime();
        let attributes = match kind {
            NodeKind::File => ATTR_NORMAL,
            NodeKind::Directory => ATTR_DIRECTORY,
            NodeKind::Symlink => ATTR_REPARSE_POINT,
        };
        // Images captured with UNIX data keep it for new files too.
        let unix = parent.unix.map(|_| UnixData {
            uid: self.opts.uid,
            gid: self.opts.gid,
            mode: type_bits(kind) | u32::from(perm & 0o7777),
            rdev: 0,
        });
        Inode {
            kind,
            attributes,
            security_id: parent.security_id,
            times: [now, now, now],
            data: Content::EMPTY,
            reparse: None,
            reparse_tag: 0,
            rp_flags: 0,
            named_streams: Vec::new(),
            unix,
            xattrs: Vec::new(),
            object_id: None,
            raw_tagged: Vec::new(),
            short_name: Vec::new(),
            nlink: if kind == NodeKind::Directory { 2 } else { 1 },
            parent: parent_ino,
            children: Vec::new(),
        }
    }

    /// Adds a new inode named `name` under `parent`; returns its number. `op` builds the
    /// journal record from the new inode number.
    fn insert_new(
        &self,
        parent: u64,
        name: &OsStr,
        kind: NodeKind,
        perm: u16,
        op: impl FnOnce(u64) -> Op,
        fill: impl FnOnce(&mut Inode),
    ) -> VfsResult<(u64, Attr)> {
        self.writable()?;
        let name = check_name(name)?;
        let mut tree = self.tree.write();
        let dir = tree.inode(parent).ok_or(VfsError::NotFound)?;
        if dir.kind != NodeKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        let pos = match dir.child_pos(name.as_encoded_bytes()) {
            Ok(_) => return Err(VfsError::Exists),
            Err(p) => p,
        };
        let mut inode = self.new_inode(dir, parent, kind, perm);
        fill(&mut inode);
        self.log(&op(tree.inodes.len() as u64 + 1))?;
        let ino = tree.add_inode(inode);
        let dir = tree.inode_mut(parent).ok_or(VfsError::NotFound)?;
        dir.children.insert(pos, (name, ino));
        dir.times[2] = now_filetime();
        if kind == NodeKind::Directory {
            dir.nlink = dir.nlink.saturating_add(1);
        }
        self.touched();
        let inode = tree.inode(ino).ok_or(VfsError::NotFound)?;
        Ok((ino, self.attr_of(ino, inode)))
    }

    /// Creates a file backed by staging file `id` (new, or from the journal on replay).
    pub(super) fn create_inner(
        &self,
        parent: u64,
        name: &OsStr,
        perm: u16,
        id: u64,
    ) -> VfsResult<(u64, Attr)> {
        let size = self.staging.as_ref().map_or(0, |s| s.len_of(id));
        let name_bytes = name.as_encoded_bytes().to_vec();
        self.insert_new(
            parent,
            name,
            NodeKind::File,
            perm,
            |ino| Op::Create {
                parent,
                name: name_bytes,
                ino,
                perm,
                staged: id,
            },
            |i| i.data = Content::Staged { id, size },
        )
    }

    pub(super) fn do_create(
        &self,
        parent: u64,
        name: &OsStr,
        perm: u16,
    ) -> VfsResult<(Attr, OpenInfo)> {
        let id = self.writable()?.create()?;
        let result = self.create_inner(parent, name, perm, id);
        let (ino, attr) = match result {
            Ok(r) => r,
            Err(e) => {
                if let Some(s) = &self.staging {
                    s.remove(id);
                }
                return Err(e);
            }
        };
        let handle = self.next_handle.fetch_add(1, Ordering::Relaxed);
        self.handles.lock().insert(
            handle,
            Handle {
                ino,
                write: true,
                seq: None,
            },
        );
        Ok((
            attr,
            OpenInfo {
                handle,
                immutable: false,
            },
        ))
    }

    pub(super) fn do_mkdir(&self, parent: u64, name: &OsStr, perm: u16) -> VfsResult<Attr> {
        let name_bytes = name.as_encoded_bytes().to_vec();
        let op = |ino| Op::Mkdir {
            parent,
            name: name_bytes,
            ino,
            perm,
        };
        Ok(self
            .insert_new(parent, name, NodeKind::Directory, perm, op, |_| {})?
            .1)
    }

    pub(super) fn do_symlink(&self, parent: u64, name: &OsStr, target: &[u8]) -> VfsResult<Attr> {
        let (data, rp_flags) = symlink_reparse_data(target)?;
        let name_bytes = name.as_encoded_bytes().to_vec();
        let op = |ino| Op::Symlink {
            parent,
            name: name_bytes,
            ino,
            target: target.to_vec(),
        };
        Ok(self
            .insert_new(parent, name, NodeKind::Symlink, 0o777, op, |i| {
                i.reparse = Some(Content::Inline(Arc::from(data)));
                i.reparse_tag = TAG_SYMLINK;
                i.rp_flags = rp_flags;
            })?
            .1)
    }

    pub(super) fn do_link(&self, ino: u64, parent: u64, name: &OsStr) -> VfsResult<Attr> {
        self.writable()?;
        let name = check_name(name)?;
        let mut tree = self.tree.write();
        let target = tree.inode(ino).ok_or(VfsError::NotFound)?;
        if target.kind != NodeKind::File || target.attributes & ATTR_REPARSE_POINT != 0 {
            return Err(VfsError::NotPermitted(
                "a WIM can hard-link only regular files".into(),
            ));
        }
        let dir = tree.inode(parent).ok_or(VfsError::NotFound)?;
        if dir.kind != NodeKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        let pos = dir
            .child_pos(name.as_encoded_bytes())
            .err()
            .ok_or(VfsError::Exists)?;
        self.log(&Op::Link {
            ino,
            parent,
            name: name.as_encoded_bytes().to_vec(),
        })?;
        let dir = tree.inode_mut(parent).ok_or(VfsError::NotFound)?;
        dir.children.insert(pos, (name, ino));
        dir.times[2] = now_filetime();
        let target = tree.inode_mut(ino).ok_or(VfsError::NotFound)?;
        target.nlink = target.nlink.saturating_add(1);
        self.touched();
        let target = tree.inode(ino).ok_or(VfsError::NotFound)?;
        Ok(self.attr_of(ino, target))
    }
}
