//! What an interrupted write leaves behind, and its repair: bytes after the end of the last
//! structure the header references (an orphaned tail) and the WRITE_IN_PROGRESS header flag
//! (set by wimlib while it overwrites a WIM in place). Both are harmless to readers; the repair
//! truncates the tail first (nothing references it) and then rewrites the header without the
//! flag, each step durable before the next.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Arc;

use common::cache::ChunkCache;

use crate::error::{WimError, WimResult};
use crate::format::header::{WimHeader, FLAG_WRITE_IN_PROGRESS};
use crate::wim::WimFile;
use crate::wim_end::valid_end;

/// What a repair did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// The file was truncated from the first length to the second.
    pub truncated: Option<(u64, u64)>,
    /// The WRITE_IN_PROGRESS flag was cleared.
    pub cleared_write_in_progress: bool,
}

/// Repairs the WIM at `path` (which must otherwise open cleanly).
pub fn repair(path: &Path) -> WimResult<RepairReport> {
    let wim = WimFile::open(path, Arc::new(ChunkCache::new(16 << 20)))?;
    if wim.part_count() > 1 {
        return Err(WimError::Unsupported("repairing split WIMs".into()));
    }
    let end = valid_end(&wim)?;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| WimError::io(format!("opening {} for writing", path.display()), e))?;
    let len = file
        .metadata()
        .map_err(|e| WimError::io("reading the WIM's size", e))?
        .len();
    let mut report = RepairReport::default();
    if len > end {
        file.set_len(end)
            .map_err(|e| WimError::io("truncating the orphaned tail", e))?;
        file.sync_all()
            .map_err(|e| WimError::io("syncing the WIM", e))?;
        report.truncated = Some((len, end));
    }
    let mut head = WimHeader::parse(wim.fingerprint().0)?;
    if head.flags & FLAG_WRITE_IN_PROGRESS != 0 {
        head.flags &= !FLAG_WRITE_IN_PROGRESS;
        common::io::write_all_at(&file, 0, &head.to_bytes())
            .map_err(|e| WimError::io("rewriting the header", e))?;
        file.sync_all()
            .map_err(|e| WimError::io("syncing the WIM", e))?;
        report.cleared_write_in_progress = true;
    }
    Ok(report)
}
