//! [`HttpSource`]: a [`ReadAt`] over an object on a web server.
//!
//! Reads are served from fixed-size blocks: from memory ([`BlockTable`]), from the disk cache
//! ([`DiskCache`]), or fetched with conditional range requests by a small pool of threads
//! ([`workers`]). A read queues the blocks it needs first (adjacent ones in one request) and
//! the readahead of its stream behind them, then waits for its blocks, at most the configured
//! timeout. The object's version is pinned at open: once the server shows another version, no
//! block is fetched any more and reads of blocks not already held fail with `EIO` (the reason
//! is logged once); held blocks are of the pinned version, so no file shows mixed bytes.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use super::auth::authorization;
use super::blocks::{BlockState, BlockTable};
use super::client::{with_retries, AttemptError, ProcessClient};
use super::config::HttpConfig;
use super::disk_cache::DiskIndex;
use super::error::HttpError;
use super::fetcher::Shared;
use super::readahead::Readahead;
use super::requests::{probe, ProbeOutcome};
use super::url::HttpUrl;
use super::version::PinnedVersion;
use super::workers::{runs, Job, RunJob};
use crate::io::ReadAt;

/// Bytes fetched at open to check a disk-cached version's content: they cover a WIM's header
/// and an ISO's primary volume descriptor (sector 16 of 2048 bytes).
pub const CONTENT_CHECK_BYTES: u64 = 64 << 10;

/// Counters, for logs and benchmarks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HttpStats {
    /// Range requests sent (retries included).
    pub requests: u64,
    /// Body bytes received.
    pub bytes_fetched: u64,
    /// Blocks read from the disk cache.
    pub disk_hits: u64,
}

/// An object on a web server, read with range requests.
#[derive(Debug, Clone)]
pub struct HttpSource {
    shared: Arc<Shared>,
}

impl HttpSource {
    /// Opens `location`: one request learns the size and validators (pinned from now on) and
    /// brings the first block; a server that ignores ranges is refused here. With a disk
    /// cache of the same version, the request brings only the first [`CONTENT_CHECK_BYTES`],
    /// and the cached blocks are used only if they begin with them: validators cannot tell
    /// apart two versions of one size written within the same second (nginx's ETag is the
    /// mtime in seconds and the size), the first bytes of an image (a WIM's header with its
    /// table offsets, an ISO's volume descriptors with their dates) can.
    pub fn open(location: &str, config: &HttpConfig) -> Result<Self, HttpError> {
        let url = HttpUrl::parse(location)?;
        let client = ProcessClient::new(config, authorization(&url, config))?;
        let index = match &config.cache_dir {
            Some(dir) => Some(DiskIndex::open(dir, &url.cache_identity())?),
            None => None,
        };
        let cached = index.as_ref().and_then(DiskIndex::latest);
        let block = config.block_bytes();
        // With blocks on disk, only the first bytes are fetched: enough to compare the
        // content with the cached copy, whose other blocks are then read from disk.
        let probe_len = if cached.is_some() {
            CONTENT_CHECK_BYTES.min(block)
        } else {
            block
        };
        let agent = client.get()?;
        let target = url.request_url();
        let deadline = Instant::now() + config.timeout;
        let ProbeOutcome { version, first } =
            with_retries(deadline, |t| probe(&agent, &target, probe_len, t))
                .map_err(|e| open_error(&url, e))?;
        if version.condition().is_none() {
            tracing::warn!(
                "{}: the server sends no strong ETag nor Last-Modified; a change on the server can only be noticed by its size",
                url.display()
            );
        }
        let disk = match &index {
            Some(i) => Some(i.open_version(&version, block, config.cache_dir_max_bytes)?),
            None => None,
        };
        // Same version, other bytes (or no block 0 to compare with): the cached blocks
        // cannot be trusted.
        let disk = match (disk, &cached) {
            (Some(d), Some(c))
                if *c == version && !d.get(0).is_some_and(|b| b.starts_with(&first)) =>
            {
                tracing::warn!(
                    "{}: the cached blocks do not match the object on the server although its size, ETag and Last-Modified are the same (replaced within the same second?); fetching it again",
                    url.display()
                );
                match d.clear() {
                    Ok(()) => Some(d),
                    Err(e) => {
                        tracing::warn!(
                            "{}: clearing its cached blocks: {e}; not using the cache",
                            url.display()
                        );
                        None
                    }
                }
            }
            (d, _) => d,
        };
        let blocks = version.size.div_ceil(block);
        let shared = Arc::new_cyclic(|me| Shared {
            config: config.clone(),
            block,
            blocks,
            client,
            table: Mutex::new(BlockTable::new(
                config.memory_cache_bytes.max(block as usize),
            )),
            arrived: Condvar::new(),
            readahead: Mutex::new(Readahead::new(config.readahead_blocks(), blocks)),
            stale: Mutex::new(None),
            disk,
            workers: Mutex::new(None),
            me: me.clone(),
            requests: AtomicU64::new(1),
            bytes_fetched: AtomicU64::new(first.len() as u64),
            disk_hits: AtomicU64::new(0),
            url,
            version,
        });
        if first.len() as u64 == block.min(shared.version.size) {
            shared.store(Job { first: 0, count: 1 }, &first);
        }
        tracing::info!(
            "{}: opened, {}",
            shared.url.display(),
            shared.version.describe()
        );
        Ok(Self { shared })
    }

