//! The in-memory block cache of one HTTP source, and the blocks being fetched or whose fetch
//! failed. Blocks are fixed-size pieces of the object (the last one may be shorter), held as
//! `Arc<[u8]>` so a reader copies out of a block even if it is evicted meanwhile. The budget
//! is in bytes; the least recently used block goes first.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use lru::LruCache;

/// Where a block stands.
#[derive(Debug, Clone)]
pub enum BlockState {
    /// In memory.
    Ready(Arc<[u8]>),
    /// Being fetched.
    Pending,
    /// Its last fetch failed (the reason is reported once, to the readers waiting for it).
    Failed(String),
    /// Neither.
    Absent,
}

/// Blocks in memory, in flight, and failed.
#[derive(Debug)]
pub struct BlockTable {
    ready: LruCache<u64, Arc<[u8]>>,
    bytes: usize,
    budget: usize,
    pending: HashSet<u64>,
    failed: HashMap<u64, String>,
}

impl BlockTable {
    /// An empty table holding at most `budget` bytes of blocks (at least one block).
    pub fn new(budget: usize) -> Self {
        Self {
            ready: LruCache::unbounded(),
            bytes: 0,
            budget,
            pending: HashSet::new(),
            failed: HashMap::new(),
        }
    }

    /// Where block `b` stands (a hit counts as a use).
    pub fn state(&mut self, b: u64) -> BlockState {
        if let Some(d) = self.ready.get(&b) {
            return BlockState::Ready(Arc::clone(d));
        }
        if self.pending.contains(&b) {
            return BlockState::Pending;
        }
        match self.failed.get(&b) {
            Some(reason) => BlockState::Failed(reason.clone()),
            None => BlockState::Absent,
        }
    }

    /// True if `b` is in memory or being fetched (no use counted).
    pub fn present_or_pending(&self, b: u64) -> bool {
        self.ready.contains(&b) || self.pending.contains(&b)
    }

    /// Marks `b` as being fetched (clearing an old failure); false if it already is or is
    /// in memory.
    pub fn start(&mut self, b: u64) -> bool {
        if self.present_or_pending(b) {
            return false;
        }
        self.failed.remove(&b);
        self.pending.insert(b)
    }

    /// Stores a fetched block, evicting the least recently used ones over the budget.
    pub fn insert(&mut self, b: u64, data: Arc<[u8]>) {
        self.pending.remove(&b);
        self.failed.remove(&b);
        self.bytes += data.len();
        if let Some(old) = self.ready.put(b, data) {
            self.bytes -= old.len();
        }
        while self.bytes > self.budget && self.ready.len() > 1 {
            match self.ready.pop_lru() {
                Some((_, old)) => self.bytes -= old.len(),
                None => break,
            }
        }
    }

    /// Records that fetching `b` failed.
    pub fn fail(&mut self, b: u64, reason: &str) {
        if self.pending.remove(&b) {
            self.failed.insert(b, reason.to_string());
        }
    }

    /// Forgets `b`'s failure (a reader saw it; the next read tries again).
    pub fn clear_failure(&mut self, b: u64) {
        self.failed.remove(&b);
    }

    /// Forgets every fetch in flight (their threads belong to a process we are not).
    pub fn forget_pending(&mut self) {
        self.pending.clear();
    }

    /// Bytes in memory.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_move_from_pending_to_ready_or_failed_and_the_budget_holds() {
        let mut t = BlockTable::new(10);
        assert!(t.start(1));
        assert!(!t.start(1));
        assert!(matches!(t.state(1), BlockState::Pending));
        t.insert(1, Arc::from(vec![1u8; 6]));
        assert!(matches!(t.state(1), BlockState::Ready(_)));
        assert!(t.start(2));
        t.fail(2, "boom");
        assert!(matches!(t.state(2), BlockState::Failed(r) if r == "boom"));
        assert!(t.start(2));
        t.insert(2, Arc::from(vec![2u8; 6]));
        assert_eq!(t.bytes(), 6);
        assert!(matches!(t.state(1), BlockState::Absent));
    }
}
