//! The crash tests' fault-injection hook (only built with the `fault-injection` cargo feature,
//! which release builds do not enable; `mount-helper`'s tests turn it on through a
//! dev-dependency). With `WIMFS_FAULT_AFTER_WRITES=N` in the environment, the process kills
//! itself on its N-th write to a WIM (SIGKILL on Unix; on Windows `abort`, which ends the
//! process at once through `__fastfail`: no unwinding, no destructors, no buffered writes
//! flushed, like a crash).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

static WRITES: AtomicU64 = AtomicU64::new(0);

/// Counts one write and crashes when it is the N-th of `WIMFS_FAULT_AFTER_WRITES=N`.
pub(super) fn before_write() {
    static LIMIT: OnceLock<Option<u64>> = OnceLock::new();
    let limit = *LIMIT.get_or_init(|| {
        std::env::var("WIMFS_FAULT_AFTER_WRITES")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    let n = WRITES.fetch_add(1, Ordering::SeqCst) + 1;
    if limit.is_some_and(|limit| n >= limit) {
        crash_now();
    }
}

/// Ends the process at once, as a crash would.
#[cfg(unix)]
fn crash_now() {
    // SAFETY: sending SIGKILL to ourselves; simulates a crash at this exact write.
    unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
}

/// Ends the process at once, as a crash would.
#[cfg(not(unix))]
fn crash_now() {
    std::process::abort();
}
