//! The test kit (the `tests` crate's library, a dev-dependency) for mount-helper's tests, plus
//! what only this crate has: the binaries Cargo built for these tests (`CARGO_BIN_EXE_*`) and
//! the wimfs staging format. Kept under the names older tests use; new tests use the kit
//! (`tests::...`) directly.

#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub use tests::fixtures::{copy_tree, noise, rr_iso, udf_iso};
pub use tests::{
    apply, assert_same_tree, assert_wim_image, blob_table_entries, cache_stat, cache_stats,
    capture, request_counts, root_or_skip, run_ok as run, tree_differences, verify, wait_dead,
    wait_unlocked, wimlib, MountGuard, RwMount, TempDir,
};

/// The wimfs binary Cargo built for these tests.
pub fn wimfs() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wimfs"))
}

/// The isofs binary Cargo built for these tests.
pub fn isofs() -> Command {
    Command::new(env!("CARGO_BIN_EXE_isofs"))
}

/// A fresh scratch directory that the test removes itself (new tests: [`TempDir`], removed on
/// drop).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wimfs-e2e-{}-{name}", std::process::id()));
    let _ = Command::new("fusermount3")
        .arg("-uz")
        .arg(dir.join("m"))
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The pid of the daemon using staging directory `staging`.
pub fn staging_pid(staging: &Path) -> u32 {
    wimfs::fs::StagingInfo::read(staging)
        .expect("staging info")
        .pid
}
