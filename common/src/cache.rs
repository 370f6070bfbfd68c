//! The decoded-chunk cache: a sharded, byte-bounded LRU shared by every reader of a mount.
//!
//! Keys are `(source, resource, chunk)` triples. `source` is the [`SourceId`] of the opened
//! source the bytes come from (a WIM part, an ISO, a byte range of another image, a URL):
//! [`SourceId::fresh`] hands out a new one for every open, so two images that share one cache
//! (`isofs mount --all --wim`) never see each other's entries even where their resources sit at
//! the same offsets, and a source reopened after it changed never sees its old entries.
//! `resource` tells resources of one source apart (a WIM resource's offset, an ISO file's
//! extent); `chunk` is the chunk's index inside it. Values are immutable
//! `Arc<[u8]>` so a hit is a reference-count bump, and a reader holds its chunk while copying
//! out of it even if the cache evicts it meanwhile. Shards keep concurrent FUSE readers from
//! contending on one lock; the byte budget is global (a 64 MiB solid-resource chunk fits even
//! though it is larger than a shard's share), and eviction takes the least recently used entry
//! of the inserting shard first, then of the others in turn.
//!
//! [`ChunkCache::get_or_load`] coalesces concurrent misses of one key: the first caller
//! decodes, the others wait for its result instead of decoding the same chunk again.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use lru::LruCache;
use parking_lot::Mutex;

use crate::decode_budget::DecodeBudget;
use crate::spill::SpillFile;

/// See [`ChunkCache::decoders`].
fn decode_budget(cache_budget: usize) -> u64 {
    (cache_budget as u64 / 2).saturating_add(64 << 20)
}

pub use crate::chunk_key::{ChunkKey, SourceId};

/// Counters for benchmarks and `--stats` output.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found their chunk.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Bytes decoded on misses (kept or not), in RAM or into the spill file.
    pub decoded_bytes: u64,
    /// Reads answered from the spill file.
    pub spill_hits: u64,
    /// Bytes the spill file holds now.
    pub spill_bytes: u64,
}

#[derive(Debug)]
struct Shard {
    map: LruCache<ChunkKey, Arc<[u8]>>,
    bytes: usize,
}

/// Where concurrent misses of one key wait for the first caller's decode.
type LoadSlot = Mutex<Option<Arc<[u8]>>>;

