//! The test kit's guards clean up after a failing test: a `MountGuard` and an `RwMount`
//! dropped by a panic leave no mount and no daemon behind, the read-write mount's changes are
//! discarded (the WIM is byte-for-byte unchanged, the staging directory gone), and a `TempDir`
//! is removed. Needs our `wimfs` binary (`cargo build -p mount-helper`) and FUSE.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tests::daemon::pids_with_arg;
use tests::guard::mounted;
use tests::{require_tools, workspace_dir, MountGuard, RwMount, TempDir};

/// Waits up to 10 s for the daemon serving `point` to exit.
fn no_daemon_serves(point: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pids_with_arg(point).is_empty() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

#[test]
fn a_panicking_test_leaves_no_mount_no_daemon_and_no_change() {
    require_tools(&["fusermount3"]);
    let scratch = TempDir::new("kit-guards");
    let kept: PathBuf = scratch.path().to_path_buf();
    let wim = scratch.join("sample.wim");
    fs::copy(workspace_dir().join("samples/sample.wim"), &wim).expect("copy the sample WIM");
    let before = fs::read(&wim).expect("read");
    let (ro, rw, staging) = (
        scratch.mkdir("ro"),
        scratch.join("rw"),
        scratch.join("staging"),
    );
    let outcome = panic::catch_unwind(|| {
        let _ro = MountGuard::wimfs(&wim, "1", &ro, &[]);
        let m = RwMount::mount(&wim, "1", &rw, &staging);
        fs::write(m.path().join("new.txt"), "a change").expect("write through the mount");
        assert!(mounted(&ro) && mounted(&rw), "both mounts are live");
        panic!("the test fails while both are mounted");
    });
    assert!(outcome.is_err());
    assert!(!mounted(&ro), "the read-only mount was left behind");
    assert!(!mounted(&rw), "the read-write mount was left behind");
    assert!(no_daemon_serves(&ro), "a read-only daemon was left behind");
    assert!(no_daemon_serves(&rw), "a read-write daemon was left behind");
    assert_eq!(
        fs::read(&wim).expect("read"),
        before,
        "the change was committed"
    );
    assert!(!staging.exists(), "the staged change was not discarded");
    drop(scratch);
    assert!(!kept.exists(), "the scratch directory was left behind");
}
