//! What the compressor benchmarks share: this thread's CPU time, and the files under a path.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// This thread's CPU time.
pub fn cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The regular files under `path` (directories walked recursively, in sorted order; symlinks
/// and unreadable entries skipped), appended to `files`.
pub fn walk(path: &Path, files: &mut Vec<PathBuf>) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.is_dir() {
        let Ok(rd) = std::fs::read_dir(path) else {
            return;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for e in entries {
            walk(&e, files);
        }
    } else if meta.is_file() {
        files.push(path.to_path_buf());
    }
}
