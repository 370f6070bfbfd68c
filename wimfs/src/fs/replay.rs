//! Changing the tree: every write checks its [`Op`], appends it to the journal, then applies
//! it ([`WimFs::change`]); resuming a mount applies the journaled ops in a loop
//! ([`WimFs::replay`]). Also syncing the journal and what happens at unmount.

use std::sync::atomic::Ordering;

use common::vfs::{VfsError, VfsResult};

use super::attr::now_filetime;
use super::mounted_image::WimFs;
use crate::change::{Applied, ApplyContext, Op};
use crate::inode::Content;
use crate::staging::Staging;
use crate::tree::ImageTree;

impl WimFs {
    /// Appends a change to the journal (write-ahead: before it is applied and acknowledged).
    pub(super) fn log(&self, op: &Op) -> VfsResult<()> {
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
        self.keep_or_remove_staging(staging);
        // Nothing writes the directory any more (no request can arrive after this).
        staging.release_lock();
    }

    fn keep_or_remove_staging(&self, staging: &Staging) {
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

    /// Replays journaled changes onto the freshly loaded image: applies them in order, as
    /// the writes that recorded them did.
    pub(super) fn replay(&self, ops: &[Op]) -> VfsResult<()> {
        let mut tree = self.tree.write();
        for (i, op) in ops.iter().enumerate() {
            self.apply_to(&mut tree, op).map_err(|e| {
                VfsError::Corrupt(format!("journal record {i} ({op:?}) does not apply: {e}"))
            })?;
        }
        if !ops.is_empty() {
            self.touched();
        }
        Ok(())
    }

    /// Checks `op` against the tree, journals it (write-ahead: before it is applied and
    /// acknowledged), applies it. Every write to the tree goes through here.
    pub(super) fn change(&self, tree: &mut ImageTree, op: Op) -> VfsResult<Applied> {
        // Checked under the tree's lock: a commit sets `frozen` before it snapshots the tree,
        // so every change is either in its snapshot or refused.
        if self.frozen.load(Ordering::SeqCst) {
            return Err(VfsError::Busy("a commit is in progress".into()));
        }
        if !tree.check(&op)? {
            return Ok(Applied::default());
        }
        self.log(&op)?;
        let applied = self.apply_to(tree, &op)?;
        self.touched();
        Ok(applied)
    }

    /// Applies `op`; frees an inode it unlinked unless a handle still has it open.
    fn apply_to(&self, tree: &mut ImageTree, op: &Op) -> VfsResult<Applied> {
        let staged_size = |id: u64| self.staging.as_ref().map_or(0, |s| s.len_of(id));
        let ctx = ApplyContext {
            uid: self.opts.uid,
            gid: self.opts.gid,
            now: now_filetime(),
            staged_size: &staged_size,
        };
        let applied = tree.apply(op, &ctx)?;
        if let Some(ino) = applied.unlinked {
            if !self.handles.lock().values().any(|h| h.ino == ino) {
                self.free_inode(tree, ino);
            }
        }
        Ok(applied)
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
