//! Crash safety of `wimfs commit DIR` (a commit while mounted): the daemon is killed (SIGKILL
//! through the WIMFS_FAULT_AFTER_WRITES fault-injection hook, as in rw_crash.rs; the binaries
//! built for these tests have it) at every write of the first live commit, then of a second
//! one after more changes: the WIM's writes and the staging directory's (the record of the
//! commit under way, the rebased journal, `info`, released staging files). After each kill
//! wimlib verifies the WIM and it holds either the image before that commit or the one after;
//! `wimfs mount --rw --resume` then shows exactly the tree the mount had (never a change
//! replayed twice onto the committed image, never one lost), and `wimfs unmount --commit`
//! writes it (every third kill, `wimfs commit WIM` commits the staged changes offline instead).

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use support::*;

fn base_wim(dir: &Path) -> std::path::PathBuf {
    let src = dir.join("src");
    fs::create_dir_all(src.join("Windows/System32")).expect("mkdir");
    fs::write(src.join("Windows/System32/kernel.bin"), noise(100_000, 3)).expect("write");
    fs::write(src.join("Windows/win.ini"), "[fonts]\r\n".repeat(100)).expect("write");
    fs::write(src.join("Windows/old.log"), "old log").expect("write");
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

fn edits1(root: &Path) {
    fs::write(root.join("Windows/new-driver.sys"), noise(40_000, 7)).expect("write");
    fs::write(root.join("Windows/win.ini"), "[changed]\r\n").expect("write");
    fs::create_dir_all(root.join("Windows/Panther")).expect("mkdir");
    fs::write(root.join("Windows/Panther/unattend.xml"), "<u/>").expect("write");
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

/// Image 1 of `wim` applied into `to`, emptied first.
fn apply_fresh(wim: &Path, to: &Path) {
    let _ = fs::remove_dir_all(to);
    apply(wim, "1", to);
}

/// `wimfs commit DIR`.
fn live_commit(m: &Path) -> Output {
    wimfs().arg("commit").arg(m).output().expect("runs")
}

/// Which of `trees` image 1 of `wim` equals (it must verify and equal one).
fn which_tree(wim: &Path, trees: &[&Path], scratch: &Path, n: u32) -> usize {
    wimlib(&["verify", wim.to_str().expect("utf-8")]);
    let got = scratch.join("got");
    apply_fresh(wim, &got);
    trees
        .iter()
        .position(|t| tree_diffs(snapshot(&got), snapshot(t)).is_empty())
        .unwrap_or_else(|| panic!("killed at write {n}: the WIM holds none of the expected images"))
}

#[test]
fn a_kill_at_any_write_of_a_live_commit_leaves_old_or_new_and_a_resumable_mount() {
    let dir = scratch("live-crash");
    let base = base_wim(&dir);
    let tree0 = dir.join("tree0");
    apply_fresh(&base, &tree0);
    let tree1 = dir.join("tree1");
    apply_fresh(&base, &tree1);
    edits1(&tree1);
    let tree2 = dir.join("tree2");
    copy_tree(&tree1, &tree2);
    edits2(&tree2);
    let trees = [tree0.as_path(), tree1.as_path(), tree2.as_path()];
    let m = dir.join("m");
    fs::create_dir_all(&m).expect("mkdir");
    // Kills per commit (1 or 2) that left the WIM before / after its switch.
    let mut kills = [[0u32; 2]; 2];
    let mut completed = false;
    for n in 1..300 {
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
        let pid = staging_pid(&staging);
        edits1(&m);
        let mut stage = 0; // the commit that was killed
        if live_commit(&m).status.success() {
            assert_eq!(which_tree(&wim, &trees, &dir, n), 1, "after commit 1");
            edits2(&m);
            if live_commit(&m).status.success() {
                assert_eq!(which_tree(&wim, &trees, &dir, n), 2, "after commit 2");
                assert_same_tree(&m, &tree2);
                run(wimfs().args(["unmount", "--commit"]).arg(&m));
                completed = true;
                break;
            }
            stage = 1;
        }
        wait_dead(pid);
        wait_unlocked(&wim);
        let _ = Command::new("fusermount3").arg("-uz").arg(&m).output();
        // Old or new: the image before the killed commit, or after it.
        let held = which_tree(&wim, &trees, &dir, n);
        assert!(
            held == stage || held == stage + 1,
            "killed at write {n} of commit {}: the WIM holds image {held}",
            stage + 1
        );
        kills[stage][held - stage] += 1;
        let want = trees[stage + 1];
        if n % 3 == 0 {
            // Every third kill: `wimfs commit WIM` commits what the killed mount left staged.
            run(wimfs()
                .arg("commit")
                .arg(&wim)
                .arg("--staging")
                .arg(&staging));
            assert_eq!(
                which_tree(&wim, &trees, &dir, n),
                stage + 1,
                "killed at write {n}: the offline commit"
            );
            let _ = fs::remove_dir_all(&staging);
            continue;
        }
        // The resumed mount shows exactly the tree the killed one had, and commits it.
        run(wimfs()
            .args(["mount", "--rw", "--resume", "--staging-dir"])
            .arg(&staging)
            .arg(&wim)
            .arg("1")
            .arg(&m));
        let guard = WimfsMount(m.clone());
        let diffs = tree_diffs(snapshot(&m), snapshot(want));
        assert!(
            diffs.is_empty(),
            "killed at write {n} of commit {}, resumed: {diffs:?}",
            stage + 1
        );
        let resumed = staging_pid(&staging);
        run(wimfs().args(["unmount", "--commit"]).arg(&m));
        std::mem::forget(guard);
        wait_dead(resumed);
        wait_unlocked(&wim);
        assert_eq!(
            which_tree(&wim, &trees, &dir, n),
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
    fs::remove_dir_all(&dir).ok();
}
