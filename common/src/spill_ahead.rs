//! Which chunk of a big-chunk resource (a solid WIM resource: 64 MiB LZMS chunks) to decode
//! ahead on another core, so that readers find it in the spill file instead of waiting for
//! its decode: [`ReadAhead`].
//!
//! Readers do not follow a solid resource's order: `wimlib-imagex capture --solid` sorts the
//! blobs by file name extension, so `tar` of an ESD's tree asks for the chunks of its first
//! resource in the order 0, 3, 1, 4, 5, 6, 2 within its first ~750 of 60,000 reads (measured
//! on the 420 MB ESD of docs/benchmarks.md), and every one of them stalls the reader for a
//! whole chunk's decode unless it was decoded ahead. The planner keeps, per resource, the
//! chunks readers have asked for and proposes the next chunk after the last one asked for
//! that is neither stored nor being decoded (wrapping around to the start).
//!
//! Only reads that look like files being copied out count as asked for: reads from a file's
//! start, or going on into a chunk from its start (a file read in order crossing into the next
//! chunk). Random reads inside files (a program's own file access, a database) never make
//! anything decode ahead: they decode only the chunks they touch.
//!
//! Decoding ahead is speculation, bounded by what readers showed: nothing while they have
//! asked for one chunk only (a single file copied out costs no extra decode), then at most
//! one chunk decoded ahead and not yet asked for per further chunk asked for, and never more
//! than [`MAX_AHEAD`]. A chunk decoded ahead that is evicted before anyone asks for it stops
//! counting. So a reader who stops early has caused at most [`MAX_AHEAD`] unneeded decodes.

use std::collections::HashSet;

use lru::LruCache;
use parking_lot::Mutex;

use crate::chunk_key::{ChunkKey, SourceId};

/// Most chunks decoded ahead and not asked for yet, per resource.
pub const MAX_AHEAD: usize = 2;
/// Resources followed at once (the least recently read is forgotten).
const TRACKED_RESOURCES: usize = 64;
/// Chunks remembered as asked for, per resource (enough to tell one chunk from several).
const TRACKED_CHUNKS: usize = 4096;
/// Chunks looked at when searching for the next one to decode.
const MAX_PROBES: u64 = 64;

/// What readers did with one resource.
#[derive(Debug, Default)]
struct Track {
    /// Chunks asked for by readers (at most [`TRACKED_CHUNKS`]).
    asked: HashSet<u64>,
    /// The chunk asked for last.
    last: Option<u64>,
    /// Chunks proposed for decoding ahead and not asked for yet.
    ahead: HashSet<u64>,
}

/// Plans decodes ahead of readers, per resource (see the module documentation).
#[derive(Debug)]
pub struct ReadAhead {
    tracks: Mutex<LruCache<(SourceId, u64), Track>>,
}

impl Default for ReadAhead {
    fn default() -> Self {
        Self::new()
    }
}

impl ReadAhead {
    /// A planner that has seen no reads.
    pub fn new() -> Self {
        Self {
            tracks: Mutex::new(LruCache::unbounded()),
        }
    }

    /// Notes that a reader asked for chunk `key` (of a resource of `chunk_count` chunks) and,
    /// when it is not the chunk asked for last, proposes a chunk of the same resource to decode
    /// ahead now, if any: see [`Self::plan`]. (Reads within one chunk are most reads, and they
    /// change nothing a plan depends on but how many chunks decoded ahead were used.)
    /// `copying` tells a read from a file's start or into the chunk from its start; other reads
    /// only use up chunks decoded ahead, and are never answered with a proposal.
    pub fn note_read(
        &self,
        key: &ChunkKey,
        chunk_count: u64,
        copying: bool,
        pending: impl Fn(u64) -> bool,
    ) -> Option<u64> {
        let mut tracks = self.tracks.lock();
        let id = (key.source, key.resource);
        if !copying {
            if let Some(track) = tracks.peek_mut(&id) {
                track.ahead.remove(&key.chunk);
            }
            return None;
        }
        if tracks.get(&id).is_none() {
            if tracks.len() >= TRACKED_RESOURCES {
                tracks.pop_lru();
            }
            tracks.put(id, Track::default());
        }
        let track = tracks.get_mut(&id)?;
        if track.asked.len() < TRACKED_CHUNKS {
            track.asked.insert(key.chunk);
        }
        track.ahead.remove(&key.chunk);
        if track.last.replace(key.chunk) == Some(key.chunk) {
            return None;
        }
        propose(track, chunk_count, &pending)
    }

