//! Crash safety of `wimfs commit DIR` (a commit while mounted): the daemon is killed (SIGKILL
//! through the WIMFS_FAULT_AFTER_WRITES fault-injection hook, as in rw_crash.rs; the binaries
//! built for these tests have it) at every write of the first live commit, then of a second
//! one after more changes: the WIM's writes and the staging directory's (the record of the
//! commit under way, the rebased journal, `info`, released staging files). After each kill
//! wimlib verifies the WIM and it holds either the image before that commit or the one after;
//! `wimfs mount --rw --resume` then shows exactly the tree the mount had (never a change
//! replayed twice onto the committed image, never one lost), and `wimfs unmount --commit`
//! writes it (every third kill, `wimfs commit WIM` commits the staged changes offline instead).

use std::fs;
use std::path::Path;
use std::process::Command;

use tests::snapshot::{snapshot, tree_diffs};
use tests::{
    after_kill, apply_fresh, assert_same_tree, copy_tree, crash_base_wim, crash_edits,
    kill_attempt, run_ok, wait_dead, wait_unlocked, wimfs_bin, wimlib, RwMount, TempDir,
};
use wimfs::fs::StagingInfo;

fn staging_pid(staging: &Path) -> u32 {
    StagingInfo::read(staging).expect("staging info").pid
}

fn base_wim(dir: &Path) -> std::path::PathBuf {
    crash_base_wim(dir, 100_000, None, |src| {
        fs::write(src.join("Windows/old.log"), "old log").expect("write");
    })
}

fn edits1(root: &Path) {
    crash_edits(root, 40_000);
}

/// After the first commit: modify what it wrote, delete, add, rename.
fn edits2(root: &Path) {
    fs::write(root.join("Windows/Panther/unattend.xml"), "<u>2</u>").expect("write");
    fs::remove_file(root.join("Windows/old.log")).expect("rm");
    fs::write(root.join("Windows/second.txt"), "second").expect("write");
    fs::rename(
        root.join("Windows/new-driver.sys"),
        root.join("Windows/System32/new-driver.sys"),
    )
    .expect("mv");
}

/// Which of `trees` image 1 of `wim` equals (it must verify and equal one).
fn which_tree(wim: &Path, trees: &[&Path], scratch: &Path, n: u32) -> usize {
    wimlib(&["verify", wim.to_str().expect("utf-8")]);
    let got = scratch.join("got");
    apply_fresh(wim, "1", &got);
    trees
        .iter()
        .position(|t| tree_diffs(snapshot(&got), snapshot(t)).is_empty())
        .unwrap_or_else(|| panic!("killed at write {n}: the WIM holds none of the expected images"))
}

#[test]
fn a_kill_at_any_write_of_a_live_commit_leaves_old_or_new_and_a_resumable_mount() {
    let scratch = TempDir::new("live-crash");
    let dir = scratch.path();
    let base = base_wim(dir);
    let tree0 = dir.join("tree0");
    apply_fresh(&base, "1", &tree0);
    let tree1 = dir.join("tree1");
    apply_fresh(&base, "1", &tree1);
    edits1(&tree1);
    let tree2 = dir.join("tree2");
    copy_tree(&tree1, &tree2);
    edits2(&tree2);
    let trees = [tree0.as_path(), tree1.as_path(), tree2.as_path()];
    let m = dir.join("m");
    // Kills per commit (1 or 2) that left the WIM before / after its switch.
    let mut kills = [[0u32; 2]; 2];
    let mut completed = false;
    for n in 1..300 {
        let (wim, staging, rw) = kill_attempt(&base, dir, &m, n);
        let pid = staging_pid(&staging);
        edits1(&m);
        let mut stage = 0; // the commit that was killed
        if rw.try_live_commit(&[]).status.success() {
            assert_eq!(which_tree(&wim, &trees, dir, n), 1, "after commit 1");
            edits2(&m);
            if rw.try_live_commit(&[]).status.success() {
                assert_eq!(which_tree(&wim, &trees, dir, n), 2, "after commit 2");
                assert_same_tree(&m, &tree2);
                rw.commit();
                completed = true;
                break;
            }
            stage = 1;
        }
        after_kill(rw, pid, &wim);
        // Old or new: the image before the killed commit, or after it.
        let held = which_tree(&wim, &trees, dir, n);
        assert!(
            held == stage || held == stage + 1,
            "killed at write {n} of commit {}: the WIM holds image {held}",
            stage + 1
        );
        kills[stage][held - stage] += 1;
        let want = trees[stage + 1];
        if n % 3 == 0 {
            // Every third kill: `wimfs commit WIM` commits what the killed mount left staged.
            run_ok(
                Command::new(wimfs_bin())
                    .arg("commit")
                    .arg(&wim)
                    .arg("--staging")
                    .arg(&staging),
            );
            assert_eq!(
                which_tree(&wim, &trees, dir, n),
                stage + 1,
                "killed at write {n}: the offline commit"
            );
            let _ = fs::remove_dir_all(&staging);
            continue;
        }
        // The resumed mount shows exactly the tree the killed one had, and commits it.
        let rw = RwMount::mount_with(&wim, "1", &m, &staging, |c| {
            c.arg("--resume");
        });
        let diffs = tree_diffs(snapshot(&m), snapshot(want));
        assert!(
            diffs.is_empty(),
            "killed at write {n} of commit {}, resumed: {diffs:?}",
            stage + 1
        );
        let resumed = staging_pid(&staging);
        rw.commit();
        wait_dead(resumed);
        wait_unlocked(&wim);
        assert_eq!(
            which_tree(&wim, &trees, dir, n),
            stage + 1,
            "killed at write {n}: the commit after the resume"
        );
        let _ = fs::remove_dir_all(&staging);
    }
    eprintln!("kills [commit][before, after the switch]: {kills:?}");
    assert!(completed, "no run completed both commits within 300 writes");
    for (c, k) in kills.iter().enumerate() {
        assert!(
            k[0] >= 5,
            "commit {}: only {} kills before its switch",
            c + 1,
            k[0]
        );
        assert!(
            k[1] >= 2,
            "commit {}: only {} kills after its switch (the journal's rebase)",
            c + 1,
            k[1]
        );
    }
}
