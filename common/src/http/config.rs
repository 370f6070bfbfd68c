//! What the command line sets for HTTP sources, and the one process-wide rule: no fetching
//! threads in a process that is about to `fork` (the mount tools open the image, then fork the
//! daemon; threads do not survive a fork and a lock held by one would never be released).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// A credential: kept out of `Debug` output and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `s`.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Settings of HTTP sources.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Extra trusted CA certificates (PEM), for a private CA.
    pub ca_file: Option<PathBuf>,
    /// A bearer token sent as `Authorization: Bearer …` (when the URL has no credentials).
    pub bearer_token: Option<Secret>,
    /// The netrc file to look credentials up in (`None`: `$NETRC`, else `~/.netrc`).
    pub netrc: Option<PathBuf>,
    /// The longest a read waits for the network before failing with `EIO` (retries included).
    pub timeout: Duration,
    /// Size of the blocks fetched and cached.
    pub block_size: usize,
    /// In-memory block cache budget.
    pub memory_cache_bytes: usize,
    /// Requests in flight at once (fetching threads and connections).
    pub connections: usize,
    /// Largest sequential readahead window.
    pub max_readahead_bytes: usize,
    /// Largest single range request (adjacent blocks are fetched together up to this).
    pub max_request_bytes: usize,
    /// The persistent block cache directory (`--cache-dir`), if any.
    pub cache_dir: Option<PathBuf>,
    /// The persistent cache's budget for all objects together.
    pub cache_dir_max_bytes: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            ca_file: None,
            bearer_token: None,
            netrc: None,
            timeout: Duration::from_secs(30),
            block_size: 1 << 20,
            memory_cache_bytes: 96 << 20,
            connections: 4,
            max_readahead_bytes: 16 << 20,
            max_request_bytes: 4 << 20,
            cache_dir: None,
            cache_dir_max_bytes: 8 << 30,
        }
    }
}

impl HttpConfig {
    /// The block size actually used (at least 64 KiB, at most 16 MiB).
    pub fn block_bytes(&self) -> u64 {
        self.block_size.clamp(64 << 10, 16 << 20) as u64
    }

    /// Blocks per range request (at least 1).
    pub fn blocks_per_request(&self) -> u64 {
        (self.max_request_bytes as u64 / self.block_bytes()).max(1)
    }

    /// Largest readahead window in blocks.
    pub fn readahead_blocks(&self) -> u64 {
        self.max_readahead_bytes as u64 / self.block_bytes()
    }
}

/// The process that must not start fetching threads (0: none).
static NO_THREADS_PID: AtomicU32 = AtomicU32::new(0);

/// Declares that this process will fork (a daemonizing mount): HTTP sources fetch in the
/// calling thread until they find themselves in another process (the forked child), where
/// they start their fetching threads.
pub fn no_worker_threads_in_this_process() {
    NO_THREADS_PID.store(std::process::id(), Ordering::SeqCst);
}

/// True if fetching threads may be started in the current process.
pub(crate) fn worker_threads_allowed() -> bool {
    NO_THREADS_PID.load(Ordering::SeqCst) != std::process::id()
}
