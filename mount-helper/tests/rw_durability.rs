//! Durability of read-write mounts: the daemon is SIGKILLed at several moments of a workload;
//! the changes are resumed (`mount --rw --resume`) and committed, and every change that had
//! returned success before the kill is in the committed WIM. An interrupted commit leaves an
//! orphaned tail that the next commit or `wimfs verify --repair` removes; a WRITE_IN_PROGRESS
//! flag left by an interrupted in-place write is cleared by the repair.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::*;

fn base(dir: &Path, files: usize) -> PathBuf {
    let src = dir.join("src");
    fs::create_dir_all(src.join("r")).expect("mkdir");
    fs::create_dir_all(src.join("u")).expect("mkdir");
    for i in 0..files {
        fs::write(src.join(format!("r/{i}")), format!("rename me {i}")).expect("write");
        fs::write(src.join(format!("u/{i}")), format!("delete me {i}")).expect("write");
    }
    let wim = dir.join("base.wim");
    capture(&src, &wim, "xpress");
    wim
}

/// One acknowledged change, and how to check it later.
#[derive(Debug, Clone)]
enum Done {
    Created(usize),
    Mkdir(usize),
    Renamed(usize),
    Deleted(usize),
    Appended(usize),
}

#[test]
fn every_acknowledged_change_survives_a_killed_daemon() {
    let scratch = TempDir::new("durable");
    let dir = scratch.path();
    let wim = base(dir, 400);
    let m = dir.join("m");
    let staging = dir.join("staging");
    let mut done: Vec<Done> = Vec::new();
    let mut next = 0usize;
    // Three kills at different moments; each time the workload goes on after a resume.
    for (round, delay_ms) in [(0, 40u64), (1, 120), (2, 300)] {
        let rw = RwMount::mount_with(&wim, "1", &m, &staging, |c| {
            if round > 0 {
                c.arg("--resume");
            }
        });
        let pid = staging_pid(&staging) as i32;
        let stop = Arc::new(AtomicBool::new(false));
        let killer = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(delay_ms));
                // SAFETY: signalling the mount daemon started above.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                stop.store(true, Ordering::SeqCst);
            })
        };
        // The workload: each step is acknowledged when its last call returns Ok.
        while next < 390 {
            let i = next;
            let result = match i % 5 {
                0 => fs::write(m.join(format!("new-{i}.txt")), format!("content {i}"))
                    .map(|_| Done::Created(i)),
                1 => fs::create_dir(m.join(format!("dir-{i}"))).map(|_| Done::Mkdir(i)),
                2 => fs::rename(m.join(format!("r/{i}")), m.join(format!("r/{i}.moved")))
                    .map(|_| Done::Renamed(i)),
                3 => fs::remove_file(m.join(format!("u/{i}"))).map(|_| Done::Deleted(i)),
                _ => fs::OpenOptions::new()
                    .append(true)
                    .open(m.join(format!("r/{}", i + 1)))
                    .and_then(|mut f| std::io::Write::write_all(&mut f, b" appended"))
                    .map(|_| Done::Appended(i + 1)),
            };
            match result {
                Ok(d) => {
                    done.push(d);
                    next += 1;
                }
                Err(_) => break, // the daemon is gone; this step may or may not have happened
            }
            if stop.load(Ordering::SeqCst) {
                break;
            }
        }
        killer.join().expect("killer");
        wait_dead(pid as u32);
        wait_unlocked(&wim);
        // Let the kill land, then clear the dead mount; the workload resumes after the next
        // mount at the step that may have been cut (it is retried only if it did not happen).
        std::thread::sleep(Duration::from_millis(100));
        rw.abandon(pid as u32);
        next += 1; // skip the step that was in flight: its outcome is unknown
    }
    assert!(
        done.len() > 20,
        "the workload did too little before the kills: {}",
        done.len()
    );
    RwMount::mount_with(&wim, "1", &m, &staging, |c| {
        c.arg("--resume");
    })
    .commit();
    verify(&wim);
    let out = dir.join("applied");
    apply(&wim, "1", &out);
    for d in &done {
        match d {
            Done::Created(i) => assert_eq!(
                fs::read_to_string(out.join(format!("new-{i}.txt"))).ok(),
                Some(format!("content {i}")),
                "{d:?}"
            ),
            Done::Mkdir(i) => assert!(out.join(format!("dir-{i}")).is_dir(), "{d:?}"),
            Done::Renamed(i) => assert!(
                out.join(format!("r/{i}.moved")).exists() && !out.join(format!("r/{i}")).exists(),
                "{d:?}"
            ),
            Done::Deleted(i) => assert!(!out.join(format!("u/{i}")).exists(), "{d:?}"),
            Done::Appended(i) => {
                let text = fs::read_to_string(out.join(format!("r/{i}"))).unwrap_or_default();
                assert!(text.ends_with(" appended"), "{d:?}: {text:?}");
            }
        }
    }
}

