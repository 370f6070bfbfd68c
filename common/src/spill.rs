//! The disk tier of the chunk cache: decoded chunks too big or too many for RAM (64 MiB LZMS
//! solid chunks) kept in one anonymous file, read back through the page cache.
//!
//! A solid chunk must be decoded whole, so a read order that cycles through more chunks than
//! RAM holds would decode each chunk again and again. Spilled, each chunk is decoded about once
//! per mount whatever the order and the RAM budget: a later read of any part of it is one
//! `pread` of just that part. The file is unlinked as soon as it is made (on Windows it is
//! deleted on close), so it disappears at unmount, and also when the daemon is killed. Its
//! size on disk is bounded by the budget: the least recently used chunks are evicted (their
//! blocks punched out on Linux) and their space reused.
//!
//! Reads never see a half-written or reused extent: an extent enters the index only after its
//! bytes are written, and a reader re-checks after its `pread` that the chunk still lives in
//! the same extent under the same store number, retrying otherwise.
//!
//! A missing chunk is decoded straight into its extent through a shared mapping
//! ([`crate::spill_map`]) where the system allows, so its bytes are page cache from the start,
//! never the daemon's anonymous memory; otherwise into memory, then written. Its compressed
//! input is then staged in a scratch extent of the file, and the decoder's progress releases
//! the pages it is done with ([`SpillTarget`]), so the daemon's resident set grows by a bounded
//! window while a 64 MiB chunk is decoded, not by the chunk and its input.
//!
//! Disk use: at most the budget of decoded chunks, plus the inputs of the decodes in flight
//! (each at most one chunk; decodes in flight are bounded by the cache's decode budget).

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use lru::LruCache;
use parking_lot::Mutex;

use crate::chunk_key::ChunkKey;
use crate::io::{copy_at, read_exact_at, write_all_at};
use crate::spill_map::{reserved_len, MappedExtent};

#[path = "spill_ahead.rs"]
mod ahead;
#[path = "spill_os.rs"]
mod os;
#[path = "spill_target.rs"]
mod target;
pub use ahead::{ReadAhead, MAX_AHEAD};
use os::{anonymous_file, punch_hole};
pub use target::{DecodeAt, SpillTarget, StagedInput};

/// Where one stored chunk lives in the file (its space: `reserved_len(len)` bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Extent {
    offset: u64,
    len: u64,
    /// Which store put it there (extents are reused).
    store: u64,
}

/// How to make a chunk the file does not hold yet (see [`SpillFile::read_or_fill`]).
#[derive(Debug)]
pub struct ChunkFill<P, D> {
    /// The chunk's decoded length.
    pub len: u64,
    /// How much output may stay mapped behind the decoders while they decode into the file,
    /// shared by the decodes in flight (see [`SpillTarget`]).
    pub resident: usize,
    /// Takes the memory permit a decode needs, told whether the output is a mapping of the
    /// file (whose pages the decode releases) or memory; the permit is dropped once the
    /// decoded bytes are.
    pub permit: P,
    /// Decodes the chunk into a [`SpillTarget`] of exactly `len` bytes.
    pub decode: D,
}

#[derive(Debug)]
struct State {
    index: LruCache<ChunkKey, Extent>,
    /// Space freed by evictions, for reuse (first fit).
    free: Vec<(u64, u64)>,
    /// The end of the used part of the file.
    end: u64,
    /// Bytes held by indexed and in-flight extents.
    used: u64,
    next_store: u64,
}

/// Where concurrent misses of one chunk wait for the first caller's decode.
type FillSlot = Mutex<Option<Arc<[u8]>>>;

/// A bounded on-disk store of decoded chunks, safe to share between threads.
#[derive(Debug)]
pub struct SpillFile {
    file: File,
    dir: PathBuf,
    budget: u64,
    state: Mutex<State>,
    inflight: Mutex<HashMap<ChunkKey, Arc<FillSlot>>>,
    hits: AtomicU64,
    stored_bytes: AtomicU64,
    /// Decodes into mappings of the file in flight (they share the resident window).
    mapped_decodes: AtomicUsize,
    ahead: ReadAhead,
}

/// Attempts at a read racing with evictions before it gives up and decodes instead.
const READ_ATTEMPTS: usize = 4;

