//! Verifying a large blob's SHA-1 while a handle reads it through in order.

use sha1::{Digest, Sha1};

use crate::inode::StreamRef;

/// Largest gap the check fills in by reading ahead itself (out-of-order readahead).
pub const MAX_HASH_GAP: u64 = 16 << 20;

/// Hash state of one open file.
#[derive(Debug)]
pub struct SequentialHash {
    /// The blob being read.
    pub stream: StreamRef,
    /// Bytes hashed so far (from 0).
    pub next: u64,
    /// The running hash.
    pub hasher: Sha1,
    /// Done (verified, failed or given up on random access).
    pub finished: bool,
    /// Done, and the data did not match the blob's SHA-1: every later read through this state
    /// fails too (another reader of the same inode may hold it: the kernel and the hand-over
    /// of files ahead, `common::files_ahead`, both read without a handle).
    pub failed: bool,
}

impl SequentialHash {
    /// Starts hashing `stream`.
    pub fn new(stream: StreamRef) -> Self {
        Self {
            stream,
            next: 0,
            hasher: Sha1::new(),
            finished: false,
            failed: false,
        }
    }
}
