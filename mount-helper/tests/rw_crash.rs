//! Crash safety of the commit: the daemon is killed (SIGKILL, through the
//! WIMFS_FAULT_AFTER_WRITES fault-injection hook, which the binaries built for these tests have
//! through mount-helper's dev-dependency on wimfs with feature `fault-injection`; without it no
//! kill happens and the test fails) at every write of a commit in turn; after
//! each kill wimlib-imagex verifies the WIM and it holds either the old or the new image. A full
//! disk during the commit fails cleanly: the WIM is byte-for-byte unchanged and the staged
//! changes stay, ready for another try or a discard.

use std::fs;
use std::path::Path;
use std::process::Command;

use tests::{
    after_kill, apply_fresh, crash_base_wim, crash_edits, kill_attempt, noise, old_and_new_trees,
    root_or_skip, tree_differences, verify, wait_dead, MountGuard, RwMount, TempDir,
};
use wimfs::fs::StagingInfo;

fn base_wim(dir: &Path) -> std::path::PathBuf {
    crash_base_wim(dir, 200_000, None, |_| {})
}

fn edits(root: &Path) {
    crash_edits(root, 100_000);
}

#[test]
fn a_kill_at_any_write_of_a_commit_leaves_the_old_or_the_new_image() {
    let scratch = TempDir::new("crash");
    let dir = scratch.path();
    let base = base_wim(dir);
    let (old, new) = old_and_new_trees(&base, dir, edits);
    let m = dir.join("m");
    let (mut killed, mut completed) = (0, false);
    for n in 1..100 {
        let (wim, staging, rw) = kill_attempt(&base, dir, &m, n);
        edits(&m);
        let pid = StagingInfo::read(&staging).expect("staging info").pid;
        let out = rw.try_unmount(&["--commit"]);
        if !out.status.success() {
            killed += 1;
            after_kill(rw, pid, &wim);
        }
        verify(&wim);
        let got = dir.join("got");
        apply_fresh(&wim, "1", &got);
        let is_old = tree_differences(&got, &old).is_empty();
        let is_new = tree_differences(&got, &new).is_empty();
        assert!(
            is_old || is_new,
            "killed at write {n}: the WIM holds neither the old nor the new image"
        );
        if out.status.success() {
            assert!(is_new, "a successful commit must hold the new image");
            completed = true;
            break;
        }
    }
    assert!(completed, "no commit completed within 100 writes");
    assert!(killed >= 5, "only {killed} kill points were exercised");
}

#[test]
fn a_full_disk_during_commit_changes_nothing_and_keeps_the_staged_changes() {
    if !root_or_skip("mounting a small tmpfs") {
        return;
    }
    let scratch = TempDir::new("full");
    let dir = scratch.path();
    let base = base_wim(dir);
    let small = dir.join("small");
    fs::create_dir_all(&small).expect("mkdir");
    let mut tmpfs = Command::new("mount");
    tmpfs
        .args(["-t", "tmpfs", "-o", "size=1M", "tmpfs"])
        .arg(&small);
    let mut umount = Command::new("umount");
    umount.arg(&small);
    let small_fs = MountGuard::mount(&mut tmpfs, &small, umount);
    let wim = small.join("install.wim");
    fs::copy(&base, &wim).expect("copy");
    let before = fs::read(&wim).expect("read");
    let m = dir.join("m");
    let rw = RwMount::mount(&wim, "1", &m, &dir.join("st"));
    fs::write(m.join("huge.bin"), noise(3 << 20, 11)).expect("write");
    let out = rw.try_unmount(&["--commit"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "a commit onto a full disk must fail");
    assert!(
        stderr.contains("unchanged") && stderr.contains("No space"),
        "{stderr}"
    );
    assert_eq!(
        fs::read(&wim).expect("read"),
        before,
        "the WIM must be byte-for-byte unchanged"
    );
    // The staged change is still there, and the mount still works.
    assert_eq!(
        fs::metadata(m.join("huge.bin")).expect("stat").len(),
        3 << 20
    );
    let pid = StagingInfo::read(&dir.join("st"))
        .expect("staging info")
        .pid;
    rw.discard();
    wait_dead(pid);
    verify(&wim);
    small_fs.unmount();
}
