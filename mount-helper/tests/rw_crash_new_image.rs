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

use std::fs;
use std::path::Path;
use std::process::Command;

use tests::{
    after_kill, apply_fresh, assert_same_tree, copy_tree, crash_base_wim, crash_edits,
    kill_attempt, old_and_new_trees, run_ok, wimfs_bin, wimlib, TempDir,
};

use wimfs::fs::StagingInfo;

fn base_wim(dir: &Path) -> std::path::PathBuf {
    crash_base_wim(dir, 200_000, Some("Base"), |_| {})
}

fn edits(root: &Path) {
    crash_edits(root, 100_000);
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
    apply_fresh(wim, image, &got);
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
    let scratch = TempDir::new("crash-new-image");
    let dir = scratch.path();
    let base = base_wim(dir);
    let (old, new) = old_and_new_trees(&base, dir, edits);
    let m = dir.join("m");
    let (mut killed, mut completed) = (0, false);
    for n in 1..100 {
        let (wim, staging, rw) = kill_attempt(&base, dir, &m, n);
        edits(&m);
        let pid = StagingInfo::read(&staging).expect("staging info").pid;
        let kept = dir.join(format!("kept{n}"));
        copy_tree(&staging, &kept);
        let out = rw.try_unmount(&["--commit", "--new-image"]);
        if out.status.success() {
            holds(dir, &wim, &old, Some(&new));
            let again = Command::new(wimfs_bin())
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
            holds(dir, &wim, &old, Some(&new));
            eprintln!("{killed} kills before the commit completed at write {n}");
            completed = true;
            rw.abandon(pid);
            break;
        }
        after_kill(rw, pid, &wim);
        // Killed before the header switched (the header is the last write): the old WIM, and
        // the staged changes commit offline.
        holds(dir, &wim, &old, None);
        killed += 1;
        run_ok(
            Command::new(wimfs_bin())
                .args(["commit", "--new-image", "--staging"])
                .arg(&staging)
                .arg(&wim),
        );
        holds(dir, &wim, &old, Some(&new));
    }
    assert!(completed, "no commit completed within 100 writes");
    assert!(killed >= 5, "only {killed} kill points were exercised");
}
