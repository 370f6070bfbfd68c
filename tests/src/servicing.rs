//! Servicing a WIM two ways, side by side: the same new tree added to two copies of one WIM,
//! once through our read-write mount and commit, once with `wimlib-imagex update`, to compare
//! how much each grows the WIM; and the small Windows-like trees the commit tests start from.

use std::fs;
use std::path::Path;

use crate::fixtures::{copy_tree, noise};
use crate::rw::RwMount;
use crate::wimlib::wimlib;

/// A small base tree at `src`: `Windows/INF/base.inf` (text) and `Windows/big.bin` (noise).
pub fn small_windows_tree(src: &Path) {
    fs::create_dir_all(src.join("Windows/INF")).expect("mkdir");
    fs::write(
        src.join("Windows/INF/base.inf"),
        "[Version]\r\n".repeat(500),
    )
    .expect("write");
    fs::write(src.join("Windows/big.bin"), noise(200_000, 3)).expect("write");
}

fn size(wim: &Path) -> u64 {
    fs::metadata(wim)
        .unwrap_or_else(|e| panic!("stat {}: {e}", wim.display()))
        .len()
}

/// Adds `tree` to image 1 of `wim` as `/AT` through our read-write mount (mount point and
/// staging directory under `work`) and a commit; returns how many bytes the WIM grew.
pub fn add_by_our_commit(wim: &Path, tree: &Path, at: &str, work: &Path) -> u64 {
    let before = size(wim);
    let rw = RwMount::mount(wim, "1", &work.join("m"), &work.join("staging"));
    copy_tree(tree, &rw.path().join(at));
    rw.commit();
    size(wim) - before
}

/// Adds `tree` to image 1 of `wim` as `/AT` with `wimlib-imagex update`; returns how many
/// bytes the WIM grew.
pub fn add_by_wimlib_update(wim: &Path, tree: &Path, at: &str) -> u64 {
    let before = size(wim);
    wimlib(&[
        "update",
        wim.to_str().expect("utf-8"),
        "1",
        &format!("--command=add {} /{at}", tree.display()),
    ]);
    size(wim) - before
}

/// The tree expected after adding `tree` as `/AT` to `base`, built at `dest`.
pub fn expected_after_add(base: &Path, tree: &Path, at: &str, dest: &Path) {
    copy_tree(base, dest);
    copy_tree(tree, &dest.join(at));
}

/// Asserts our commit grew the WIM by at most `max_ratio` times what wimlib's update did.
#[track_caller]
pub fn assert_growth_within(ours: u64, theirs: u64, max_ratio: f64) {
    let ratio = ours as f64 / theirs as f64;
    eprintln!("growth: ours {ours}, wimlib {theirs} ({ratio:.3})");
    assert!(
        ratio <= max_ratio,
        "our commit grew the WIM by {ours} bytes, {ratio:.3}x wimlib's {theirs}"
    );
}
