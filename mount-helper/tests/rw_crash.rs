//! Crash safety of the commit: the daemon is killed (SIGKILL, through the
//! WIMFS_FAULT_AFTER_WRITES fault-injection hook, which the binaries built for these tests have
//! through mount-helper's dev-dependency on wimfs with feature `fault-injection`; without it no
//! kill happens and the test fails) at every write of a commit in turn; after
//! each kill wimlib-imagex verifies the WIM and it holds either the old or the new image. A full
//! disk during the commit fails cleanly: the WIM is byte-for-byte unchanged and the staged
//! changes stay, ready for another try or a discard.

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use support::*;

fn base_wim(dir: &Path) -> std::path::PathBuf {
    let src = dir.join("src");
    fs::create_dir_all(src.join("Windows/System32")).expect("mkdir");
    fs::write(src.join("Windows/System32/kernel.bin"), noise(200_000, 3)).expect("write");
    fs::write(src.join("Windows/win.ini"), "[fonts]\r\n".repeat(100)).expect("write");
    let wim = dir.join("base.wim");
    wimlib(&[
        "capture",
        src.to_str().expect("utf-8"),
        wim.to_str().expect("utf-8"),
        "--compress=lzx",
        "--check",
    ]);
    wim
}

fn edits(root: &Path) {
    fs::write(root.join("Windows/new-driver.sys"), noise(100_000, 7)).expect("write");
    fs::write(root.join("Windows/win.ini"), "[changed]\r\n").expect("write");
    fs::create_dir_all(root.join("Windows/Panther")).expect("mkdir");
    fs::write(root.join("Windows/Panther/unattend.xml"), "<u/>").expect("write");
}

/// Image 1 of `wim` applied into `to`, emptied first.
fn apply_fresh(wim: &Path, to: &Path) {
    let _ = fs::remove_dir_all(to);
    apply(wim, "1", to);
}

#[test]
fn a_kill_at_any_write_of_a_commit_leaves_the_old_or_the_new_image() {
    let scratch = TempDir::new("crash");
    let dir = scratch.path();
    let base = base_wim(dir);
    let old = dir.join("old");
    apply_fresh(&base, &old);
    let new = dir.join("new");
    apply_fresh(&base, &new);
    edits(&new);
    let m = dir.join("m");
    let (mut killed, mut completed) = (0, false);
    for n in 1..100 {
        let wim = dir.join("work.wim");
        fs::copy(&base, &wim).expect("copy");
        let staging = dir.join(format!("st{n}"));
        let rw = RwMount::mount_with(&wim, "1", &m, &staging, |c| {
            c.env("WIMFS_FAULT_AFTER_WRITES", n.to_string());
        });
        edits(&m);
        let pid = staging_pid(&staging);
        let out = rw.try_unmount(&["--commit"]);
        if !out.status.success() {
            killed += 1;
            wait_dead(pid);
            wait_unlocked(&wim);
            rw.abandon(pid);
        }
        verify(&wim);
        let got = dir.join("got");
        apply_fresh(&wim, &got);
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
    let pid = staging_pid(&dir.join("st"));
    rw.discard();
    wait_dead(pid);
    verify(&wim);
    small_fs.unmount();
}
