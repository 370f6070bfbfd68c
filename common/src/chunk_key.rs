//! What names a cached chunk: the identity of the opened source it comes from ([`SourceId`],
//! unique for every open, never reused) plus the resource and chunk index inside it. Shared by
//! the chunk cache (`cache.rs`) and its disk tier (`spill.rs`).

use std::sync::atomic::{AtomicU64, Ordering};

/// The identity of one opened source within this process: unique for every open, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(u64);

impl SourceId {
    /// A new identity, distinct from every other one handed out in this process.
    pub fn fresh() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The number behind it (for logs).
    pub fn get(self) -> u64 {
        self.0
    }
}

impl std::fmt::Display for SourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "source#{}", self.0)
    }
}

/// Identifies a cached chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChunkKey {
    /// Which opened source the bytes come from.
    pub source: SourceId,
    /// Which resource of that source (e.g. its offset in the source).
    pub resource: u64,
    /// Which chunk of that resource.
    pub chunk: u64,
}