#[test]
fn an_interrupted_commit_is_cleaned_up_by_the_next_commit_or_a_repair() {
    let scratch = TempDir::new("tail");
    let dir = scratch.path();
    let wim = base(dir, 20);
    let m = dir.join("m");
    let staging = dir.join("staging");
    for kill_at in [2u32, 4] {
        let work = dir.join(format!("work-{kill_at}.wim"));
        fs::copy(&wim, &work).expect("copy");
        let len_before = fs::metadata(&work).expect("stat").len();
        let rw = RwMount::mount_with(&work, "1", &m, &staging, |c| {
            c.env("WIMFS_FAULT_AFTER_WRITES", kill_at.to_string());
        });
        fs::write(m.join("big.bin"), noise(500_000, kill_at)).expect("write");
        let pid = staging_pid(&staging);
        let out = rw.try_unmount(&["--commit"]);
        assert!(!out.status.success(), "the commit was meant to be killed");
        wait_dead(pid);
        wait_unlocked(&work);
        rw.abandon(pid);
        let tail = fs::metadata(&work).expect("stat").len();
        assert!(
            tail > len_before,
            "the killed commit should have left a tail"
        );
        verify(&work);
        if kill_at == 2 {
            // The next commit (offline, from the left-behind staging) cuts the tail.
            run(wimfs()
                .args(["commit"])
                .arg(&work)
                .arg("--staging")
                .arg(&staging));
            let r = run(wimfs().args(["verify", "--repair"]).arg(&work));
            assert!(
                String::from_utf8_lossy(&r.stdout).contains("nothing to repair"),
                "{}",
                String::from_utf8_lossy(&r.stdout)
            );
            let applied = dir.join("applied");
            let _ = fs::remove_dir_all(&applied);
            apply(&work, "1", &applied);
            assert_eq!(
                fs::read(applied.join("big.bin")).expect("committed"),
                noise(500_000, kill_at)
            );
        } else {
            // A repair cuts it, and the staged changes are dropped with cleanup.
            let r = run(wimfs().args(["verify", "--repair"]).arg(&work));
            assert!(
                String::from_utf8_lossy(&r.stdout).contains("truncated"),
                "{}",
                String::from_utf8_lossy(&r.stdout)
            );
            assert_eq!(fs::metadata(&work).expect("stat").len(), len_before);
            run(wimfs().args(["cleanup"]).arg(&work));
            assert!(!staging.exists());
        }
        verify(&work);
    }
    // WRITE_IN_PROGRESS and garbage after the end, as an interrupted in-place write leaves them.
    let work = dir.join("flagged.wim");
    fs::copy(&wim, &work).expect("copy");
    let mut bytes = fs::read(&work).expect("read");
    let len = bytes.len() as u64;
    bytes[16] |= 0x40;
    bytes.extend_from_slice(&noise(10_000, 5));
    fs::write(&work, &bytes).expect("write");
    let r = run(wimfs().args(["verify", "--repair"]).arg(&work));
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(
        text.contains("WRITE_IN_PROGRESS") && text.contains("truncated"),
        "{text}"
    );
    let fixed = fs::read(&work).expect("read");
    assert_eq!(fixed.len() as u64, len);
    assert_eq!(fixed[16] & 0x40, 0);
    verify(&work);
}
