//! The decoded-chunk cache: a sharded, byte-bounded LRU shared by every reader of a mount.
//!
//! Keys are `(source, chunk)` pairs: `source` tells resources apart (a WIM blob's offset, an ISO
//! file's extent), `chunk` is the chunk's index or offset inside it. Values are immutable
//! `Arc<[u8]>` so a hit is a reference-count bump, and a reader holds its chunk while copying
//! out of it even if the cache evicts it meanwhile. Shards keep concurrent FUSE readers from
//! contending on one lock; each shard gets an equal part of the byte budget.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use lru::LruCache;
use parking_lot::Mutex;

/// Identifies a cached chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChunkKey {
    /// Which resource the chunk belongs to.
    pub source: u64,
    /// Which chunk of that resource.
    pub chunk: u64,
}

/// Counters for benchmarks and `--stats` output.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found their chunk.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Bytes inserted (that is, bytes decoded on a miss).
    pub inserted_bytes: u64,
}

#[derive(Debug)]
struct Shard {
    map: LruCache<ChunkKey, Arc<[u8]>>,
    bytes: usize,
}

/// A byte-bounded LRU of decoded chunks, safe to share between threads.
#[derive(Debug)]
pub struct ChunkCache {
    shards: Box<[Mutex<Shard>]>,
    shard_budget: usize,
    hits: AtomicU64,
    misses: AtomicU64,
    inserted_bytes: AtomicU64,
}

const SHARDS: usize = 16;

impl ChunkCache {
    /// A cache holding at most about `budget_bytes` of chunk data (a zero budget caches nothing).
    pub fn new(budget_bytes: usize) -> Self {
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    map: LruCache::unbounded(),
                    bytes: 0,
                })
            })
            .collect();
        Self {
            shards,
            shard_budget: budget_bytes / SHARDS,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            inserted_bytes: AtomicU64::new(0),
        }
    }

    fn shard(&self, key: &ChunkKey) -> &Mutex<Shard> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        &self.shards[(h.finish() as usize) % SHARDS]
    }

    /// The cached chunk for `key`, if present (and marks it recently used).
    pub fn get(&self, key: &ChunkKey) -> Option<Arc<[u8]>> {
        let found = self.shard(key).lock().map.get(key).cloned();
        if found.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        } else {
            self.misses.fetch_add(1, Ordering::Relaxed);
        }
        found
    }

    /// Stores a chunk, evicting least recently used ones until the shard fits its budget.
    /// A chunk larger than a whole shard's budget is not kept.
    pub fn insert(&self, key: ChunkKey, data: Arc<[u8]>) {
        self.inserted_bytes
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        if data.len() > self.shard_budget {
            return;
        }
        let mut shard = self.shard(&key).lock();
        let len = data.len();
        if let Some(old) = shard.map.put(key, data) {
            shard.bytes -= old.len();
        }
        shard.bytes += len;
        while shard.bytes > self.shard_budget {
            match shard.map.pop_lru() {
                Some((_, old)) => shard.bytes -= old.len(),
                None => break,
            }
        }
    }

    /// Returns the chunk for `key`, decoding it with `load` on a miss.
    pub fn get_or_load<E>(
        &self,
        key: ChunkKey,
        load: impl FnOnce() -> Result<Arc<[u8]>, E>,
    ) -> Result<Arc<[u8]>, E> {
        if let Some(hit) = self.get(&key) {
            return Ok(hit);
        }
        let data = load()?;
        self.insert(key, Arc::clone(&data));
        Ok(data)
    }

    /// Bytes currently held.
    pub fn held_bytes(&self) -> usize {
        self.shards.iter().map(|s| s.lock().bytes).sum()
    }

    /// Hit/miss/decoded counters since creation.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            inserted_bytes: self.inserted_bytes.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u64) -> ChunkKey {
        ChunkKey {
            source: 1,
            chunk: n,
        }
    }

    #[test]
    fn stays_within_budget() {
        let cache = ChunkCache::new(16 * 1024);
        for n in 0..1000 {
            cache.insert(key(n), vec![0u8; 100].into());
        }
        assert!(cache.held_bytes() <= 16 * 1024);
        assert!(cache.held_bytes() > 0);
    }

    #[test]
    fn get_or_load_decodes_once() {
        let cache = ChunkCache::new(1 << 20);
        let mut calls = 0;
        for _ in 0..3 {
            let got: Result<_, ()> = cache.get_or_load(key(7), || {
                calls += 1;
                Ok(Arc::from(vec![1u8, 2, 3]))
            });
            assert_eq!(&*got.expect("loads"), &[1, 2, 3]);
        }
        assert_eq!(calls, 1);
        assert_eq!(cache.stats().hits, 2);
    }

    #[test]
    fn zero_budget_caches_nothing() {
        let cache = ChunkCache::new(0);
        cache.insert(key(1), vec![1u8].into());
        assert!(cache.get(&key(1)).is_none());
    }
}
