//! The write half of a read-write mount. File data is copied up into the staging directory on
//! the first write (or truncation), never held in memory; the tree changes in place under its
//! lock. Unchanged files keep being read lazily from the WIM.

use std::ffi::{OsStr, OsString};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use common::vfs::{is_safe_name, Attr, OpenInfo, SetAttr, VfsError, VfsResult};

use super::attr::{now_filetime, system_to_filetime};
use super::journal::Op;
use super::staging::Staging;
use super::symlink::symlink_reparse_data;
use super::wimfs::{Handle, WimFs};
use crate::format::dentry::{ATTR_DIRECTORY, ATTR_REPARSE_POINT};
use crate::format::reparse::TAG_SYMLINK;
use crate::format::tagged::UnixData;
use crate::model::{Content, Inode, NodeKind};
use crate::tree::ImageTree;

/// FILE_ATTRIBUTE_NORMAL.
const ATTR_NORMAL: u32 = 0x80;
/// File-type bits of the UNIX data's `st_mode` (Linux's values, which the format stores on
/// every host).
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;
/// Longest name NTFS (and so a WIM applied to it) allows, in UTF-16 units.
const MAX_NAME_UNITS: usize = 255;

fn check_name(name: &OsStr) -> VfsResult<OsString> {
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

fn type_bits(kind: NodeKind) -> u32 {
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

    /// Drops one name of `ino`; frees the inode when no name and no handle is left.
    fn drop_name(&self, tree: &mut ImageTree, ino: u64) {
        let Some(inode) = tree.inode_mut(ino) else {
            return;
        };
        inode.nlink = inode.nlink.saturating_sub(1);
        let gone = inode.kind == NodeKind::Directory || inode.nlink == 0;
        if gone && !self.handles.lock().values().any(|h| h.ino == ino) {
            self.free_inode(tree, ino);
        }
    }

    /// Removes an inode and its staging files.
    fn free_inode(&self, tree: &mut ImageTree, ino: u64) {
        let Some(slot) = ino
            .checked_sub(1)
            .and_then(|i| tree.inodes.get_mut(i as usize))
        else {
            return;
        };
        if let Some(inode) = slot.take() {
            if let Some(staging) = &self.staging {
                for c in
                    std::iter::once(&inode.data).chain(inode.named_streams.iter().map(|(_, c)| c))
                {
                    if let Content::Staged { id, .. } = c {
                        staging.remove(*id);
                    }
                }
            }
        }
        self.link_targets.lock().remove(&ino);
    }

    pub(super) fn do_unlink(&self, parent: u64, name: &OsStr) -> VfsResult<()> {
        self.remove_entry(parent, name, false)
    }

    pub(super) fn do_rmdir(&self, parent: u64, name: &OsStr) -> VfsResult<()> {
        self.remove_entry(parent, name, true)
    }

    fn remove_entry(&self, parent: u64, name: &OsStr, dir_wanted: bool) -> VfsResult<()> {
        self.writable()?;
        let mut tree = self.tree.write();
        let dir = tree.inode(parent).ok_or(VfsError::NotFound)?;
        if dir.kind != NodeKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        let pos = dir
            .child_pos(name.as_encoded_bytes())
            .map_err(|_| VfsError::NotFound)?;
        let ino = dir.children[pos].1;
        let victim = tree.inode(ino).ok_or(VfsError::NotFound)?;
        match (dir_wanted, victim.kind == NodeKind::Directory) {
            (true, false) => return Err(VfsError::NotADirectory),
            (false, true) => return Err(VfsError::IsADirectory),
            (true, true) if !victim.children.is_empty() => return Err(VfsError::NotEmpty),
            _ => {}
        }
        let is_dir = victim.kind == NodeKind::Directory;
        self.log(&Op::Remove {
            parent,
            name: name.as_encoded_bytes().to_vec(),
            dir: dir_wanted,
        })?;
        let dir = tree.inode_mut(parent).ok_or(VfsError::NotFound)?;
        dir.children.remove(pos);
        dir.times[2] = now_filetime();
        if is_dir {
            dir.nlink = dir.nlink.saturating_sub(1);
        }
        self.drop_name(&mut tree, ino);
        self.touched();
        Ok(())
    }

    pub(super) fn do_rename(
        &self,
        parent: u64,
        name: &OsStr,
        new_parent: u64,
        new_name: &OsStr,
        no_replace: bool,
    ) -> VfsResult<()> {
        self.writable()?;
        let new_name = check_name(new_name)?;
        let mut tree = self.tree.write();
        let src_dir = tree.inode(parent).ok_or(VfsError::NotFound)?;
        let ino = src_dir
            .child(name.as_encoded_bytes())
            .ok_or(VfsError::NotFound)?;
        let dst_dir = tree.inode(new_parent).ok_or(VfsError::NotFound)?;
        if dst_dir.kind != NodeKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        let existing = dst_dir.child(new_name.as_encoded_bytes());
        if existing == Some(ino) {
            return Ok(()); // same file (or another link to it): POSIX says do nothing
        }
        let src_is_dir = tree
            .inode(ino)
            .is_some_and(|i| i.kind == NodeKind::Directory);
        if let Some(old) = existing {
            if no_replace {
                return Err(VfsError::Exists);
            }
            let old_inode = tree.inode(old).ok_or(VfsError::NotFound)?;
            match (src_is_dir, old_inode.kind == NodeKind::Directory) {
                (true, false) => return Err(VfsError::NotADirectory),
                (false, true) => return Err(VfsError::IsADirectory),
                (true, true) if !old_inode.children.is_empty() => return Err(VfsError::NotEmpty),
                _ => {}
            }
        }
        if src_is_dir {
            // A directory cannot move below itself.
            let mut at = new_parent;
            for _ in 0..tree.inodes.len() {
                if at == ino {
                    return Err(VfsError::InvalidArgument(
                        "a directory cannot move into itself".into(),
                    ));
                }
                let up = tree.inode(at).map_or(1, |i| i.parent);
                if at == 1 || up == at {
                    break;
                }
                at = up;
            }
        }
        self.log(&Op::Rename {
            parent,
            name: name.as_encoded_bytes().to_vec(),
            new_parent,
            new_name: new_name.as_encoded_bytes().to_vec(),
            no_replace,
        })?;
        let now = now_filetime();
        if let Some(old) = existing {
            let d = tree.inode_mut(new_parent).ok_or(VfsError::NotFound)?;
            if let Ok(p) = d.child_pos(new_name.as_encoded_bytes()) {
                d.children.remove(p);
            }
            if src_is_dir {
                d.nlink = d.nlink.saturating_sub(1);
            }
            self.drop_name(&mut tree, old);
        }
        let s = tree.inode_mut(parent).ok_or(VfsError::NotFound)?;
        if let Ok(p) = s.child_pos(name.as_encoded_bytes()) {
            s.children.remove(p);
        }
        s.times[2] = now;
        if src_is_dir {
            s.nlink = s.nlink.saturating_sub(1);
        }
        let d = tree.inode_mut(new_parent).ok_or(VfsError::NotFound)?;
        let pos = d
            .child_pos(new_name.as_encoded_bytes())
            .unwrap_or_else(|p| p);
        d.children.insert(pos, (new_name, ino));
        d.times[2] = now;
        if src_is_dir {
            d.nlink = d.nlink.saturating_add(1);
        }
        if let Some(moved) = tree.inode_mut(ino) {
            if src_is_dir || moved.parent == parent {
                moved.parent = new_parent;
            }
        }
        self.touched();
        Ok(())
    }

    /// Makes sure `ino`'s data is a staging file (copying it out of the WIM the first time);
    /// returns the staging id. With `empty`, the old data is not copied (truncation to 0).
    fn ensure_staged(&self, ino: u64, empty: bool) -> VfsResult<u64> {
        let staging = self.writable()?;
        let current = {
            let tree = self.tree.read();
            let inode = tree.inode(ino).ok_or(VfsError::NotFound)?;
            if inode.kind != NodeKind::File {
                return Err(VfsError::IsADirectory);
            }
            inode.data.clone()
        };
        if let Content::Staged { id, .. } = current {
            return Ok(id);
        }
        let id = staging.create()?;
        let mut size = 0u64;
        if !empty {
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = match self.read_content(&current, size, &mut buf) {
                    Ok(n) => n,
                    Err(e) => {
                        staging.remove(id);
                        return Err(e);
                    }
                };
                if n == 0 {
                    break;
                }
                if let Err(e) = staging.write(id, size, &buf[..n]) {
                    staging.remove(id);
                    return Err(e);
                }
                size += n as u64;
            }
        }
        let mut tree = self.tree.write();
        let inode = tree.inode_mut(ino).ok_or(VfsError::NotFound)?;
        if inode.data != current {
            // Someone else staged it meanwhile: use theirs.
            staging.remove(id);
            return match inode.data {
                Content::Staged { id, .. } => Ok(id),
                _ => Err(VfsError::Busy("the file changed during copy-up".into())),
            };
        }
        if let Err(e) = self.log(&Op::Stage {
            ino,
            staged: id,
            empty,
        }) {
            staging.remove(id);
            return Err(e);
        }
        inode.data = Content::Staged { id, size };
        self.touched();
        Ok(id)
    }

    pub(super) fn open_for_write(&self, ino: u64) -> VfsResult<OpenInfo> {
        self.writable()?;
        {
            let tree = self.tree.read();
            let inode = tree.inode(ino).ok_or(VfsError::NotFound)?;
            if inode.kind == NodeKind::Directory {
                return Err(VfsError::IsADirectory);
            }
        }
        let handle = self.next_handle.fetch_add(1, Ordering::Relaxed);
        self.handles.lock().insert(
            handle,
            Handle {
                ino,
                write: true,
                seq: None,
            },
        );
        Ok(OpenInfo {
            handle,
            immutable: false,
        })
    }

    pub(super) fn do_write(
        &self,
        ino: u64,
        handle: u64,
        offset: u64,
        data: &[u8],
    ) -> VfsResult<usize> {
        if !self
            .handles
            .lock()
            .get(&handle)
            .is_some_and(|h| h.write && h.ino == ino)
        {
            return Err(VfsError::InvalidArgument(
                "the file is not open for writing".into(),
            ));
        }
        let end = offset
            .checked_add(data.len() as u64)
            .ok_or_else(|| VfsError::InvalidArgument("offset overflows".into()))?;
        let id = self.ensure_staged(ino, false)?;
        self.writable()?.write(id, offset, data)?;
        let mut tree = self.tree.write();
        let inode = tree.inode_mut(ino).ok_or(VfsError::NotFound)?;
        if let Content::Staged { size, .. } = &mut inode.data {
            *size = (*size).max(end);
        }
        inode.times[2] = now_filetime();
        Ok(data.len())
    }

    pub(super) fn do_fsync(&self, ino: u64, _handle: u64) -> VfsResult<()> {
        let Some(staging) = &self.staging else {
            return Ok(());
        };
        self.sync_journal()?;
        let data = self.tree.read().inode(ino).map(|i| i.data.clone());
        if let Some(Content::Staged { id, .. }) = data {
            staging.sync(id)?;
        }
        Ok(())
    }

    pub(super) fn do_setattr(&self, ino: u64, c: &SetAttr) -> VfsResult<Attr> {
        self.writable()?;
        if let Some(new_size) = c.size {
            let id = self.ensure_staged(ino, new_size == 0)?;
            self.writable()?.set_len(id, new_size)?;
            let mut tree = self.tree.write();
            let inode = tree.inode_mut(ino).ok_or(VfsError::NotFound)?;
            if let Content::Staged { size, .. } = &mut inode.data {
                *size = new_size;
            }
            inode.times[2] = now_filetime();
        }
        let mut tree = self.tree.write();
        if tree.inode(ino).is_none() {
            return Err(VfsError::NotFound);
        }
        let (atime, mtime) = (
            c.atime.map(system_to_filetime),
            c.mtime.map(system_to_filetime),
        );
        if c.perm.is_some()
            || c.uid.is_some()
            || c.gid.is_some()
            || atime.is_some()
            || mtime.is_some()
        {
            self.log(&Op::SetAttr {
                ino,
                perm: c.perm,
                uid: c.uid,
                gid: c.gid,
                atime,
                mtime,
            })?;
        }
        let inode = tree.inode_mut(ino).ok_or(VfsError::NotFound)?;
        if c.perm.is_some() || c.uid.is_some() || c.gid.is_some() {
            let kind = inode.kind;
            let current = inode.unix.unwrap_or(UnixData {
                uid: self.opts.uid,
                gid: self.opts.gid,
                mode: type_bits(kind)
                    | match kind {
                        NodeKind::Directory => 0o755,
                        NodeKind::Symlink => 0o777,
                        NodeKind::File => 0o644,
                    },
                rdev: 0,
            });
            inode.unix = Some(UnixData {
                uid: c.uid.unwrap_or(current.uid),
                gid: c.gid.unwrap_or(current.gid),
                mode: c.perm.map_or(current.mode, |p| {
                    (current.mode & !0o7777) | u32::from(p & 0o7777)
                }),
                rdev: current.rdev,
            });
        }
        if let Some(t) = atime {
            inode.times[1] = t;
        }
        if let Some(t) = mtime {
            inode.times[2] = t;
        }
        self.touched();
        let inode = tree.inode(ino).ok_or(VfsError::NotFound)?;
        Ok(self.attr_of(ino, inode))
    }

    /// Called when a handle closes: frees an unlinked inode whose last handle this was.
    pub(super) fn reap(&self, ino: u64) {
        let mut tree = self.tree.write();
        let orphan = tree
            .inode(ino)
            .is_some_and(|i| i.nlink == 0 && i.kind != NodeKind::Directory);
        if orphan && !self.handles.lock().values().any(|h| h.ino == ino) {
            self.free_inode(&mut tree, ino);
        }
    }
}
