//! Committing while mounted (DISM's `/Commit-Image`): the changes so far are written into the
//! WIM by the same crash-safe commit as at unmount (`commit/run.rs`), and the mount goes on
//! from the committed image.
//!
//! 1. Writes are frozen (a data write in flight finishes first; later ones, and every change,
//!    get EBUSY until the commit ends; reads go on) and the tree is snapshotted.
//! 2. The commit appends everything new and makes it durable; just before it switches the
//!    header it records in the staging directory which image the WIM is about to become
//!    (`commit_pending.rs`), so a daemon killed after the switch is never resumed by replaying
//!    the journal a second time onto the committed image.
//! 3. The committed image is loaded again and renumbered to the mount's inode numbers
//!    (`tree_renumber.rs`), the journal is replaced by one based on it (`journal_base.rs`),
//!    `info` takes its fingerprint, the pending record goes, and the mount swaps to the new
//!    WIM and tree. Staging files whose data is now in the WIM are removed: the next commit
//!    writes only what changes from here on.
//!
//! Files open for reading keep reading (their data is found in the new WIM, or read again
//! from it when its staging file went away mid-read); files open for writing keep working
//! (the next write copies the committed data up again). Files that were deleted but are still
//! open stay readable. A failure before the switch leaves the WIM unchanged and the mount
//! writable; a failure after it leaves the WIM committed and the mount frozen (read-only),
//! its staging directory resumable.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::commit_pending::PendingSwitch;
use super::journal::{Journal, JournalBase};
use super::mounted_image::WimFs;
use super::resume::current_fingerprint;
use super::staging_info::{fingerprint, StagingInfo};
use crate::commit::{
    commit_with, fault_point, CommitOptions, CommitPhase, CommitReport, CommitSource,
};
use crate::error::{WimError, WimResult};
use crate::format::header::HEADER_SIZE;
use crate::inode::Content;
use crate::staging::Staging;
use crate::tree::ImageTree;
use crate::tree_renumber::match_numbers;
use crate::wim::WimFile;

/// What a commit while mounted did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveCommitReport {
    /// The commit.
    pub commit: CommitReport,
    /// Staging files removed because the WIM now holds their data.
    pub released_staged: usize,
}

fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> WimError {
    move |e| WimError::io(what, e)
}

fn vfs(e: common::vfs::VfsError) -> WimError {
    WimError::Unsupported(e.to_string())
}

/// The staging ids a tree's streams use.
fn staged_ids(tree: &ImageTree) -> HashSet<u64> {
    let mut ids = HashSet::new();
    for (_, inode) in tree.live() {
        for (_, c) in inode.streams() {
            if let Content::Staged { id, .. } = c {
                ids.insert(*id);
            }
        }
    }
    ids
}

impl WimFs {
    /// Commits the changes so far into the WIM and goes on from the committed image.
    pub fn commit_live(
        &self,
        opts: &CommitOptions,
        progress: &mut dyn FnMut(CommitPhase, u64, u64),
    ) -> WimResult<LiveCommitReport> {
        let staging = self
            .staging
            .as_ref()
            .ok_or_else(|| WimError::Unsupported("the mount is read-only".into()))?;
        if self.frozen.load(Ordering::SeqCst) {
            return Err(WimError::Unsupported(
                "a commit is in progress, or an earlier one left the mount read-only".into(),
            ));
        }
        let dir = staging.dir().to_path_buf();
        self.set_frozen(true);
        if let Err(e) = self.sync_journal() {
            self.set_frozen(false);
            return Err(vfs(e));
        }
        let old_wim = self.wim();
        let snapshot = self.tree.read().clone();
        let from = match current_fingerprint(&old_wim) {
            Ok(from) => from,
            Err(e) => {
                self.set_frozen(false);
                return Err(e);
            }
        };
        let source = CommitSource {
            wim: &old_wim,
            image: self.image,
            tree: &snapshot,
            staging: Some(staging),
        };
        let mut new_header: Option<Vec<u8>> = None;
        let result = commit_with(&source, opts, progress, &mut |sp| {
            fault_point();
            new_header = Some(sp.header.to_vec());
            PendingSwitch {
                from: from.clone(),
                to: fingerprint(sp.header, sp.end),
            }
            .write(&dir)
            .map_err(io("recording the commit in the staging directory"))
        });
        let commit = match result {
            Ok(r) => r,
            Err(e) if !switched(&old_wim, new_header.as_deref()) => {
                let _ = PendingSwitch::remove(&dir);
                self.set_frozen(false);
                return Err(e);
            }
            Err(e) => return Err(stuck(&format!("{e}"))),
        };
        match self.rebase(staging, &dir, &old_wim, &snapshot) {
            Ok(released_staged) => {
                self.set_frozen(false);
                Ok(LiveCommitReport {
                    commit,
                    released_staged,
                })
            }
            Err(e) => Err(stuck(&format!("{e}"))),
        }
    }

