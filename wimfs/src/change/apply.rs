//! Checking and applying an [`Op`] to an [`ImageTree`]: the dispatch, the context an op
//! needs (owner defaults, the time, staged sizes) and what the caller must follow up.

use common::vfs::{VfsError, VfsResult};

use super::names::symlink_reparse_data;
use super::op::Op;
use crate::tree::ImageTree;

/// What applying an op needs besides the op and the tree.
pub struct ApplyContext<'a> {
    /// Owner of new inodes (in images with UNIX data) and the default owner for chmod/chown
    /// of inodes without UNIX data.
    pub uid: u32,
    /// Their group.
    pub gid: u32,
    /// The FILETIME stamped on what the op changes.
    pub now: u64,
    /// The length of staging file `id` (the size of a staged stream).
    pub staged_size: &'a dyn Fn(u64) -> u64,
}

impl std::fmt::Debug for ApplyContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplyContext")
            .field("uid", &self.uid)
            .field("gid", &self.gid)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// What an applied op did that the caller has to follow up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// An inode whose last name went (or a removed directory): the caller frees it with
    /// [`ImageTree::take_inode`] (and its staging files) unless a handle still has it open.
    pub unlinked: Option<u64>,
}

/// `Corrupt` for an op whose inode number is not the one the tree hands out next.
fn expect_ino(got: u64, want: u64) -> VfsResult<()> {
    if got == want {
        Ok(())
    } else {
        Err(VfsError::Corrupt(format!("inode {got} instead of {want}")))
    }
}

impl ImageTree {
    /// Checks that `op` applies to the tree as it is, without changing it. `Ok(false)`: the op
    /// applies but changes nothing (a rename onto another name of the same inode).
    pub fn check(&self, op: &Op) -> VfsResult<bool> {
        match op {
            Op::Create { parent, name, .. }
            | Op::Mkdir { parent, name, .. }
            | Op::Symlink { parent, name, .. } => {
                if let Op::Symlink { target, .. } = op {
                    symlink_reparse_data(target)?;
                }
                self.check_new_name(*parent, name).map(|_| true)
            }
            Op::Link { ino, parent, name } => self.check_link(*ino, *parent, name).map(|_| true),
            Op::Remove { parent, name, dir } => {
                self.check_remove(*parent, name, *dir).map(|_| true)
            }
            Op::Rename {
                parent,
                name,
                new_parent,
                new_name,
                no_replace,
            } => self
                .check_rename(*parent, name, *new_parent, new_name, *no_replace)
                .map(|plan| plan.is_some()),
            Op::Stage { ino, .. } | Op::SetAttr { ino, .. } => {
                self.inode(*ino).map(|_| true).ok_or(VfsError::NotFound)
            }
            Op::SetXattr { ino, name, .. } => self.check_set_stream(*ino, name).map(|_| true),
            Op::RemoveXattr { ino, name } => self.check_remove_stream(*ino, name).map(|_| true),
        }
    }

    /// Applies `op` (checking it first: an op that does not apply changes nothing).
    pub fn apply(&mut self, op: &Op, ctx: &ApplyContext<'_>) -> VfsResult<Applied> {
        match op {
            Op::Create {
                parent,
                name,
                ino,
                perm,
                staged,
            } => {
                expect_ino(self.next_ino(), *ino)?;
                self.apply_create(*parent, name, *perm, *staged, ctx)
            }
            Op::Mkdir {
                parent,
                name,
                ino,
                perm,
            } => {
                expect_ino(self.next_ino(), *ino)?;
                self.apply_mkdir(*parent, name, *perm, ctx)
            }
            Op::Symlink {
                parent,
                name,
                ino,
                target,
            } => {
                expect_ino(self.next_ino(), *ino)?;
                self.apply_symlink(*parent, name, target, ctx)
            }
            Op::Link { ino, parent, name } => self.apply_link(*ino, *parent, name, ctx),
            Op::Remove { parent, name, dir } => self.apply_remove(*parent, name, *dir, ctx),
            Op::Rename {
                parent,
                name,
                new_parent,
                new_name,
                no_replace,
            } => self.apply_rename(*parent, name, *new_parent, new_name, *no_replace, ctx),
            Op::Stage { ino, staged, .. } => self.apply_stage(*ino, *staged, ctx),
            Op::SetAttr {
                ino,
                perm,
                uid,
                gid,
                atime,
                mtime,
            } => self.apply_setattr(*ino, (*perm, *uid, *gid), (*atime, *mtime), ctx),
            Op::SetXattr { ino, name, value } => self.apply_set_stream(*ino, name, value),
            Op::RemoveXattr { ino, name } => self.apply_remove_stream(*ino, name),
        }
    }

    /// The number the next new inode gets.
    pub fn next_ino(&self) -> u64 {
        self.inodes.len() as u64 + 1
    }
}
