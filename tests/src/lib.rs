//! The test kit: the one set of helpers every end-to-end test of the workspace uses (a
//! dev-dependency of `mount-helper` and `isofs`, and the library of this crate's own tests). It
//! depends on no workspace crate: it drives the built binaries and the reference tools.
//!
//! - Where things are ([`bins`]): our binaries as built from this tree, the target directory.
//! - Prerequisites ([`skip`]): a missing tool, root, FUSE or binary fails the test under
//!   `CI` and skips it elsewhere with a printed reason.
//! - Running commands ([`process`]), with timeouts; the daemons behind mounts ([`daemon`]).
//! - RAII: scratch directories ([`scratch::TempDir`]) and mounts unmounted on drop, also after
//!   a panic: [`guard::MountGuard`] (any command at any directory), [`mount::Mount`] (a WIM
//!   mounted by us or wimlib on its own mount point, daemon watched), [`rw::RwMount`] (a
//!   read-write mount, committed or discarded).
//! - The reference tool ([`wimlib`]) and fixture builders ([`fixtures`]): the committed fixture
//!   scripts, noise files, ISOs made by xorriso / genisoimage.
//! - One tree snapshot and compare: [`tree::walk`] into a [`manifest::Manifest`],
//!   [`compare::compare`] listing every difference, [`same_tree::assert_same_tree`] for the
//!   usual question; [`snapshot`] as a path -> bytes view; [`oracle`] rows for committed
//!   manifests; [`reads`] for random-access pread checks.
//! - Commit tests: [`crash`] (a daemon killed at the N-th write of a commit), [`servicing`]
//!   (the same tree added by our commit and by wimlib's update, growth compared).
//! - [`http`]: a real nginx and a fault proxy; [`wim`]: a minimal, independent WIM layout
//!   reader; [`cache_stats`]: wimfs's cache counters.

pub mod bins;
pub mod cache_stats;
pub mod compare;
pub mod crash;
pub mod daemon;
pub mod fixtures;
pub mod guard;
pub mod http;
pub mod lock;
pub mod manifest;
pub mod mount;
pub mod mountinfo;
pub mod oracle;
pub mod process;
mod raw_reads;
pub mod reads;
pub mod rw;
pub mod same_tree;
pub mod scratch;
pub mod servicing;
pub mod skip;
pub mod snapshot;
pub mod tree;
pub mod wim;
pub mod wimlib;

pub use bins::{
    bin_dir, built_bin_or_skip, crate_dir, isofs_bin, malformed_dir, target_dir, wimfs_bin,
    workspace_dir,
};
pub use cache_stats::{cache_stat, cache_stats, request_counts};
pub use compare::{compare, format_report, CompareOptions};
pub use crash::{
    after_kill, apply_fresh, crash_base_wim, crash_edits, kill_attempt, mount_killed_at_write,
    old_and_new_trees,
};
pub use daemon::{wait_dead, wait_unlocked};
pub use fixtures::{
    copy_tree, fixture_dir, noise, rr_iso, script_fixture, udf_iso, wim_fixture, wim_fixture_dir,
    wim_fixtures, WimFixture,
};
pub use guard::{with_mount, MountGuard, WimfsMount};
pub use lock::FileLock;
pub use manifest::Manifest;
pub use mount::{Mount, MountFailure, MountOptions, Mounter};
pub use process::{require_tools, run, run_ok, RunOutput};
pub use rw::RwMount;
pub use same_tree::{assert_same_tree, assert_same_tree_skipping, tree_differences};
pub use scratch::TempDir;
pub use servicing::{
    add_by_our_commit, add_by_wimlib_update, assert_growth_within, expected_after_add,
    small_windows_tree,
};
pub use skip::{fuse_or_skip, is_root, root_or_skip, skip_unless_ci, tools_or_skip};
pub use tree::{walk, walk_with_timeout, WalkOptions};
pub use wim::blob_table_entries;
pub use wimlib::{
    apply, apply_and_walk, apply_with_args, assert_wim_image, capture, verify, wimlib,
};
