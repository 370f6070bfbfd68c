//! Compressing a sequence of chunks on a pool of threads (one per core, like wimlib's chunk
//! compressor) and handing the results back in their original order.
//!
//! Three roles run at once: one producer thread cuts the input into chunks (reading staged
//! data), `threads` workers compress them, and the caller's thread receives them in sequence and
//! writes them. The queues are bounded, so at most about `3 * depth` batches of chunks are in
//! memory.

use std::collections::BTreeMap;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use crate::error::{WimError, WimResult};

/// Compresses one chunk; `None` stores it raw.
pub type ChunkCompressor<'c> = &'c (dyn Fn(&[u8]) -> Option<Vec<u8>> + Sync);

/// One chunk as it will be stored.
#[derive(Debug)]
pub struct StoredChunk {
    /// The bytes to write: compressed, or the raw chunk.
    pub data: Vec<u8>,
    /// The chunk's uncompressed length.
    pub raw_len: usize,
}

/// Hands chunks to the workers; `false` once the pipeline is shutting down.
pub type Emit<'e> = dyn FnMut(Vec<u8>) -> bool + 'e;

/// Chunks travel in batches of at least this many bytes (one chunk when chunks are larger), so
/// that fast codecs do not spend their time handing 32 KiB chunks between threads.
const BATCH_BYTES: usize = 256 << 10;

/// Batch number, its chunks.
type Job = (u64, Vec<Vec<u8>>);

/// What the caller's side receives.
enum Done {
    /// Batch number `.0`, ready to write.
    Batch(u64, Vec<StoredChunk>),
    /// The producer finished after emitting `.0` batches.
    End(u64),
}

/// Runs `produce` on its own thread (it calls `emit` with each chunk, in order), compresses the
/// chunks with `compress` on `threads` workers, and calls `sink` with each stored chunk in the
/// order produced. `depth` bounds each queue (in batches). An error from any role stops all of
/// them.
pub fn compress_in_order(
    threads: usize,
    depth: usize,
    produce: impl FnOnce(&mut Emit<'_>) -> WimResult<()> + Send,
    compress: ChunkCompressor<'_>,
    sink: &mut dyn FnMut(StoredChunk) -> WimResult<()>,
) -> WimResult<()> {
    let depth = depth.max(1);
    let (job_tx, job_rx) = sync_channel::<Job>(depth);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (res_tx, res_rx) = sync_channel::<WimResult<Done>>(depth);
    std::thread::scope(|s| -> WimResult<()> {
        // Owned here so an early return drops it, which unblocks every other thread.
        let res_rx = res_rx;
        let prod_tx = res_tx.clone();
        s.spawn(move || {
            let mut seq = 0u64;
            let mut batch: Vec<Vec<u8>> = Vec::new();
            let mut bytes = 0usize;
            let mut send = |batch: Vec<Vec<u8>>| {
                let ok = job_tx.send((seq, batch)).is_ok();
                seq += 1;
                ok
            };
            let mut emit = |chunk: Vec<u8>| {
                bytes += chunk.len();
                batch.push(chunk);
                if bytes < BATCH_BYTES {
                    return true;
                }
                bytes = 0;
                send(std::mem::take(&mut batch))
            };
            let mut result = produce(&mut emit);
            if result.is_ok() && !batch.is_empty() && !send(batch) {
                result = Err(WimError::Unsupported("a compression thread stopped".into()));
            }
            drop(job_tx);
            // Tells the receiver how many batches to expect (or why there are fewer).
            let _ = prod_tx.send(result.map(|()| Done::End(seq)));
        });
        for _ in 0..threads.max(1) {
            let tx = res_tx.clone();
            let rx = Arc::clone(&job_rx);
            s.spawn(move || work(&rx, &tx, compress));
        }
        drop(res_tx);
        drop(job_rx);
        receive_in_order(&res_rx, sink)
    })
}

/// Compresses one chunk, or keeps it raw when that is not smaller.
fn store(raw: Vec<u8>, compress: ChunkCompressor<'_>) -> StoredChunk {
    match compress(&raw).filter(|c| c.len() < raw.len()) {
        Some(data) => StoredChunk {
            data,
            raw_len: raw.len(),
        },
        None => StoredChunk {
            raw_len: raw.len(),
            data: raw,
        },
    }
}

/// A worker: takes jobs until the queue closes.
fn work(
    rx: &Mutex<Receiver<Job>>,
    tx: &SyncSender<WimResult<Done>>,
    compress: ChunkCompressor<'_>,
) {
    loop {
        let job = rx.lock().ok().and_then(|r| r.recv().ok());
        let Some((seq, batch)) = job else { return };
        let stored = batch.into_iter().map(|raw| store(raw, compress)).collect();
        if tx.send(Ok(Done::Batch(seq, stored))).is_err() {
            return;
        }
    }
}

/// The caller's side: reorders results and feeds `sink` until the producer's count is reached.
fn receive_in_order(
    rx: &Receiver<WimResult<Done>>,
    sink: &mut dyn FnMut(StoredChunk) -> WimResult<()>,
) -> WimResult<()> {
    let mut pending: BTreeMap<u64, Vec<StoredChunk>> = BTreeMap::new();
    let mut next = 0u64;
    let mut total: Option<u64> = None;
    while total != Some(next) {
        match rx
            .recv()
            .map_err(|_| WimError::Unsupported("a compression thread stopped".into()))??
        {
            Done::End(count) => total = Some(count),
            Done::Batch(seq, chunks) => {
                pending.insert(seq, chunks);
            }
        }
        while let Some(chunks) = pending.remove(&next) {
            for chunk in chunks {
                sink(chunk)?;
            }
            next += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivers_every_chunk_in_order() {
        let compress = |raw: &[u8]| raw[0].is_multiple_of(2).then(|| vec![raw[0]]);
        let mut got = Vec::new();
        compress_in_order(
            3,
            2,
            |emit| {
                // 100 KiB each: batches of three.
                for i in 0u8..50 {
                    if !emit(vec![i; 100 << 10]) {
                        break;
                    }
                }
                Ok(())
            },
            &compress,
            &mut |c| {
                got.push((c.data[0], c.data.len(), c.raw_len));
                Ok(())
            },
        )
        .expect("pipeline");
        let want: Vec<_> = (0u8..50)
            .map(|i| {
                (
                    i,
                    if i.is_multiple_of(2) { 1 } else { 100 << 10 },
                    100 << 10,
                )
            })
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_producer_error_stops_the_pipeline() {
        let compress = |_: &[u8]| -> Option<Vec<u8>> { None };
        let err = compress_in_order(
            2,
            1,
            |emit| {
                emit(vec![1]);
                Err(WimError::Unsupported("staged file vanished".into()))
            },
            &compress,
            &mut |_| Ok(()),
        )
        .expect_err("fails");
        assert!(err.to_string().contains("vanished"), "{err}");
    }
}
