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

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use lru::LruCache;
use parking_lot::Mutex;

use crate::chunk_key::ChunkKey;
use crate::io::{copy_at, read_exact_at, write_all_at};

/// Where one stored chunk lives in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Extent {
    offset: u64,
    len: u64,
    /// Which store put it there (extents are reused).
    store: u64,
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
        let len = data.len() as u64;
        if len == 0 || len > self.budget {
            return Ok(false);
        }
        let (offset, store) = {
            let mut st = self.state.lock();
            if st.index.contains(&key) {
                return Ok(true);
            }
            while st.used + len > self.budget {
                let Some((_, old)) = st.index.pop_lru() else {
                    // What is left is being written by other stores: no room now.
                    return Ok(false);
                };
                st.used -= old.len;
                punch_hole(&self.file, old.offset, old.len);
                st.free.push((old.offset, old.len));
            }
            let offset = match st.free.iter().position(|&(_, l)| l >= len) {
                Some(i) => {
                    let (off, l) = st.free.swap_remove(i);
                    if l > len {
                        st.free.push((off + len, l - len));
                    }
                    off
                }
                None => {
                    let off = st.end;
                    st.end += len;
                    off
                }
            };
            st.used += len;
            st.next_store += 1;
            (offset, st.next_store)
        };
        let written = write_all_at(&self.file, offset, data);
        let mut st = self.state.lock();
        match written {
            Ok(()) => {
                self.stored_bytes.fetch_add(len, Ordering::Relaxed);
                st.index.put(key, Extent { offset, len, store });
                Ok(true)
            }
            Err(e) => {
                st.used -= len;
                st.free.push((offset, len));
                Err(e)
            }
        }
    }

    /// Reads chunk `key` from `within` into `out`, decoding it with `decode` on a miss and
    /// storing the result. Concurrent misses of one chunk decode once. Returns the bytes
    /// copied (short only at the chunk's end). `decode` returns the bytes and a guard (a
    /// memory permit) dropped only once the bytes are, so the permit covers the buffer's whole
    /// life. A failed read of the file is handed to `read_error`; a failed write only loses
    /// the copy (it is logged, and the bytes go to the callers waiting for them).
    pub fn read_or_fill<E, G>(
        &self,
        key: ChunkKey,
        within: u64,
        out: &mut [u8],
        decode: impl FnOnce() -> Result<(Arc<[u8]>, G), E>,
        read_error: impl Fn(io::Error) -> E,
    ) -> Result<usize, E> {
        if let Some(n) = self.read(&key, within, out).map_err(&read_error)? {
            return Ok(n);
        }
        let cell = Arc::clone(self.inflight.lock().entry(key).or_default());
        let result = self.fill(&cell, key, within, out, decode, &read_error);
        let mut inflight = self.inflight.lock();
        if inflight.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
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
        decode: impl FnOnce() -> Result<(Arc<[u8]>, G), E>,
        read_error: &impl Fn(io::Error) -> E,
    ) -> Result<usize, E> {
        let mut slot = cell.lock();
        if let Some(kept) = slot.as_ref() {
            return Ok(copy_at(kept, within, out));
        }
        if let Some(n) = self.read(&key, within, out).map_err(read_error)? {
            return Ok(n);
        }
        let (data, guard) = decode()?;
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
        drop(guard);
        Ok(n)
    }
}

