//! Crash safety of a commit as a new image (`unmount --commit --new-image`): the daemon is
//! killed (SIGKILL, through the WIMFS_FAULT_AFTER_WRITES fault-injection hook the binaries built
//! for these tests have; without it no kill happens and the test fails) at every write of the
//! commit in turn. After each kill wimlib-imagex verifies the WIM, which is either the old one
//! (one image) or the new one (the old image unchanged plus the new image). From the old one the
//! staged changes commit offline (`wimfs commit WIM --new-image`) to the new one. The last write
//! is the header's, so the hook cannot kill between it and the removal of the staging directory;
//! a copy of the staging directory taken before the commit stands in for changes left there: an
//! offline commit of them into the new WIM is refused (the WIM changed since they were staged),
//! so no image is ever added twice.

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
        "Base",
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
    fs::remove_file(root.join("Windows/System32/kernel.bin")).expect("rm");
}

/// The image count in the header of `wim`.
fn image_count(wim: &Path) -> u32 {
    let bytes = fs::read(wim).expect("read WIM");
    wimfs::format::WimHeader::parse(&bytes)
        .expect("header")
        .image_count
}

/// Asserts image `image` of `wim` is the tree at `want`.
fn image_is(dir: &Path, wim: &Path, image: &str, want: &Path) {
    let got = dir.join("got");
    let _ = fs::remove_dir_all(&got);
    apply(wim, image, &got);
    assert_same_tree(&got, want);
}

/// Asserts `wim` verifies and holds the old image 1 and, when `new`, the new image 2 (only).
fn holds(dir: &Path, wim: &Path, old: &Path, new: Option<&Path>) {
    wimlib(&["verify", wim.to_str().expect("utf-8")]);
    assert_eq!(image_count(wim), if new.is_some() { 2 } else { 1 });
    image_is(dir, wim, "1", old);
    if let Some(new) = new {
        image_is(dir, wim, "2", new);
    }
}

#[test]
fn a_kill_at_any_write_of_a_new_image_commit_leaves_the_old_or_the_new_wim() {
    let dir = scratch("crash-new-image");
    let base = base_wim(&dir);
    let old = dir.join("old");
    apply(&base, "1", &old);
    let new = dir.join("new");
    apply(&base, "1", &new);
    edits(&new);
    let m = dir.join("m");
    fs::create_dir_all(&m).expect("mkdir");
    let (mut killed, mut completed) = (0, false);
    for n in 1..100 {
        let wim = dir.join("work.wim");
        fs::copy(&base, &wim).expect("copy");
        let staging = dir.join(format!("st{n}"));
        run(wimfs()
            .env("WIMFS_FAULT_AFTER_WRITES", n.to_string())
            .args(["mount", "--rw", "--staging-dir"])
            .arg(&staging)
            .arg(&wim)
            .arg("1")
            .arg(&m));
        edits(&m);
        let pid = staging_pid(&staging);
        let kept = dir.join(format!("kept{n}"));
        copy_tree(&staging, &kept);
        let out = wimfs()
            .args(["unmount", "--commit", "--new-image"])
            .arg(&m)
            .output()
            .expect("runs");
        if out.status.success() {
            holds(&dir, &wim, &old, Some(&new));
            let again = wimfs()
                .args(["commit", "--new-image", "--staging"])
                .arg(&kept)
                .arg(&wim)
                .output()
                .expect("runs");
            let stderr = String::from_utf8_lossy(&again.stderr);
            assert!(
                !again.status.success() && stderr.contains("changed since"),
                "committing the same staged changes twice must be refused: {stderr}"
            );
            holds(&dir, &wim, &old, Some(&new));
            eprintln!("{killed} kills before the commit completed at write {n}");
            completed = true;
            break;
        }
        wait_dead(pid);
        wait_unlocked(&wim);
        let _ = Command::new("fusermount3").arg("-uz").arg(&m).output();
        // Killed before the header switched (the header is the last write): the old WIM, and
        // the staged changes commit offline.
        holds(&dir, &wim, &old, None);
        killed += 1;
        run(wimfs()
            .args(["commit", "--new-image", "--staging"])
            .arg(&staging)
            .arg(&wim));
        holds(&dir, &wim, &old, Some(&new));
    }
    assert!(completed, "no commit completed within 100 writes");
    assert!(killed >= 5, "only {killed} kill points were exercised");
    fs::remove_dir_all(&dir).ok();
}
