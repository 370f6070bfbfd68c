//! Applying the ops that change names: create, mkdir, symlink, link, remove, rename. Each
//! checks everything first and changes the tree only when the op applies.

use std::ffi::OsString;
use std::sync::Arc;

use common::vfs::{VfsError, VfsResult};

use super::names::{check_name, symlink_reparse_data, type_bits};
use super::{Applied, ApplyContext};
use crate::format::dentry::{ATTR_DIRECTORY, ATTR_REPARSE_POINT};
use crate::format::reparse::TAG_SYMLINK;
use crate::format::tagged::UnixData;
use crate::inode::{Content, Inode, NodeKind};
use crate::tree::ImageTree;

/// FILE_ATTRIBUTE_NORMAL.
const ATTR_NORMAL: u32 = 0x80;

/// A new name from op bytes (as the host gave it), checked like every stored name.
fn new_name(bytes: &[u8]) -> VfsResult<OsString> {
    let name = common::osname::from_bytes(bytes).ok_or_else(|| {
        VfsError::InvalidArgument("names must be UTF-8 to be stored in a WIM".into())
    })?;
    check_name(name)
}

/// What a rename does, once checked.
pub(super) struct RenamePlan {
    ino: u64,
    new_name: OsString,
    existing: Option<u64>,
    src_is_dir: bool,
}

impl ImageTree {
    /// Checks that `name` can be added to directory `parent`; returns its position.
    pub(super) fn check_new_name(&self, parent: u64, name: &[u8]) -> VfsResult<(usize, OsString)> {
        let name = new_name(name)?;
        let dir = self.inode(parent).ok_or(VfsError::NotFound)?;
        if dir.kind != NodeKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        match dir.child_pos(name.as_encoded_bytes()) {
            Ok(_) => Err(VfsError::Exists),
            Err(pos) => Ok((pos, name)),
        }
    }

    /// Adds `inode` (built from its parent) as `name` in `parent`.
    fn insert_new(
        &mut self,
        parent: u64,
        name: &[u8],
        kind: NodeKind,
        perm: u16,
        ctx: &ApplyContext<'_>,
        fill: impl FnOnce(&mut Inode),
    ) -> VfsResult<Applied> {
        let (pos, name) = self.check_new_name(parent, name)?;
        let dir = self.inode(parent).ok_or(VfsError::NotFound)?;
        let mut inode = new_inode(dir, parent, kind, perm, ctx);
        fill(&mut inode);
        let ino = self.add_inode(inode);
        let dir = self.inode_mut(parent).ok_or(VfsError::NotFound)?;
        dir.children.insert(pos, (name, ino));
        dir.times[2] = ctx.now;
        if kind == NodeKind::Directory {
            dir.nlink = dir.nlink.saturating_add(1);
        }
        Ok(Applied::default())
    }

    pub(super) fn apply_create(
        &mut self,
        parent: u64,
        name: &[u8],
        perm: u16,
        staged: u64,
        ctx: &ApplyContext<'_>,
    ) -> VfsResult<Applied> {
        let size = (ctx.staged_size)(staged);
        self.insert_new(parent, name, NodeKind::File, perm, ctx, |i| {
            i.data = Content::Staged { id: staged, size };
        })
    }

    pub(super) fn apply_mkdir(
        &mut self,
        parent: u64,
        name: &[u8],
        perm: u16,
        ctx: &ApplyContext<'_>,
    ) -> VfsResult<Applied> {
        self.insert_new(parent, name, NodeKind::Directory, perm, ctx, |_| {})
    }

    pub(super) fn apply_symlink(
        &mut self,
        parent: u64,
        name: &[u8],
        target: &[u8],
        ctx: &ApplyContext<'_>,
    ) -> VfsResult<Applied> {
        let (data, rp_flags) = symlink_reparse_data(target)?;
        self.insert_new(parent, name, NodeKind::Symlink, 0o777, ctx, |i| {
            let extras = i.extras_mut();
            extras.reparse = Some(Content::Inline(Arc::from(data)));
            extras.reparse_tag = TAG_SYMLINK;
            extras.rp_flags = rp_flags;
        })
    }

