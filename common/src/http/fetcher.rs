//! The fetching side of an HTTP source: the state readers and fetching threads share, this
//! process's worker queue, and jobs: one conditional range request each (with retries), whose
//! blocks go to memory and to the disk cache, or whose failure is recorded for the readers
//! waiting. An answer showing another version of the object marks the source stale: from then
//! on nothing is fetched, and reads of blocks not held fail (see [`super::source`]).

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::blocks::BlockTable;
use super::client::{with_retries, AttemptError, ProcessClient};
use super::config::{worker_threads_allowed, HttpConfig};
use super::disk_cache::DiskCache;
use super::readahead::Readahead;
use super::requests::fetch_range;
use super::url::HttpUrl;
use super::version::PinnedVersion;
use super::workers::{self, Job, Queue, RunJob};

/// What an [`HttpSource`](super::HttpSource) and its fetching threads share.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) url: HttpUrl,
    pub(super) config: HttpConfig,
    pub(super) version: PinnedVersion,
    pub(super) block: u64,
    pub(super) blocks: u64,
    pub(super) client: ProcessClient,
    pub(super) table: Mutex<BlockTable>,
    pub(super) arrived: Condvar,
    pub(super) readahead: Mutex<Readahead>,
    /// Why the object is no longer the pinned version, once seen.
    pub(super) stale: Mutex<Option<String>>,
    pub(super) disk: Option<DiskCache>,
    pub(super) workers: Mutex<Option<(u32, Arc<Queue>)>>,
    pub(super) me: Weak<Shared>,
    pub(super) requests: AtomicU64,
    pub(super) bytes_fetched: AtomicU64,
    pub(super) disk_hits: AtomicU64,
}

impl Shared {
    pub(super) fn eio(&self, what: &str) -> io::Error {
        io::Error::other(format!("{}: {what}", self.url.display()))
    }

    /// The worker queue of this process, started on first use (not in a process about to
    /// fork: there, `None`, and reads fetch in their own thread).
    pub(super) fn queue(&self) -> Option<Arc<Queue>> {
        if !worker_threads_allowed() {
            return None;
        }
        let pid = std::process::id();
        let mut w = self.workers.lock();
        if let Some((p, q)) = w.as_ref() {
            if *p == pid {
                return Some(Arc::clone(q));
            }
            // Forked: the parent's threads and their fetches are not here.
            self.table.lock().forget_pending();
        }
        match workers::start(
            self.me.clone(),
            self.config.connections.clamp(1, 32),
            "http",
        ) {
            Ok(q) => {
                *w = Some((pid, Arc::clone(&q)));
                Some(q)
            }
            Err(e) => {
                tracing::warn!("starting HTTP threads: {e}; fetching in the reading threads");
                None
            }
        }
    }

    /// Stores fetched bytes (blocks `job.first..`) in memory, then on disk.
    pub(super) fn store(&self, job: Job, bytes: &[u8]) {
        let mut pieces = Vec::new();
        {
            let mut t = self.table.lock();
            for (i, chunk) in bytes.chunks(self.block as usize).enumerate() {
                let data: Arc<[u8]> = Arc::from(chunk);
                t.insert(job.first + i as u64, Arc::clone(&data));
                pieces.push(data);
            }
        }
        self.arrived.notify_all();
        if let Some(disk) = &self.disk {
            for (i, p) in pieces.iter().enumerate() {
                disk.put(job.first + i as u64, p);
            }
        }
    }

    fn fail(&self, job: Job, reason: &str) {
        let mut t = self.table.lock();
        for b in job.first..job.first + job.count {
            t.fail(b, reason);
        }
        drop(t);
        self.arrived.notify_all();
    }
}

impl RunJob for Shared {
    fn run_job(&self, job: Job) {
        let start = job.first.saturating_mul(self.block);
        let end = job
            .first
            .saturating_add(job.count)
            .saturating_mul(self.block)
            .min(self.version.size);
        if let Some(reason) = self.stale.lock().clone() {
            return self.fail(job, &reason);
        }
        let client = match self.client.get() {
            Ok(c) => c,
            Err(e) => return self.fail(job, &e.to_string()),
        };
        let target = self.url.request_url();
        // Leave the waiting readers a moment to report the failure before their deadline.
        let deadline = Instant::now() + self.config.timeout.saturating_sub(Duration::from_secs(1));
        let result = with_retries(deadline, |t| {
            self.requests.fetch_add(1, Ordering::Relaxed);
            fetch_range(
                &client,
                &target,
                &self.version,
                start,
                end.saturating_sub(start),
                t,
            )
        });
        match result {
            Ok(bytes) => {
                self.bytes_fetched
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                self.store(job, &bytes);
            }
            Err(AttemptError::Changed(reason)) => {
                let mut stale = self.stale.lock();
                if stale.is_none() {
                    tracing::error!(
                        "{}: the file changed on the server ({reason}); data not fetched yet answers EIO",
                        self.url.display()
                    );
                    *stale = Some(format!("the file changed on the server ({reason})"));
                }
                let reason = stale.clone().unwrap_or_default();
                drop(stale);
                self.fail(job, &reason);
            }
            Err(e) => {
                tracing::warn!("{}: {}", self.url.display(), e.message());
                self.fail(job, e.message());
            }
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some((_, q)) = self.workers.lock().take() {
            q.close();
        }
        tracing::info!(
            "{}: {} requests, {} bytes fetched, {} blocks from the disk cache",
            self.url.display(),
            self.requests.load(Ordering::Relaxed),
            self.bytes_fetched.load(Ordering::Relaxed),
            self.disk_hits.load(Ordering::Relaxed)
        );
    }
}
