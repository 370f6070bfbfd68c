//! Applying the ops that change an inode in place: its data moving to a staging file, its
//! owner, mode and times, its named streams (set through `user.*` xattrs); and taking an
//! unlinked inode out of the tree.

use std::sync::Arc;

use common::vfs::{VfsError, VfsResult};

use super::names::{stream_name, type_bits};
use super::{Applied, ApplyContext};
use crate::format::tagged::UnixData;
use crate::inode::{Content, Inode, NodeKind};
use crate::tree::ImageTree;

/// A stream name from op bytes.
fn stream(name: &[u8]) -> VfsResult<Vec<u16>> {
    let name = common::osname::from_bytes(name)
        .ok_or_else(|| VfsError::InvalidArgument("xattr names must be UTF-8".into()))?;
    stream_name(name)
}

impl ImageTree {
    pub(super) fn apply_stage(
        &mut self,
        ino: u64,
        staged: u64,
        ctx: &ApplyContext<'_>,
    ) -> VfsResult<Applied> {
        let size = (ctx.staged_size)(staged);
        let inode = self.inode_mut(ino).ok_or(VfsError::NotFound)?;
        inode.data = Content::Staged { id: staged, size };
        Ok(Applied::default())
    }

    /// Owner (`ids`: perm, uid, gid) and times (atime, mtime as FILETIMEs); absent ones stay.
    pub(super) fn apply_setattr(
        &mut self,
        ino: u64,
        ids: (Option<u16>, Option<u32>, Option<u32>),
        times: (Option<u64>, Option<u64>),
        ctx: &ApplyContext<'_>,
    ) -> VfsResult<Applied> {
        let (perm, uid, gid) = ids;
        let inode = self.inode_mut(ino).ok_or(VfsError::NotFound)?;
        if perm.is_some() || uid.is_some() || gid.is_some() {
            let kind = inode.kind;
            let current = inode.unix.unwrap_or(UnixData {
                uid: ctx.uid,
                gid: ctx.gid,
                mode: type_bits(kind)
                    | match kind {
                        NodeKind::Directory => 0o755,
                        NodeKind::Symlink => 0o777,
                        NodeKind::File => 0o644,
                    },
                rdev: 0,
            });
            inode.unix = Some(UnixData {
                uid: uid.unwrap_or(current.uid),
                gid: gid.unwrap_or(current.gid),
                mode: perm.map_or(current.mode, |p| {
                    (current.mode & !0o7777) | u32::from(p & 0o7777)
                }),
                rdev: current.rdev,
            });
        }
        if let Some(t) = times.0 {
            inode.times[1] = t;
        }
        if let Some(t) = times.1 {
            inode.times[2] = t;
        }
        Ok(Applied::default())
    }

    /// Checks that named stream `name` can be set on `ino`.
    pub(super) fn check_set_stream(&self, ino: u64, name: &[u8]) -> VfsResult<Vec<u16>> {
        let stream = stream(name)?;
        self.inode(ino).ok_or(VfsError::NotFound)?;
        Ok(stream)
    }

    pub(super) fn apply_set_stream(
        &mut self,
        ino: u64,
        name: &[u8],
        value: &[u8],
    ) -> VfsResult<Applied> {
        let stream = self.check_set_stream(ino, name)?;
        let inode = self.inode_mut(ino).ok_or(VfsError::NotFound)?;
        let content = Content::Inline(Arc::from(value));
        match inode
            .extras_mut()
            .named_streams
            .iter_mut()
            .find(|(n, _)| *n == stream)
        {
            Some((_, c)) => *c = content,
            None => inode.extras_mut().named_streams.push((stream, content)),
        }
        Ok(Applied::default())
    }

    /// Checks that `ino` has named stream `name`.
    pub(super) fn check_remove_stream(&self, ino: u64, name: &[u8]) -> VfsResult<Vec<u16>> {
        let stream = stream(name)?;
        if !self
            .inode(ino)
            .is_some_and(|i| i.extras().named_streams.iter().any(|(n, _)| *n == stream))
        {
            return Err(VfsError::NoAttribute);
        }
        Ok(stream)
    }

    pub(super) fn apply_remove_stream(&mut self, ino: u64, name: &[u8]) -> VfsResult<Applied> {
        let stream = self.check_remove_stream(ino, name)?;
        let inode = self.inode_mut(ino).ok_or(VfsError::NotFound)?;
        inode
            .extras_mut()
            .named_streams
            .retain(|(n, _)| *n != stream);
        Ok(Applied::default())
    }

    /// Takes unlinked inode `ino` out of the tree (its number is never reused); returns it so
    /// that the caller can drop its staging files.
    pub fn take_inode(&mut self, ino: u64) -> Option<Inode> {
        ino.checked_sub(1)
            .and_then(|i| self.inodes.get_mut(usize::try_from(i).ok()?))
            .and_then(Option::take)
    }
}
