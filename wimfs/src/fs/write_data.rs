//! The write half of a read-write mount, file data and attributes: a file's data is copied up
//! into the staging directory on its first write (or truncation), never held in memory;
//! writes, fsync, setattr (size, times, mode), and freeing unlinked inodes whose last handle
//! closed.

use std::sync::atomic::Ordering;

use common::vfs::{Attr, OpenInfo, SetAttr, VfsError, VfsResult};

use super::attr::{now_filetime, system_to_filetime};
use super::mounted_image::{Handle, WimFs};
use crate::change::Op;
use crate::inode::{Content, NodeKind};

impl WimFs {
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
        if let Err(e) = self.change(
            &mut tree,
            Op::Stage {
                ino,
                staged: id,
                empty,
            },
        ) {
            staging.remove(id);
            return Err(e);
        }
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
        let _gate = self.write_gate.read();
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
        let _gate = self.write_gate.read();
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
            let op = Op::SetAttr {
                ino,
                perm: c.perm,
                uid: c.uid,
                gid: c.gid,
                atime,
                mtime,
            };
            self.change(&mut tree, op)?;
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