    /// Goes on from the committed image: the journal, `info`, the tree and the WIM. Returns
    /// how many staging files were released.
    fn rebase(
        &self,
        staging: &Staging,
        dir: &Path,
        old_wim: &Arc<WimFile>,
        snapshot: &ImageTree,
    ) -> WimResult<usize> {
        let path = old_wim
            .path()
            .ok_or_else(|| WimError::Unsupported("the WIM has no path".into()))?;
        let new_wim = Arc::new(WimFile::open(path, Arc::clone(old_wim.cache()))?);
        let print = current_fingerprint(&new_wim)?;
        let loaded = ImageTree::load(&new_wim, self.image)?;
        let bad = |e: String| WimError::Unsupported(format!("the committed image: {e}"));
        let map = match_numbers(&loaded, snapshot).map_err(bad)?;
        let len = snapshot.inodes.len() as u64;
        let mut tree = loaded.renumbered(&map, len).map_err(bad)?;
        fault_point();
        let base = JournalBase {
            fingerprint: print.clone(),
            len,
            map: map.clone(),
        };
        let journal = Journal::write_rebased(dir, &base).map_err(vfs)?;
        fault_point();
        let info = StagingInfo::read(dir)
            .ok_or_else(|| WimError::Unsupported(format!("{}/info is gone", dir.display())))?;
        StagingInfo {
            fingerprint: print,
            ..info
        }
        .write(dir)
        .map_err(io("updating the staging directory's info"))?;
        fault_point();
        PendingSwitch::remove(dir).map_err(io("removing the commit record"))?;
        {
            let mut live = self.tree.write();
            // Deleted files still open are in the mount only: they stay, readable (the commit
            // counted their blobs as referenced, so the new WIM still holds them).
            let mapped: HashSet<u64> = map.iter().copied().collect();
            for (ino, inode) in live.live() {
                if !mapped.contains(&ino) {
                    if let Some(slot) = tree.inodes.get_mut((ino - 1) as usize) {
                        *slot = Some(inode.clone());
                    }
                }
            }
            *live = tree;
            *self.wim.write() = new_wim;
            if let Some(j) = &self.journal {
                *j.lock() = journal;
            }
            self.journal_unsynced.store(false, Ordering::Relaxed);
            self.link_targets.lock().clear();
            self.dirty.store(false, Ordering::Relaxed);
        }
        let still = staged_ids(&self.tree.read());
        let mut released = 0;
        for id in staged_ids(snapshot).difference(&still) {
            fault_point();
            staging.remove(*id);
            released += 1;
        }
        Ok(released)
    }
}

/// True when the WIM's header on disk is `new_header` (the commit switched before failing).
fn switched(wim: &WimFile, new_header: Option<&[u8]>) -> bool {
    let (Some(new), Some(path)) = (new_header, wim.path()) else {
        return false;
    };
    let mut head = [0u8; HEADER_SIZE];
    std::fs::File::open(path)
        .and_then(|f| common::io::read_exact_at(&f, 0, &mut head))
        .map_or(true, |()| head[..] == *new)
}

/// The error of a commit that switched the WIM but could not go on from it: the mount stays
/// frozen.
fn stuck(e: &str) -> WimError {
    WimError::Unsupported(format!(
        "the changes are committed into the WIM, but the mount cannot go on from it ({e}); it \
         stays read-only: unmount it with `wimfs unmount --discard` (nothing committed is lost)"
    ))
}
