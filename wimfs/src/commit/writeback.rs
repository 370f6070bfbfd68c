//! Early writeback of appended data. A commit makes everything new durable (fsync) before it
//! switches the header; on Linux it asks the kernel to start writing the new data to disk as
//! soon as a few MiB have been appended (`sync_file_range(SYNC_FILE_RANGE_WRITE)`, which does
//! not wait), so that fsync finds most of it written already instead of writing it all while
//! the commit waits. Only a hint: durability and ordering still come from the fsync calls in
//! `run.rs`, exactly as without it.

use std::cell::Cell;
use std::fs::File;

/// Appended bytes between two writeback requests.
const STEP: u64 = 8 << 20;

/// Tracks how far writeback has been requested.
#[derive(Debug)]
pub struct Writeback {
    /// Writeback has been requested for everything before this offset.
    requested: Cell<u64>,
}

impl Writeback {
    /// Nothing requested yet; appending starts at `start`.
    pub fn new(start: u64) -> Self {
        Self {
            requested: Cell::new(start),
        }
    }

    /// Notes that the file now has data up to `end`; requests writeback once `STEP` bytes
    /// are waiting.
    pub fn wrote_up_to(&self, file: &File, end: u64) {
        let from = self.requested.get();
        if end >= from.saturating_add(STEP) {
            start_writeback(file, from, end - from);
            self.requested.set(end);
        }
    }
}

/// Starts writing `len` bytes at `offset` back without waiting for it.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: a syscall on a descriptor `file` keeps open; no memory is passed. Its result is
    // ignored on purpose: a failed hint leaves the work to the fsync that follows.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

/// Elsewhere the fsync before the header switch does all the writing.
#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}