/// A byte-bounded LRU of decoded chunks, safe to share between threads.
#[derive(Debug)]
pub struct ChunkCache {
    shards: Box<[Mutex<Shard>]>,
    budget: usize,
    held: AtomicUsize,
    inflight: Mutex<HashMap<ChunkKey, Arc<LoadSlot>>>,
    hits: AtomicU64,
    misses: AtomicU64,
    decoded_bytes: AtomicU64,
    spill: Option<SpillFile>,
    decoders: DecodeBudget,
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
            budget: budget_bytes,
            held: AtomicUsize::new(0),
            inflight: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            decoded_bytes: AtomicU64::new(0),
            spill: None,
            decoders: DecodeBudget::new(decode_budget(budget_bytes)),
        }
    }

    /// The memory that decodes of big chunks may hold at once ([`DecodeBudget`]): half the
    /// cache's budget plus one 64 MiB solid chunk, so that a mount's peak stays near its cache
    /// budget + 64 MiB.
    pub fn decoders(&self) -> &DecodeBudget {
        &self.decoders
    }

    /// How much of the big chunks being decoded into the spill file may stay mapped behind
    /// the decoders ([`crate::spill::SpillTarget`]), shared by the decodes in flight: the
    /// cache's budget, at least 4 MiB and at most 128 MiB (two whole LZMS solid chunks: from a
    /// 128 MiB budget on, no page is released, also with a chunk decoded ahead on the other
    /// core). Releasing costs time (the decoder's far-back matches fault pages in again: with
    /// an 8 MiB window a 64 MiB chunk of text-like data took twice the CPU), so the window
    /// stays as large as the budget allows; see docs/benchmarks.md, "Daemon RSS within the
    /// cache budget + 64 MiB".
    pub fn decode_resident(&self) -> usize {
        self.budget.clamp(4 << 20, 128 << 20)
    }

    /// The same cache with a disk tier for decoded chunks that RAM cannot keep.
    pub fn with_spill(mut self, spill: SpillFile) -> Self {
        self.spill = Some(spill);
        self
    }

    /// The disk tier, if any.
    pub fn spill(&self) -> Option<&SpillFile> {
        self.spill.as_ref()
    }

    /// True when a decoded chunk of `len` bytes would be kept in RAM.
    pub fn keeps(&self, len: usize) -> bool {
        len <= self.budget / 2
    }

    /// Counts `n` bytes decoded outside [`Self::get_or_load`] (chunks that went to the spill).
    pub fn note_decoded(&self, n: usize) {
        self.decoded_bytes.fetch_add(n as u64, Ordering::Relaxed);
    }

    fn shard_index(key: &ChunkKey) -> usize {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        (h.finish() as usize) % SHARDS
    }

    fn shard(&self, key: &ChunkKey) -> &Mutex<Shard> {
        &self.shards[Self::shard_index(key)]
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

    /// Stores a chunk, evicting least recently used ones until the cache fits its budget.
    /// A chunk larger than half the budget is not kept.
    pub fn insert(&self, key: ChunkKey, data: Arc<[u8]>) {
        self.note_decoded(data.len());
        let len = data.len();
        if !self.keeps(len) {
            return;
        }
        let home = Self::shard_index(&key);
        {
            let mut shard = self.shards[home].lock();
            if let Some(old) = shard.map.put(key, data) {
                shard.bytes -= old.len();
                self.held.fetch_sub(old.len(), Ordering::Relaxed);
            }
            shard.bytes += len;
        }
        self.held.fetch_add(len, Ordering::Relaxed);
        let mut idle_shards = 0;
        let mut i = home;
        while self.held.load(Ordering::Relaxed) > self.budget && idle_shards < SHARDS {
            let mut shard = self.shards[i].lock();
            // Never evict the entry just inserted (it is the most recent of its shard).
            let evictable = if i == home {
                shard.map.len() > 1
            } else {
                !shard.map.is_empty()
            };
            match evictable.then(|| shard.map.pop_lru()).flatten() {
                Some((_, old)) => {
                    shard.bytes -= old.len();
                    self.held.fetch_sub(old.len(), Ordering::Relaxed);
                    idle_shards = 0;
                }
                None => {
                    idle_shards += 1;
                    i = (i + 1) % SHARDS;
                }
            }
        }
    }

    /// Returns the chunk for `key`, decoding it with `load` on a miss. Concurrent misses of the
    /// same key run `load` once; the other callers wait and share its result.
    pub fn get_or_load<E>(
        &self,
        key: ChunkKey,
        load: impl FnOnce() -> Result<Arc<[u8]>, E>,
    ) -> Result<Arc<[u8]>, E> {
        if let Some(hit) = self.get(&key) {
            return Ok(hit);
        }
        let cell = Arc::clone(self.inflight.lock().entry(key).or_default());
        let mut slot = cell.lock();
        if let Some(done) = slot.as_ref() {
            return Ok(Arc::clone(done));
        }
        let result = load();
        if let Ok(data) = &result {
            self.insert(key, Arc::clone(data));
            *slot = Some(Arc::clone(data));
        }
        drop(slot);
        let mut inflight = self.inflight.lock();
        if inflight.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            inflight.remove(&key);
        }
        result
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
            decoded_bytes: self.decoded_bytes.load(Ordering::Relaxed),
            spill_hits: self.spill.as_ref().map_or(0, |s| s.stats().0),
            spill_bytes: self.spill.as_ref().map_or(0, |s| s.stats().2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u64) -> ChunkKey {
        static ONE: std::sync::OnceLock<SourceId> = std::sync::OnceLock::new();
        ChunkKey {
            source: *ONE.get_or_init(SourceId::fresh),
            resource: 0,
            chunk: n,
        }
    }

    #[test]
    fn sources_never_share_entries() {
        let cache = ChunkCache::new(1 << 20);
        let (a, b) = (SourceId::fresh(), SourceId::fresh());
        assert_ne!(a, b);
        let at = |source| ChunkKey {
            source,
            resource: 4096,
            chunk: 0,
        };
        let got_a: Result<_, ()> = cache.get_or_load(at(a), || Ok(Arc::from(vec![1u8])));
        let got_b: Result<_, ()> = cache.get_or_load(at(b), || Ok(Arc::from(vec![2u8])));
        assert_eq!(&*got_a.expect("a"), &[1]);
        assert_eq!(&*got_b.expect("b"), &[2]);
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
    fn chunks_bigger_than_a_shard_share_are_kept() {
        let cache = ChunkCache::new(1 << 20);
        cache.insert(key(1), vec![0u8; 300_000].into());
        assert!(cache.get(&key(1)).is_some());
        cache.insert(key(2), vec![0u8; 300_000].into());
        cache.insert(key(3), vec![0u8; 300_000].into());
        cache.insert(key(4), vec![0u8; 300_000].into());
        assert!(cache.held_bytes() <= 1 << 20);
        assert!(cache.get(&key(4)).is_some());
    }

    #[test]
    fn concurrent_misses_decode_once() {
        let cache = Arc::new(ChunkCache::new(1 << 20));
        let calls = Arc::new(AtomicU64::new(0));
        std::thread::scope(|s| {
            for _ in 0..8 {
                let (cache, calls) = (Arc::clone(&cache), Arc::clone(&calls));
                s.spawn(move || {
                    let got: Result<_, ()> = cache.get_or_load(key(9), || {
                        calls.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        Ok(Arc::from(vec![7u8; 10]))
                    });
                    assert_eq!(got.expect("loads")[0], 7);
                });
            }
        });
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn zero_budget_caches_nothing() {
        let cache = ChunkCache::new(0);
        cache.insert(key(1), vec![1u8].into());
        assert!(cache.get(&key(1)).is_none());
    }
}