    /// The version pinned at open.
    pub fn version(&self) -> &PinnedVersion {
        &self.shared.version
    }

    /// The URL, without credentials or query, for messages.
    pub fn name(&self) -> String {
        self.shared.url.display()
    }

    /// Requests and bytes so far.
    pub fn stats(&self) -> HttpStats {
        let s = &self.shared;
        HttpStats {
            requests: s.requests.load(Ordering::Relaxed),
            bytes_fetched: s.bytes_fetched.load(Ordering::Relaxed),
            disk_hits: s.disk_hits.load(Ordering::Relaxed),
        }
    }
}

fn open_error(url: &HttpUrl, e: AttemptError) -> HttpError {
    let url = url.display();
    match e {
        AttemptError::NoRanges(detail) => HttpError::NoRangeSupport { url, detail },
        AttemptError::Changed(detail) => HttpError::Changed { url, detail },
        AttemptError::Retry(detail) => HttpError::Transport { url, detail },
        AttemptError::Fatal(detail) => HttpError::Status { url, detail },
    }
}

impl ReadAt for HttpSource {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let s = &self.shared;
        if offset >= s.version.size || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(s.version.size - offset);
        let end = offset + want;
        let (first, last) = (offset / s.block, (end - 1) / s.block);
        let deadline = Instant::now() + s.config.timeout;
        let ahead = s.readahead.lock().on_read(first, last);
        s.request(first, last, ahead)?;
        let mut done = 0usize;
        for b in first..=last {
            let data = s.wait(b, deadline)?;
            let start = b * s.block;
            let from = offset.max(start) - start;
            let to = (end.min(start + data.len() as u64)).saturating_sub(start);
            if to <= from {
                return Err(s.eio(&format!("block {b} is shorter than expected")));
            }
            let n = (to - from) as usize;
            buf[done..done + n].copy_from_slice(&data[from as usize..to as usize]);
            done += n;
        }
        Ok(done)
    }

    fn len(&self) -> u64 {
        self.shared.version.size
    }
}

impl Shared {
    /// Makes sure blocks `first..=last` are held or on their way, and queues `ahead`.
    pub(super) fn request(
        &self,
        first: u64,
        last: u64,
        ahead: Option<(u64, u64)>,
    ) -> io::Result<()> {
        if let Some(disk) = &self.disk {
            for b in first..=last {
                if !self.table.lock().present_or_pending(b) && disk.has(b) {
                    if let Some(d) = disk.get(b) {
                        self.disk_hits.fetch_add(1, Ordering::Relaxed);
                        self.table.lock().insert(b, Arc::from(d));
                    }
                }
            }
        }
        let on_disk = |b: u64| self.disk.as_ref().is_some_and(|d| d.has(b));
        let (demand, later) = {
            let stale = self.stale.lock().clone();
            let mut t = self.table.lock();
            let mut demand = Vec::new();
            for b in first..=last {
                if !t.present_or_pending(b) {
                    if let Some(reason) = &stale {
                        return Err(self.eio(&format!("not fetched: {reason}")));
                    }
                    t.start(b);
                    demand.push(b);
                }
            }
            let mut later = Vec::new();
            if let (Some((a, e)), None) = (ahead, &stale) {
                for b in a..e.min(self.blocks) {
                    if !t.present_or_pending(b) && !on_disk(b) && t.start(b) {
                        later.push(b);
                    }
                }
            }
            (demand, later)
        };
        let per = self.config.blocks_per_request();
        match self.queue() {
            Some(q) => {
                for j in runs(&demand, per).into_iter().rev() {
                    q.push(j, true);
                }
                for j in runs(&later, per) {
                    q.push(j, false);
                }
            }
            None => {
                let mut all = demand;
                all.extend(later);
                for j in runs(&all, per) {
                    self.run_job(j);
                }
            }
        }
        Ok(())
    }

    /// Waits for block `b` until `deadline`.
    pub(super) fn wait(&self, b: u64, deadline: Instant) -> io::Result<Arc<[u8]>> {
        loop {
            let mut t = self.table.lock();
            match t.state(b) {
                BlockState::Ready(d) => return Ok(d),
                BlockState::Failed(reason) => return Err(self.eio(&reason)),
                BlockState::Pending => {
                    if self.arrived.wait_until(&mut t, deadline).timed_out()
                        && matches!(t.state(b), BlockState::Pending)
                    {
                        return Err(self.eio(&format!(
                            "timed out after {:?} waiting for bytes at {}",
                            self.config.timeout,
                            b * self.block
                        )));
                    }
                }
                BlockState::Absent => {
                    // Evicted before we copied it, or its failure was seen: ask again.
                    drop(t);
                    if Instant::now() >= deadline {
                        return Err(self.eio("timed out"));
                    }
                    self.request(b, b, None)?;
                }
            }
        }
    }
}
