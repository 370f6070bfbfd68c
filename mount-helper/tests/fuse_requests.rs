//! How many FUSE requests reading a tree costs (issue 14: per-file round trips, not decoding,
//! were what kept `tar` through the mount at 2.2x `wimlib-imagex apply`).
//!
//! A read-only mount of an image needs no open state, so the adapter answers OPEN, OPENDIR and
//! FLUSH with ENOSYS (the kernel then sends no OPEN/RELEASE/FLUSH/OPENDIR/RELEASEDIR at all)
//! and lists directories with READDIRPLUS (no LOOKUP per name). `tar cf - .` of a tree of small
//! files must then cost about one request per file, counted by the adapter and read from the
//! root xattr `fuse.request_counts`. A read-write mount keeps its opens (its handles carry
//! writes), and a blob checked by hashing a read-through (a raw blob over 64 KiB) is still
//! checked when reads come without a handle: a flipped byte reads as EIO.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use support::*;

const FILES: usize = 240;

fn count(counts: &BTreeMap<String, u64>, name: &str) -> u64 {
    *counts
        .get(name)
        .unwrap_or_else(|| panic!("no {name}= in fuse.request_counts {counts:?}"))
}

/// FILES small files in 8 directories, 8 symlinks, and one 3 MB file.
fn make_tree(src: &Path) {
    for i in 0..FILES {
        let dir = src.join(format!("d{}", i % 8));
        fs::create_dir_all(&dir).expect("mkdir");
        let data = noise(500 + (i * 97) % 20_000, i as u32 + 1);
        fs::write(dir.join(format!("f{i}")), data).expect("write");
    }
    for i in 0..8 {
        std::os::unix::fs::symlink(format!("d{i}/f{i}"), src.join(format!("l{i}"))).expect("ln");
    }
    fs::write(src.join("big"), noise(3_000_000, 99)).expect("write");
}

/// Runs `tar cf - .` in `dir`; returns the archive's size.
fn tar(dir: &Path) -> u64 {
    let out = run(Command::new("sh")
        .arg("-c")
        .arg("tar cf - . | wc -c")
        .current_dir(dir));
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("wc -c")
}

#[test]
fn reading_a_tree_read_only_costs_about_one_request_per_file() {
    let dir = scratch("fuse-requests");
    let src = dir.join("src");
    make_tree(&src);
    let wim = dir.join("t.wim");
    capture(&src, &wim, "lzx");
    let mnt = dir.join("m");
    fs::create_dir_all(&mnt).expect("mkdir");
    run(wimfs().arg("mount").arg(&wim).arg("1").arg(&mnt));
    let m = MountGuard::adopt(
        &mnt,
        tests::guard::unmount_command(Path::new(env!("CARGO_BIN_EXE_wimfs")), &mnt),
    );

    let before = request_counts(m.path());
    assert!(tar(m.path()) > 3_000_000);
    let after = request_counts(m.path());
    let delta = |name: &str| count(&after, name) - count(&before, name);
    eprintln!("requests for tar: {after:?}");
    for none in ["lookup", "release", "releasedir", "readdir"] {
        assert_eq!(
            delta(none),
            0,
            "tar of a read-only mount sent {none}: {after:?}"
        );
    }
    // The first of each is answered ENOSYS, and the kernel sends no more.
    for once in ["open", "opendir", "flush"] {
        assert!(
            delta(once) <= 1,
            "tar sent {once} more than once: {after:?}"
        );
    }
    let entries = (FILES + 8 + 1 + 8) as u64;
    let total: u64 = after.keys().map(|k| delta(k)).sum::<u64>() - delta("getxattr");
    // One READ per small file, the big file's readahead, a READDIRPLUS or two per directory,
    // a READLINK per symlink.
    assert!(
        total <= entries + entries / 4 + 40,
        "{total} requests for {entries} entries: {after:?}"
    );
    assert_same_tree(m.path(), &src);
    drop(m);

    // A read-write mount keeps its opens and flushes: its handles carry the writes.
    let staging = dir.join("staging");
    run(wimfs()
        .args(["mount", "--rw", "--staging-dir"])
        .arg(&staging)
        .arg(&wim)
        .arg("1")
        .arg(&mnt));
    let m = MountGuard::adopt(
        &mnt,
        tests::guard::unmount_command(Path::new(env!("CARGO_BIN_EXE_wimfs")), &mnt),
    );
    fs::read(m.path().join("d1/f1")).expect("read");
    let rw = request_counts(m.path());
    assert!(count(&rw, "open") >= 1, "no OPEN on a rw mount: {rw:?}");
    assert!(count(&rw, "flush") >= 1, "no FLUSH on a rw mount: {rw:?}");
    run(wimfs().args(["unmount", "--discard"]).arg(m.path()));
    std::mem::forget(m);
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_large_blob_read_without_handles_is_still_verified() {
    let dir = scratch("fuse-requests-verify");
    let src = dir.join("src");
    fs::create_dir_all(&src).expect("mkdir");
    let data = noise(1_000_000, 5);
    fs::write(src.join("big"), &data).expect("write");
    let wim = dir.join("raw.wim");
    capture(&src, &wim, "none");
    // Flip one byte in the middle of the file's raw blob.
    let mut bytes = fs::read(&wim).expect("read wim");
    let needle = &data[500_000..500_064];
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the raw blob is in the WIM");
    bytes[at] ^= 0x55;
    fs::write(&wim, &bytes).expect("write wim");

    let mnt = dir.join("m");
    fs::create_dir_all(&mnt).expect("mkdir");
    run(wimfs().arg("mount").arg(&wim).arg("1").arg(&mnt));
    let m = MountGuard::adopt(
        &mnt,
        tests::guard::unmount_command(Path::new(env!("CARGO_BIN_EXE_wimfs")), &mnt),
    );
    for attempt in 0..2 {
        let err = fs::read(m.path().join("big")).expect_err("a corrupt blob must not read");
        assert_eq!(
            err.raw_os_error(),
            Some(libc::EIO),
            "attempt {attempt}: {err}"
        );
    }
    let counts = request_counts(m.path());
    assert_eq!(
        count(&counts, "release"),
        0,
        "opens were not skipped: {counts:?}"
    );
    drop(m);
    fs::remove_dir_all(&dir).ok();
}