    /// Checks that `ino` can get the new name `name` in `parent`.
    pub(super) fn check_link(
        &self,
        ino: u64,
        parent: u64,
        name: &[u8],
    ) -> VfsResult<(usize, OsString)> {
        let name = new_name(name)?;
        let target = self.inode(ino).ok_or(VfsError::NotFound)?;
        if target.kind != NodeKind::File || target.attributes & ATTR_REPARSE_POINT != 0 {
            return Err(VfsError::NotPermitted(
                "a WIM can hard-link only regular files".into(),
            ));
        }
        let dir = self.inode(parent).ok_or(VfsError::NotFound)?;
        if dir.kind != NodeKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        let pos = dir
            .child_pos(name.as_encoded_bytes())
            .err()
            .ok_or(VfsError::Exists)?;
        Ok((pos, name))
    }

    pub(super) fn apply_link(
        &mut self,
        ino: u64,
        parent: u64,
        name: &[u8],
        ctx: &ApplyContext<'_>,
    ) -> VfsResult<Applied> {
        let (pos, name) = self.check_link(ino, parent, name)?;
        let dir = self.inode_mut(parent).ok_or(VfsError::NotFound)?;
        dir.children.insert(pos, (name, ino));
        dir.times[2] = ctx.now;
        let target = self.inode_mut(ino).ok_or(VfsError::NotFound)?;
        target.nlink = target.nlink.saturating_add(1);
        Ok(Applied::default())
    }

    /// Checks that `name` in `parent` can be removed; returns its position and inode.
    pub(super) fn check_remove(
        &self,
        parent: u64,
        name: &[u8],
        dir_wanted: bool,
    ) -> VfsResult<(usize, u64)> {
        let dir = self.inode(parent).ok_or(VfsError::NotFound)?;
        if dir.kind != NodeKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        let pos = dir.child_pos(name).map_err(|_| VfsError::NotFound)?;
        let ino = dir.children[pos].1;
        let victim = self.inode(ino).ok_or(VfsError::NotFound)?;
        match (dir_wanted, victim.kind == NodeKind::Directory) {
            (true, false) => Err(VfsError::NotADirectory),
            (false, true) => Err(VfsError::IsADirectory),
            (true, true) if !victim.children.is_empty() => Err(VfsError::NotEmpty),
            _ => Ok((pos, ino)),
        }
    }

    pub(super) fn apply_remove(
        &mut self,
        parent: u64,
        name: &[u8],
        dir_wanted: bool,
        ctx: &ApplyContext<'_>,
    ) -> VfsResult<Applied> {
        let (pos, ino) = self.check_remove(parent, name, dir_wanted)?;
        let is_dir = self
            .inode(ino)
            .is_some_and(|i| i.kind == NodeKind::Directory);
        let dir = self.inode_mut(parent).ok_or(VfsError::NotFound)?;
        dir.children.remove(pos);
        dir.times[2] = ctx.now;
        if is_dir {
            dir.nlink = dir.nlink.saturating_sub(1);
        }
        Ok(self.drop_name(ino))
    }

    /// Drops one name of `ino`; it is unlinked when no name is left (or it is a directory).
    fn drop_name(&mut self, ino: u64) -> Applied {
        let Some(inode) = self.inode_mut(ino) else {
            return Applied::default();
        };
        inode.nlink = inode.nlink.saturating_sub(1);
        let gone = inode.kind == NodeKind::Directory || inode.nlink == 0;
        Applied {
            unlinked: gone.then_some(ino),
        }
    }