impl SpillFile {
    /// An empty store in `dir` (created if missing) holding at most `budget` bytes.
    pub fn create_in(dir: &Path, budget: u64) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let file = anonymous_file(dir)?;
        Ok(Self {
            file,
            dir: dir.to_path_buf(),
            budget,
            state: Mutex::new(State {
                index: LruCache::unbounded(),
                free: Vec::new(),
                end: 0,
                used: 0,
                next_store: 1,
            }),
            inflight: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            stored_bytes: AtomicU64::new(0),
            mapped_decodes: AtomicUsize::new(0),
            ahead: ReadAhead::new(),
        })
    }

    /// The directory holding the (unlinked) file.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The byte budget.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// The planner of decodes ahead of readers for the chunks this file holds.
    pub fn ahead(&self) -> &ReadAhead {
        &self.ahead
    }

    /// Decodes into mappings of the file in flight now (at least 1, for sharing a window).
    fn mapped_decodes(&self) -> usize {
        self.mapped_decodes.load(Ordering::Relaxed).max(1)
    }

    /// (reads served from the file, bytes written to it, bytes it holds now).
    pub fn stats(&self) -> (u64, u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.stored_bytes.load(Ordering::Relaxed),
            self.state.lock().used,
        )
    }

    /// Copies the stored chunk `key`'s bytes from `within` into `out`; `None` when the chunk
    /// is not stored (or `within` is past its end).
    pub fn read(&self, key: &ChunkKey, within: u64, out: &mut [u8]) -> io::Result<Option<usize>> {
        for _ in 0..READ_ATTEMPTS {
            let Some(ext) = self.lookup(key) else {
                return Ok(None);
            };
            if within >= ext.len {
                return Ok(None);
            }
            let n = self.read_extent(ext, within, out)?;
            if self.still_holds(key, ext) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(Some(n));
            }
        }
        Ok(None)
    }

    /// True when chunk `key` is stored (without marking it used).
    pub fn contains(&self, key: &ChunkKey) -> bool {
        self.state.lock().index.contains(key)
    }

    /// True when chunk `key` is stored or being decoded.
    pub fn has_or_fills(&self, key: &ChunkKey) -> bool {
        self.contains(key) || self.inflight.lock().contains_key(key)
    }

    /// Where chunk `key` is stored (marking it recently used).
    fn lookup(&self, key: &ChunkKey) -> Option<Extent> {
        self.state.lock().index.get(key).copied()
    }

    /// Copies extent `ext`'s bytes from `within` into `out` (without the lock: the extent may
    /// be evicted and reused meanwhile, which [`Self::still_holds`] tells afterwards).
    fn read_extent(&self, ext: Extent, within: u64, out: &mut [u8]) -> io::Result<usize> {
        let n = out
            .len()
            .min(usize::try_from(ext.len - within).unwrap_or(usize::MAX));
        read_exact_at(&self.file, ext.offset + within, &mut out[..n])?;
        Ok(n)
    }

    /// True when chunk `key` is still the one stored at `ext` by the same store.
    fn still_holds(&self, key: &ChunkKey, ext: Extent) -> bool {
        self.state.lock().index.peek(key) == Some(&ext)
    }

    /// Stores `data` as chunk `key` (evicting least recently used chunks to stay within the
    /// budget); true when it is stored. A chunk larger than the budget is not stored, nor one
    /// that does not fit beside the chunks other threads are writing.
    pub fn store(&self, key: ChunkKey, data: &[u8]) -> io::Result<bool> {
        let ext = match self.reserve(&key, data.len() as u64) {
            Reserved::Already => return Ok(true),
            Reserved::NoRoom => return Ok(false),
            Reserved::At(ext) => ext,
        };
        match write_all_at(&self.file, ext.offset, data) {
            Ok(()) => {
                self.commit(key, ext);
                Ok(true)
            }
            Err(e) => {
                self.abandon(ext);
                Err(e)
            }
        }
    }

    /// Reserves space for `len` bytes of chunk `key`, evicting least recently used chunks.
    fn reserve(&self, key: &ChunkKey, len: u64) -> Reserved {
        let space = reserved_len(len);
        if len == 0 || space > self.budget {
            return Reserved::NoRoom;
        }
        let mut st = self.state.lock();
        if st.index.contains(key) {
            return Reserved::Already;
        }
        while st.used + space > self.budget {
            let Some((_, old)) = st.index.pop_lru() else {
                // What is left is being written by other stores: no room now.
                return Reserved::NoRoom;
            };
            let old_space = reserved_len(old.len);
            st.used -= old_space;
            punch_hole(&self.file, old.offset, old_space);
            st.free.push((old.offset, old_space));
        }
        let offset = take_space(&mut st, space);
        st.used += space;
        st.next_store += 1;
        Reserved::At(Extent {
            offset,
            len,
            store: st.next_store,
        })
    }

    /// Indexes extent `ext`, whose bytes are written, as chunk `key`.
    fn commit(&self, key: ChunkKey, ext: Extent) {
        self.stored_bytes.fetch_add(ext.len, Ordering::Relaxed);
        self.state.lock().index.put(key, ext);
    }

    /// Gives back the space of a reserved extent that was not filled.
    fn abandon(&self, ext: Extent) {
        let space = reserved_len(ext.len);
        punch_hole(&self.file, ext.offset, space);
        let mut st = self.state.lock();
        st.used -= space;
        st.free.push((ext.offset, space));
    }

    /// Reads chunk `key` from `within` into `out`, making it with `fill` on a miss and
    /// storing it. Concurrent misses of one chunk decode once. Returns the bytes copied (short
    /// only at the chunk's end). The chunk is decoded straight into its extent of the file
    /// when it can be mapped; otherwise into memory (under `fill.permit`, held until the
    /// buffer is dropped), then written. A failed read of the file is handed to `read_error`;
    /// a failed write only loses the copy (it is logged, and the bytes go to the callers
    /// waiting for them).
    pub fn read_or_fill<E, G>(
        &self,
        key: ChunkKey,
        within: u64,
        out: &mut [u8],
        fill: ChunkFill<
            impl FnOnce(bool) -> Result<G, E>,
            impl FnOnce(&mut SpillTarget<'_>) -> Result<(), E>,
        >,
        read_error: impl Fn(io::Error) -> E,
    ) -> Result<usize, E> {
        if let Some(n) = self.read(&key, within, out).map_err(&read_error)? {
            return Ok(n);
        }
        let cell = Arc::clone(self.inflight.lock().entry(key).or_default());
        let result = self.fill(&cell, key, within, out, fill, &read_error);
        // The slot leaves the map with its last user, not with the first to finish: a fill
        // that failed (no decode budget) would otherwise let a later miss of the chunk start
        // a second decode beside that of a thread still holding the slot. Slots are cloned
        // and dropped only under this lock, so the count is exact.
        let mut inflight = self.inflight.lock();
        let ours = Arc::as_ptr(&cell);
        drop(cell);
        if inflight
            .get(&key)
            .is_some_and(|c| Arc::as_ptr(c) == ours && Arc::strong_count(c) == 1)
        {
            inflight.remove(&key);
        }
        result
    }

    /// [`Self::read_or_fill`] once it holds the chunk's fill slot.
    fn fill<E, G>(
        &self,
        cell: &FillSlot,
        key: ChunkKey,
        within: u64,
        out: &mut [u8],
        fill: ChunkFill<
            impl FnOnce(bool) -> Result<G, E>,
            impl FnOnce(&mut SpillTarget<'_>) -> Result<(), E>,
        >,
        read_error: &impl Fn(io::Error) -> E,
    ) -> Result<usize, E> {
        let mut slot = cell.lock();
        if let Some(kept) = slot.as_ref() {
            return Ok(copy_at(kept, within, out));
        }
        if let Some(n) = self.read(&key, within, out).map_err(read_error)? {
            return Ok(n);
        }
        if let Some((ext, mut map)) = self.reserve_mapped(&key, fill.len) {
            let permit = match (fill.permit)(true) {
                Ok(p) => p,
                Err(e) => {
                    drop(map);
                    self.abandon(ext);
                    return Err(e);
                }
            };
            let decoded = {
                let _counted = MappedDecode::count(&self.mapped_decodes);
                let (bytes, pages) = map.split();
                (fill.decode)(&mut SpillTarget::mapped(self, bytes, pages, fill.resident))
            };
            drop(permit);
            if let Err(e) = decoded {
                drop(map);
                self.abandon(ext);
                return Err(e);
            }
            let n = copy_at(map.bytes_mut(), within, out);
            drop(map);
            self.commit(key, ext);
            return Ok(n);
        }
        let permit = (fill.permit)(false)?;
        let len = usize::try_from(fill.len)
            .map_err(|_| read_error(io::Error::other("chunk larger than memory")))?;
        let mut data: Arc<[u8]> = std::iter::repeat_n(0u8, len).collect();
        let buf = Arc::get_mut(&mut data)
            .ok_or_else(|| read_error(io::Error::other("decode buffer shared")))?;
        (fill.decode)(&mut SpillTarget::memory(buf))?;
        let stored = self.store(key, &data);
        let n = copy_at(&data, within, out);
        match stored {
            Ok(true) => drop(data),
            // Not stored (no room, or larger than the budget): the callers waiting for this
            // chunk get these bytes instead.
            Ok(false) => *slot = Some(data),
            Err(e) => {
                tracing::warn!("spill file in {}: {e}", self.dir.display());
                *slot = Some(data);
            }
        }
        drop(permit);
        Ok(n)
    }

    /// Scratch space for `len` bytes outside the budget (a decode's input, written with
    /// [`crate::spill_map::fill_extent`]), mapped; `None` when it cannot be mapped. Give it back
    /// with [`Self::release_scratch`].
    fn reserve_scratch_mapped(&self, len: u64) -> Option<(Extent, MappedExtent)> {
        let ext = {
            let mut st = self.state.lock();
            let offset = take_space(&mut st, reserved_len(len));
            Extent {
                offset,
                len,
                store: 0,
            }
        };
        match MappedExtent::map(&self.file, ext.offset, len, false) {
            Ok(Some(map)) => Some((ext, map)),
            Ok(None) => {
                self.release_scratch(ext);
                None
            }
            Err(e) => {
                tracing::debug!("mapping the spill file in {}: {e}", self.dir.display());
                self.release_scratch(ext);
                None
            }
        }
    }

    /// Gives back scratch space (its blocks and pages are dropped unwritten).
    fn release_scratch(&self, ext: Extent) {
        let space = reserved_len(ext.len);
        punch_hole(&self.file, ext.offset, space);
        self.state.lock().free.push((ext.offset, space));
    }

    /// A reserved extent for chunk `key`, mapped writable; `None` when the chunk is stored
    /// already, there is no room, or the extent cannot be mapped (the space is given back).
    fn reserve_mapped(&self, key: &ChunkKey, len: u64) -> Option<(Extent, MappedExtent)> {
        let Reserved::At(ext) = self.reserve(key, len) else {
            return None;
        };
        match MappedExtent::map(&self.file, ext.offset, len, true) {
            Ok(Some(map)) => Some((ext, map)),
            Ok(None) => {
                self.abandon(ext);
                None
            }
            Err(e) => {
                tracing::debug!("mapping the spill file in {}: {e}", self.dir.display());
                self.abandon(ext);
                None
            }
        }
    }
}

/// `space` bytes of the file for a new extent: the first free gap that fits, else the end.
fn take_space(st: &mut State, space: u64) -> u64 {
    match st.free.iter().position(|&(_, l)| l >= space) {
        Some(i) => {
            let (off, l) = st.free.swap_remove(i);
            if l > space {
                st.free.push((off + space, l - space));
            }
            off
        }
        None => {
            let off = st.end;
            st.end += space;
            off
        }
    }
}

/// One decode into a mapping of the file, counted while it lives.
struct MappedDecode<'a>(&'a AtomicUsize);

impl<'a> MappedDecode<'a> {
    fn count(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::Relaxed);
        Self(n)
    }
}

impl Drop for MappedDecode<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What [`SpillFile::reserve`] found.
enum Reserved {
    /// The chunk is stored.
    Already,
    /// No space within the budget now.
    NoRoom,
    /// Space reserved here.
    At(Extent),
}

#[cfg(test)]
#[path = "spill_tests.rs"]
mod tests;
