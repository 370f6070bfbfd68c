//! Writing the journal, and replaying it when a read-write mount resumes.

use std::ffi::OsStr;
use std::sync::atomic::Ordering;

use common::vfs::{SetAttr, VfsError, VfsResult};

use super::attr::filetime_to_system;
use super::journal::Op;
use super::mounted_image::WimFs;
use crate::inode::Content;

impl WimFs {
    /// Appends a change to the journal (write-ahead: before it is applied and acknowledged).
    pub(super) fn log(&self, op: &Op) -> VfsResult<()> {
        if self.replaying.load(Ordering::SeqCst) {
            return Ok(());
        }
        if let Some(j) = &self.journal {
            j.lock().append(op)?;
            self.journal_unsynced.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Makes the journal durable (called on fsync, periodically, and before a commit).
    pub fn sync_journal(&self) -> VfsResult<()> {
        if let Some(j) = &self.journal {
            if self.journal_unsynced.swap(false, Ordering::Relaxed) {
                j.lock().sync()?;
            }
        }
        Ok(())
    }

    /// The mount is going away without a commit or discard (`umount`, `fusermount3 -u`): the
    /// journal is made durable and the changes stay staged for `wimfs commit`, `wimfs mount
    /// --rw --resume` or `wimfs cleanup`; an unchanged image leaves nothing behind.
    pub(super) fn on_unmount(&self) {
        let Some(staging) = self.staging() else {
            return;
        };
        let dir = staging.dir();
        if !dir.join("info").exists() {
            return; // committed or discarded
        }
        if self.is_dirty() {
            if let Err(e) = self.sync_journal() {
                tracing::warn!("syncing the journal in {}: {e}", dir.display());
            }
            tracing::warn!(
                "unmounted without a commit: the changes stay staged in {} for `wimfs commit`, \
                 `wimfs mount --rw --resume` or `wimfs cleanup`",
                dir.display()
            );
        } else if let Err(e) = std::fs::remove_dir_all(dir) {
            tracing::warn!(
                "removing the unused staging directory {}: {e}",
                dir.display()
            );
        }
    }

    /// Replays journaled changes onto the freshly loaded image.
    pub(super) fn replay(&self, ops: &[Op]) -> VfsResult<()> {
        self.replaying.store(true, Ordering::SeqCst);
        let result = ops.iter().enumerate().try_for_each(|(i, op)| {
            self.replay_one(op).map_err(|e| {
                VfsError::Corrupt(format!("journal record {i} ({op:?}) does not apply: {e}"))
            })
        });
        self.replaying.store(false, Ordering::SeqCst);
        if !ops.is_empty() {
            self.touched();
        }
        result
    }

    fn replay_one(&self, op: &Op) -> VfsResult<()> {
        let expect = |got: u64, want: u64| {
            if got == want {
                Ok(())
            } else {
                Err(VfsError::Corrupt(format!("inode {got} instead of {want}")))
            }
        };
        match op {
            Op::Create {
                parent,
                name,
                ino,
                perm,
                staged,
            } => {
                let (got, _) = self.create_inner(*parent, os(name)?, *perm, *staged)?;
                expect(got, *ino)
            }
            Op::Mkdir {
                parent,
                name,
                ino,
                perm,
            } => expect(self.do_mkdir(*parent, os(name)?, *perm)?.ino, *ino),
            Op::Symlink {
                parent,
                name,
                ino,
                target,
            } => expect(self.do_symlink(*parent, os(name)?, target)?.ino, *ino),
            Op::Link { ino, parent, name } => self.do_link(*ino, *parent, os(name)?).map(|_| ()),
            Op::Remove { parent, name, dir } => {
                if *dir {
                    self.do_rmdir(*parent, os(name)?)
                } else {
                    self.do_unlink(*parent, os(name)?)
                }
            }
            Op::Rename {
                parent,
                name,
                new_parent,
                new_name,
                no_replace,
            } => self.do_rename(*parent, os(name)?, *new_parent, os(new_name)?, *no_replace),
            Op::Stage { ino, staged, .. } => {
                let size = self.staging.as_ref().map_or(0, |s| s.len_of(*staged));
                let mut tree = self.tree.write();
                let inode = tree.inode_mut(*ino).ok_or(VfsError::NotFound)?;
                inode.data = Content::Staged { id: *staged, size };
                Ok(())
            }
            Op::SetAttr {
                ino,
                perm,
                uid,
                gid,
                atime,
                mtime,
            } => {
                let changes = SetAttr {
                    perm: *perm,
                    uid: *uid,
                    gid: *gid,
                    size: None,
                    atime: atime.map(filetime_to_system),
                    mtime: mtime.map(filetime_to_system),
                };
                self.do_setattr(*ino, &changes).map(|_| ())
            }
            Op::SetXattr { ino, name, value } => self.do_setxattr(*ino, os(name)?, value),
            Op::RemoveXattr { ino, name } => self.do_removexattr(*ino, os(name)?),
        }
    }

    /// Sizes of staged files come from the files themselves after a replay.
    pub(super) fn refresh_staged_sizes(&self) {
        let Some(staging) = &self.staging else { return };
        let mut tree = self.tree.write();
        for inode in tree.inodes.iter_mut().flatten() {
            if let Content::Staged { id, size } = &mut inode.data {
                *size = staging.len_of(*id);
            }
        }
    }
}

/// `OsStr` from journal bytes (written from names as the host gave them: any bytes on Unix,
/// valid Unicode on Windows, so a name that is not UTF-8 there means a damaged journal).
fn os(b: &[u8]) -> VfsResult<&OsStr> {
    common::osname::from_bytes(b).ok_or_else(|| {
        VfsError::Corrupt(format!(
            "the journal holds a name that is not UTF-8: {:?}",
            String::from_utf8_lossy(b)
        ))
    })
}
