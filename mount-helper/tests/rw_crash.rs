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
    let dir = scratch("crash");
    let base = base_wim(&dir);
    let old = dir.join("old");
    apply_fresh(&base, &old);
    let new = dir.join("new");
    apply_fresh(&base, &new);
    edits(&new);
    let m = dir.join("m");
    fs::create_dir_all(&m).expect("mkdir");
    let (mut killed, mut completed) = (0, false);
    for n in 1..100 {
        let wim = dir.join("work.wim");
        fs::copy(&base, &wim).expect("copy");
        run(wimfs()
            .env("WIMFS_FAULT_AFTER_WRITES", n.to_string())
            .args(["mount", "--rw", "--staging-dir"])
            .arg(dir.join(format!("st{n}")))
            .arg(&wim)
            .arg("1")
            .arg(&m));
        edits(&m);
        let pid = staging_pid(&dir.join(format!("st{n}")));
        let out = wimfs()
            .args(["unmount", "--commit"])
            .arg(&m)
            .output()
            .expect("runs");
        if !out.status.success() {
            killed += 1;
            wait_dead(pid);
            wait_unlocked(&wim);
            let _ = Command::new("fusermount3").arg("-uz").arg(&m).output();
        }
        wimlib(&["verify", wim.to_str().expect("utf-8")]);
        let got = dir.join("got");
        apply_fresh(&wim, &got);
        let is_old = std::panic::catch_unwind(|| assert_same_tree(&got, &old)).is_ok();
        let is_new = std::panic::catch_unwind(|| assert_same_tree(&got, &new)).is_ok();
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
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_full_disk_during_commit_changes_nothing_and_keeps_the_staged_changes() {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        skip_unless_ci("mounting a small tmpfs needs root");
        return;
    }
    let dir = scratch("full");
    let base = base_wim(&dir);
    let small = dir.join("small");
    fs::create_dir_all(&small).expect("mkdir");
    run(Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1M", "tmpfs"])
        .arg(&small));
    let wim = small.join("install.wim");
    fs::copy(&base, &wim).expect("copy");
    let before = fs::read(&wim).expect("read");
    let m = dir.join("m");
    fs::create_dir_all(&m).expect("mkdir");
    run(wimfs()
        .args(["mount", "--rw", "--staging-dir"])
        .arg(dir.join("st"))
        .arg(&wim)
        .arg("1")
        .arg(&m));
    fs::write(m.join("huge.bin"), noise(3 << 20, 11)).expect("write");
    let out = wimfs()
        .args(["unmount", "--commit"])
        .arg(&m)
        .output()
        .expect("runs");
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
    run(wimfs().args(["unmount", "--discard"]).arg(&m));
    wait_dead(pid);
    wimlib(&["verify", wim.to_str().expect("utf-8")]);
    run(Command::new("umount").arg(&small));
    fs::remove_dir_all(&dir).ok();
}