/// A new file in `dir` that no path names.
#[cfg(unix)]
fn anonymous_file(dir: &Path) -> io::Result<File> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let name = dir.join(format!(
        ".spill-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&name)?;
    std::fs::remove_file(&name)?;
    Ok(file)
}

/// A new file in `dir`, deleted when closed.
#[cfg(windows)]
fn anonymous_file(dir: &Path) -> io::Result<File> {
    use std::os::windows::fs::OpenOptionsExt;
    const FILE_FLAG_DELETE_ON_CLOSE: u32 = 0x0400_0000;
    const FILE_ATTRIBUTE_TEMPORARY: u32 = 0x100;
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let name = dir.join(format!(
        ".spill-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .custom_flags(FILE_FLAG_DELETE_ON_CLOSE)
        .attributes(FILE_ATTRIBUTE_TEMPORARY)
        .open(&name)
}

/// Gives an evicted extent's blocks back to the file system (best effort).
#[cfg(target_os = "linux")]
fn punch_hole(file: &File, offset: u64, len: u64) {
    use std::os::unix::io::AsRawFd;
    let (Ok(off), Ok(l)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len)) else {
        return;
    };
    // SAFETY: fallocate on our own open descriptor; no memory is passed.
    unsafe {
        libc::fallocate(
            file.as_raw_fd(),
            libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
            off,
            l,
        );
    }
}

/// Gives an evicted extent's blocks back to the file system (best effort).
#[cfg(not(target_os = "linux"))]
fn punch_hole(_file: &File, _offset: u64, _len: u64) {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk_key::SourceId;

    fn dir() -> PathBuf {
        std::env::temp_dir().join(format!("spill-test-{}", std::process::id()))
    }

    fn key(source: SourceId, chunk: u64) -> ChunkKey {
        ChunkKey {
            source,
            resource: 0,
            chunk,
        }
    }

    #[test]
    fn stores_reads_and_evicts_within_budget() {
        let spill = SpillFile::create_in(&dir(), 3000).expect("spill");
        let s = SourceId::fresh();
        for i in 0..5u8 {
            spill
                .store(key(s, u64::from(i)), &[i; 1000])
                .expect("store");
        }
        assert!(spill.stats().2 <= 3000);
        let mut buf = [0u8; 10];
        assert_eq!(spill.read(&key(s, 0), 0, &mut buf).expect("read"), None);
        assert_eq!(
            spill.read(&key(s, 4), 995, &mut buf).expect("read"),
            Some(5)
        );
        assert_eq!(&buf[..5], &[4; 5]);
        assert_eq!(spill.read(&key(s, 4), 1000, &mut buf).expect("read"), None);
    }

    #[test]
    fn fills_decode_once_and_sources_stay_apart() {
        let spill = SpillFile::create_in(&dir(), 1 << 20).expect("spill");
        let (a, b) = (SourceId::fresh(), SourceId::fresh());
        let mut calls = 0;
        let mut buf = [0u8; 4];
        for _ in 0..3 {
            let n = spill
                .read_or_fill(
                    key(a, 7),
                    2,
                    &mut buf,
                    || {
                        calls += 1;
                        Ok((Arc::from(vec![1u8, 2, 3, 4, 5, 6]), ()))
                    },
                    |e| e,
                )
                .expect("fill");
            assert_eq!(&buf[..n], &[3, 4, 5, 6]);
        }
        assert_eq!(calls, 1);
        let n = spill
            .read_or_fill(
                key(b, 7),
                0,
                &mut buf,
                || Ok((Arc::from(vec![9u8; 4]), ())),
                |e| e,
            )
            .expect("fill");
        assert_eq!(&buf[..n], &[9; 4]);
    }

    #[test]
    fn a_read_racing_with_eviction_and_reuse_is_detected() {
        let spill = SpillFile::create_in(&dir(), 1000).expect("spill");
        let s = SourceId::fresh();
        spill.store(key(s, 1), &[1; 1000]).expect("store");
        let ext = spill.lookup(&key(s, 1)).expect("stored");
        // Another thread evicts chunk 1 and reuses its space before this reader's pread.
        spill.store(key(s, 2), &[2; 1000]).expect("store");
        let mut buf = [0u8; 10];
        spill.read_extent(ext, 0, &mut buf).expect("read");
        assert_eq!(buf, [2; 10], "the extent was reused");
        assert!(!spill.still_holds(&key(s, 1), ext));
        // Stored again at the same place: a new store number, so a read begun before does
        // not trust bytes that may be torn between the two stores.
        spill.store(key(s, 1), &[1; 1000]).expect("store");
        assert!(!spill.still_holds(&key(s, 1), ext));
        assert_eq!(spill.read(&key(s, 1), 0, &mut buf).expect("read"), Some(10));
        assert_eq!(buf, [1; 10]);
    }

    #[test]
    fn concurrent_readers_and_evictions_never_mix_chunks() {
        const LEN: usize = 256 * 1024;
        let spill = Arc::new(SpillFile::create_in(&dir(), 4 * LEN as u64).expect("spill"));
        let s = SourceId::fresh();
        std::thread::scope(|scope| {
            for t in 0..8u64 {
                let spill = Arc::clone(&spill);
                scope.spawn(move || {
                    let mut buf = vec![0u8; LEN];
                    for round in 0..400u64 {
                        let chunk = (round * 7 + t * 13) % 16;
                        let fill = (chunk + 1) as u8;
                        let n = spill
                            .read_or_fill(
                                key(s, chunk),
                                0,
                                &mut buf,
                                || Ok((Arc::from(vec![fill; LEN]), ())),
                                |e| e,
                            )
                            .expect("fill");
                        assert!(buf[..n].iter().all(|&b| b == fill), "chunk {chunk} mixed");
                    }
                });
            }
        });
        assert!(spill.stats().2 <= 4 * LEN as u64);
    }
}