    /// Checks a rename; `None` when it changes nothing (the new name already is this inode).
    pub(super) fn check_rename(
        &self,
        parent: u64,
        name: &[u8],
        new_parent: u64,
        new_name_bytes: &[u8],
        no_replace: bool,
    ) -> VfsResult<Option<RenamePlan>> {
        let new_name = new_name(new_name_bytes)?;
        let src_dir = self.inode(parent).ok_or(VfsError::NotFound)?;
        let ino = src_dir.child(name).ok_or(VfsError::NotFound)?;
        let dst_dir = self.inode(new_parent).ok_or(VfsError::NotFound)?;
        if dst_dir.kind != NodeKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        let existing = dst_dir.child(new_name.as_encoded_bytes());
        if existing == Some(ino) {
            return Ok(None); // same file (or another link to it): POSIX says do nothing
        }
        let src_is_dir = self
            .inode(ino)
            .is_some_and(|i| i.kind == NodeKind::Directory);
        if let Some(old) = existing {
            if no_replace {
                return Err(VfsError::Exists);
            }
            let old_inode = self.inode(old).ok_or(VfsError::NotFound)?;
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
            for _ in 0..self.inodes.len() {
                if at == ino {
                    return Err(VfsError::InvalidArgument(
                        "a directory cannot move into itself".into(),
                    ));
                }
                let up = self.inode(at).map_or(1, |i| i.parent);
                if at == 1 || up == at {
                    break;
                }
                at = up;
            }
        }
        Ok(Some(RenamePlan {
            ino,
            new_name,
            existing,
            src_is_dir,
        }))
    }

    pub(super) fn apply_rename(
        &mut self,
        parent: u64,
        name: &[u8],
        new_parent: u64,
        new_name: &[u8],
        no_replace: bool,
        ctx: &ApplyContext<'_>,
    ) -> VfsResult<Applied> {
        let Some(plan) = self.check_rename(parent, name, new_parent, new_name, no_replace)? else {
            return Ok(Applied::default());
        };
        let RenamePlan {
            ino,
            new_name,
            existing,
            src_is_dir,
        } = plan;
        let mut applied = Applied::default();
        if let Some(old) = existing {
            let d = self.inode_mut(new_parent).ok_or(VfsError::NotFound)?;
            if let Ok(p) = d.child_pos(new_name.as_encoded_bytes()) {
                d.children.remove(p);
            }
            if src_is_dir {
                d.nlink = d.nlink.saturating_sub(1);
            }
            applied = self.drop_name(old);
        }
        let s = self.inode_mut(parent).ok_or(VfsError::NotFound)?;
        if let Ok(p) = s.child_pos(name) {
            s.children.remove(p);
        }
        s.times[2] = ctx.now;
        if src_is_dir {
            s.nlink = s.nlink.saturating_sub(1);
        }
        let d = self.inode_mut(new_parent).ok_or(VfsError::NotFound)?;
        let pos = d
            .child_pos(new_name.as_encoded_bytes())
            .unwrap_or_else(|p| p);
        d.children.insert(pos, (new_name, ino));
        d.times[2] = ctx.now;
        if src_is_dir {
            d.nlink = d.nlink.saturating_add(1);
        }
        if let Some(moved) = self.inode_mut(ino) {
            if src_is_dir || moved.parent == parent {
                moved.parent = new_parent;
            }
        }
        Ok(applied)
    }
}

/// A new inode of `kind` in directory `parent` (number `parent_ino`).
fn new_inode(
    parent: &Inode,
    parent_ino: u64,
    kind: NodeKind,
    perm: u16,
    ctx: &ApplyContext<'_>,
) -> Inode {
    let attributes = match kind {
        NodeKind::File => ATTR_NORMAL,
        NodeKind::Directory => ATTR_DIRECTORY,
        NodeKind::Symlink => ATTR_REPARSE_POINT,
    };
    // Images captured with UNIX data keep it for new files too.
    let unix = parent.unix.map(|_| UnixData {
        uid: ctx.uid,
        gid: ctx.gid,
        mode: type_bits(kind) | u32::from(perm & 0o7777),
        rdev: 0,
    });
    let mut inode = Inode::bare(
        kind,
        attributes,
        if kind == NodeKind::Directory { 2 } else { 1 },
        parent_ino,
    );
    inode.security_id = parent.security_id;
    inode.times = [ctx.now, ctx.now, ctx.now];
    inode.unix = unix;
    inode
}
