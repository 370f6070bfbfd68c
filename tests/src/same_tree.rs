//! "Do these two trees hold the same thing?", the question most end-to-end tests ask: both
//! trees walked by [`crate::tree::walk`], compared by [`crate::compare::compare`] for paths,
//! types, sizes, bytes, symlink targets, device numbers and hard-link groups (modes, owners,
//! mtimes and xattrs only when asked for), every difference listed.

use std::path::Path;

use crate::compare::{compare, format_report, CompareOptions};
use crate::tree::{walk, WalkOptions};

/// What [`assert_same_tree`] walks: contents, no xattrs.
pub fn same_tree_walk() -> WalkOptions {
    WalkOptions {
        content: true,
        xattrs: false,
        check_dirents: false,
        ..WalkOptions::default()
    }
}

/// What [`assert_same_tree`] compares: structure (paths, kinds, sizes, symlink targets, device
/// numbers, hard-link groups) and contents.
pub fn same_tree_compare() -> CompareOptions {
    CompareOptions {
        nlink: false,
        symlink_size: false,
        ..CompareOptions::default()
    }
}

/// Every difference of `got` from `want` under `walk` and `opts`.
pub fn tree_differences_with(
    got: &Path,
    want: &Path,
    walk_opts: &WalkOptions,
    opts: &CompareOptions,
) -> Vec<String> {
    let want_m = walk(want, walk_opts);
    let got_m = walk(got, walk_opts);
    compare(&want_m, &got_m, opts)
}

/// Every difference of `got` from `want` ([`same_tree_walk`], [`same_tree_compare`]).
pub fn tree_differences(got: &Path, want: &Path) -> Vec<String> {
    tree_differences_with(got, want, &same_tree_walk(), &same_tree_compare())
}

/// Panics, listing every difference, unless `got` holds what `want` holds.
#[track_caller]
pub fn assert_same_tree(got: &Path, want: &Path) {
    assert_no_differences(got, want, &tree_differences(got, want));
}

/// [`assert_same_tree`] without the paths for which `skip` is true (and what is below them)
/// on either side.
#[track_caller]
pub fn assert_same_tree_skipping(got: &Path, want: &Path, skip: fn(&Path) -> bool) {
    let walk_opts = WalkOptions {
        skip: Some(skip),
        ..same_tree_walk()
    };
    let diffs = tree_differences_with(got, want, &walk_opts, &same_tree_compare());
    assert_no_differences(got, want, &diffs);
}

#[track_caller]
fn assert_no_differences(got: &Path, want: &Path, diffs: &[String]) {
    assert!(
        diffs.is_empty(),
        "{}",
        format_report(
            &format!("{} (expected: {})", got.display(), want.display()),
            diffs
        )
    );
}
