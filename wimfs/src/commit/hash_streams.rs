//! The commit's first step: the SHA-1 of every stream that is not a blob of the WIM yet (staged
//! or inline data), on every compression thread at once, then deduplication against the WIM's
//! blob table and among themselves. Deduplication is by SHA-1 only, the way WIM identifies
//! blobs (MS-WIM 2.2.3 "Lookup table"), and it happens before anything is written, so a blob
//! whose hash exists is never written twice.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use sha1::{Digest, Sha1};

use super::metadata::StreamHashes;
use super::refs::FastMap;
use super::source::CommitSource;
use crate::error::{WimError, WimResult};
use crate::format::Sha1Hash;
use crate::inode::Content;
use crate::tree::ImageTree;

/// Read size while hashing.
const HASH_BUF: usize = 1 << 20;

/// What the hashing step found.
#[derive(Debug, Default)]
pub struct NewStreams {
    /// The hash of every stream that was not a blob of the WIM.
    pub hashes: StreamHashes,
    /// The blobs to write (hash, content), first holder's order, each hash once.
    pub new_blobs: Vec<(Sha1Hash, Content)>,
    /// Streams whose data the WIM or an earlier new blob already holds.
    pub deduplicated: usize,
}

/// SHA-1 of `content`'s `content.size()` bytes (zero for empty content), adding each read's
/// length to `done` and then calling `report(done)`; `None` if `stop` was set meanwhile
/// (another thread failed).
fn hash_one(
    src: &CommitSource<'_>,
    content: &Content,
    buf: &mut [u8],
    (done, stop): (&AtomicU64, &AtomicBool),
    report: &mut dyn FnMut(u64),
) -> WimResult<Option<Sha1Hash>> {
    if content.size() == 0 {
        return Ok(Some(Sha1Hash::ZERO));
    }
    let mut hasher = Sha1::new();
    let mut off = 0u64;
    while off < content.size() {
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let n = src.read(content, off, buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        off += n as u64;
        report(done.fetch_add(n as u64, Ordering::Relaxed) + n as u64);
    }
    Ok(Some(Sha1Hash(hasher.finalize().into())))
}

/// Hashes every stream of `tree` that is not a blob of the WIM on `threads` threads (the
/// caller's among them, which reports `progress(done, total)` in bytes), then deduplicates.
pub fn hash_new_streams(
    src: &CommitSource<'_>,
    tree: &ImageTree,
    threads: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> WimResult<NewStreams> {
    let mut todo: Vec<(u64, usize, &Content)> = Vec::new();
    for (ino, inode) in tree.live() {
        for (slot, c) in inode.streams() {
            if !c.is_blob() {
                todo.push((ino, slot, c));
            }
        }
    }
    let total: u64 = todo.iter().map(|(_, _, c)| c.size()).sum();
    let next = AtomicUsize::new(0);
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    // One thread's share: it takes the next stream in list order until none is left, and
    // returns (index, hash) pairs; the first error stops every thread.
    let work = |report: &mut dyn FnMut(u64)| -> WimResult<Vec<(usize, Sha1Hash)>> {
        let mut buf = vec![0u8; HASH_BUF];
        let mut out = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(&(_, _, content)) = todo.get(i) else {
                break;
            };
            match hash_one(src, content, &mut buf, (&done, &stop), report) {
                Ok(Some(h)) => out.push((i, h)),
                Ok(None) => break,
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
        Ok(out)
    };
    let helpers = threads.max(1).min(todo.len().max(1)) - 1;
    let finished = AtomicUsize::new(0);
    let results = std::thread::scope(|s| {
        let caller = std::thread::current();
        let handles: Vec<_> = (0..helpers)
            .map(|_| {
                let caller = caller.clone();
                let (work, finished) = (&work, &finished);
                s.spawn(move || {
                    let r = work(&mut |_| {});
                    finished.fetch_add(1, Ordering::Release);
                    caller.unpark(); // the caller may be waiting for this thread
                    r
                })
            })
            .collect();
        // The caller's thread hashes too, reporting progress after each read; once its share
        // is done, it keeps reporting while the others finish theirs.
        let mut all = vec![work(&mut |d| progress(d, total))];
        // (A helper that panicked never counts itself: it ends the wait by having finished.)
        while finished.load(Ordering::Acquire) < helpers && !handles.iter().all(|h| h.is_finished())
        {
            std::thread::park_timeout(std::time::Duration::from_millis(100));
            progress(done.load(Ordering::Relaxed), total);
        }
        for h in handles {
            all.push(h.join().unwrap_or_else(|_| {
                Err(WimError::Unsupported("a hashing thread panicked".into()))
            }));
        }
        all
    });
    let mut hashes = vec![Sha1Hash::ZERO; todo.len()];
    for r in results {
        r?.into_iter().for_each(|(i, h)| hashes[i] = h);
    }
    progress(total, total);
    Ok(dedup(src, &todo, &hashes))
}

/// Decides, in list order, which hashed streams are new blobs.
fn dedup(
    src: &CommitSource<'_>,
    todo: &[(u64, usize, &Content)],
    hashes: &[Sha1Hash],
) -> NewStreams {
    let mut out = NewStreams {
        hashes: StreamHashes {
            hashed: FastMap::with_capacity_and_hasher(todo.len(), Default::default()),
        },
        ..NewStreams::default()
    };
    let mut seen: FastMap<Sha1Hash, ()> = FastMap::default();
    for (&(ino, slot, content), &hash) in todo.iter().zip(hashes) {
        out.hashes.hashed.insert((ino, slot), hash);
        if hash.is_zero() {
            continue;
        }
        if src.wim.blob(&hash).is_some() || seen.insert(hash, ()).is_some() {
            out.deduplicated += 1;
        } else {
            out.new_blobs.push((hash, content.clone()));
        }
    }
    out
}