    /// A chunk of `key`'s resource (of `chunk_count` chunks) to decode ahead now, if any:
    /// the first after the chunk readers asked for last for which `pending` (stored in the
    /// spill file or being decoded) is false, while the speculation bound allows one more.
    /// The caller is expected to decode it (a proposal that is not followed stops counting
    /// as soon as `pending` is false for it at a later call).
    pub fn plan(
        &self,
        key: &ChunkKey,
        chunk_count: u64,
        pending: impl Fn(u64) -> bool,
    ) -> Option<u64> {
        let mut tracks = self.tracks.lock();
        let track = tracks.get_mut(&(key.source, key.resource))?;
        propose(track, chunk_count, &pending)
    }
}

/// See [`ReadAhead::plan`].
fn propose(track: &mut Track, chunk_count: u64, pending: &impl Fn(u64) -> bool) -> Option<u64> {
    // Chunks decoded ahead and evicted before use, or whose decode never happened, no longer
    // hold a place.
    track.ahead.retain(|&c| pending(c));
    let allowed = track.asked.len().saturating_sub(1).min(MAX_AHEAD);
    if track.ahead.len() >= allowed || chunk_count == 0 {
        return None;
    }
    let last = track.last.unwrap_or(0) % chunk_count;
    let next = (1..chunk_count.min(MAX_PROBES))
        .map(|step| (last + step) % chunk_count)
        .find(|&c| !pending(c))?;
    track.ahead.insert(next);
    Some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn key(source: SourceId, chunk: u64) -> ChunkKey {
        ChunkKey {
            source,
            resource: 7,
            chunk,
        }
    }

    #[test]
    fn speculation_follows_what_readers_asked_for() {
        let s = SourceId::fresh();
        let ra = ReadAhead::new();
        let stored = RefCell::new(HashSet::new());
        let pending = |c: u64| stored.borrow().contains(&c);
        let read = |c: u64| {
            stored.borrow_mut().insert(c);
            let next = ra.note_read(&key(s, c), 7, true, pending);
            if let Some(n) = next {
                stored.borrow_mut().insert(n);
            }
            next
        };
        let random = |c: u64| ra.note_read(&key(s, c), 7, false, pending);
        assert_eq!(random(2), None, "a random read");
        assert_eq!(random(5), None, "random reads never count");
        assert_eq!(read(0), None, "one chunk asked for: no speculation");
        assert_eq!(read(0), None);
        assert_eq!(
            read(3),
            Some(4),
            "the next chunk after the last one asked for"
        );
        assert_eq!(
            ra.plan(&key(s, 3), 7, pending),
            None,
            "one ahead per further chunk"
        );
        assert_eq!(read(1), Some(2));
        assert_eq!(
            ra.plan(&key(s, 1), 7, pending),
            None,
            "at most MAX_AHEAD ahead"
        );
        assert_eq!(read(1), None, "the same chunk again: no new plan");
        assert_eq!(read(4), Some(5), "4 was used: room for one more");
        assert_eq!(read(6), None, "2 and 5 ahead and not asked for yet");
        assert_eq!(ra.plan(&key(s, 0), 7, pending), None);
        // A chunk decoded ahead and evicted stops counting.
        stored.borrow_mut().remove(&5);
        assert_eq!(
            ra.plan(&key(s, 0), 7, pending),
            Some(5),
            "wraps around to 5"
        );
        assert_eq!(
            ra.plan(&key(SourceId::fresh(), 0), 7, |_| false),
            None,
            "another source has no reads"
        );
    }
}
