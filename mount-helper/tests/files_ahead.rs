//! Reading ahead across files (`common::files_ahead`, the FUSE adapter's `push_ahead`): a
//! reader going through a read-only mount's directories in listing order (`tar`, `cp -r`)
//! finds most small files already in the kernel's cache, handed over by the daemon with
//! `FUSE_NOTIFY_STORE`, and sends far fewer READs than files; every byte it reads equals
//! `wimlib-imagex apply`'s extraction, and a file whose blob fails its check still reads as
//! EIO, never as handed-over data. `--no-files-ahead` turns the hand-over off: then every file
//! costs a READ (the comparison that shows the hand-over is what saves them). The same for an
//! ISO through `isofs`, against `xorriso`'s extraction.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// Small files per directory.
const PER_DIR: usize = 150;
/// The file whose blob is damaged in the WIM (in directory `a`).
const DAMAGED: &str = "a/f075";

/// Directories `a`, `b` and `b/c` of PER_DIR small files each (with empty files, a file over
/// the hand-over's size limit, symlinks and subdirectories among them, as in real trees).
fn make_tree(src: &Path) {
    for (d, dir) in ["a", "b", "b/c"].iter().enumerate() {
        let dir = src.join(dir);
        fs::create_dir_all(&dir).expect("mkdir");
        for i in 0..PER_DIR {
            let seed = (d * PER_DIR + i) as u32 + 1;
            let len = if i % 41 == 7 {
                0
            } else {
                1 + (i * 7919) % 30_000
            };
            fs::write(dir.join(format!("f{i:03}")), noise(len, seed)).expect("write");
            if i % 37 == 5 {
                fs::create_dir_all(dir.join(format!("f{i:03}-sub"))).expect("mkdir");
                fs::write(dir.join(format!("f{i:03}-sub/x")), noise(900, seed)).expect("write");
                std::os::unix::fs::symlink("x", dir.join(format!("f{i:03}-link"))).expect("ln");
            }
        }
        fs::write(dir.join("f100-big"), noise(1_500_000, d as u32 + 900)).expect("write");
    }
}

/// Reads every regular file under `dir` the way `tar` does (each directory in listing order,
/// subdirectories where they are listed), comparing it with its copy under `want`; the file
/// `damaged` must fail with EIO. Returns the number of files read.
fn read_in_listing_order(dir: &Path, rel: &Path, want: &Path, damaged: &Path) -> usize {
    let mut files = 0;
    for entry in fs::read_dir(dir).expect("read_dir") {
        let entry = entry.expect("entry");
        let rel = rel.join(entry.file_name());
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            files += read_in_listing_order(&entry.path(), &rel, want, damaged);
        } else if kind.is_file() {
            files += 1;
            let got = fs::read(entry.path());
            if rel == damaged {
                let err = got
                    .map(|d| d.len())
                    .expect_err("a damaged blob must not read");
                assert_eq!(
                    err.raw_os_error(),
                    Some(libc::EIO),
                    "{}: {err}",
                    rel.display()
                );
            } else {
                let got = got.unwrap_or_else(|e| panic!("{}: {e}", rel.display()));
                let expected = fs::read(want.join(&rel)).expect("the applied copy");
                assert!(got == expected, "{} differs from wimlib's", rel.display());
            }
        }
    }
    files
}

/// Reads the mount `m` in listing order and returns (files, READs).
fn reads_for_a_walk(m: MountGuard, want: &Path, damaged: &Path, extra: &[&str]) -> (u64, u64) {
    let before = request_counts(m.path())["read"];
    let files = read_in_listing_order(m.path(), Path::new(""), want, damaged) as u64;
    let reads = request_counts(m.path())["read"] - before;
    eprintln!("{extra:?}: {reads} READs for {files} files");
    drop(m);
    (files, reads)
}

#[test]
fn a_walk_in_listing_order_reads_files_handed_over_ahead() {
    let dir = TempDir::new("files-ahead");
    let src = dir.path().join("src");
    make_tree(&src);
    let wim = dir.path().join("t.wim");
    capture(&src, &wim, "none");
    let applied = dir.path().join("applied");
    apply(&wim, "1", &applied);
    damage_blob(&wim, &src.join(DAMAGED));
    let mnt: PathBuf = dir.path().join("m");
    fs::create_dir_all(&mnt).expect("mkdir");

    let walk = |extra: &[&str]| {
        let m = MountGuard::wimfs(&wim, "1", &mnt, extra);
        reads_for_a_walk(m, &applied, Path::new(DAMAGED), extra)
    };
    assert_fewer_reads_with_the_hand_over(walk(&[]), walk(&["--no-files-ahead"]));
}

#[test]
fn an_iso_walked_in_listing_order_reads_files_handed_over_ahead() {
    let dir = TempDir::new("files-ahead-iso");
    let src = dir.path().join("src");
    make_tree(&src);
    let iso = dir.path().join("t.iso");
    rr_iso(&src, &iso);
    let extracted = dir.path().join("extracted");
    // "stdio:": the image lives under /dev/shm, which xorriso takes for a drive otherwise.
    let mut indev = std::ffi::OsString::from("stdio:");
    indev.push(&iso);
    run(Command::new("xorriso")
        .args(["-osirrox", "on", "-indev"])
        .arg(&indev)
        .arg("-extract")
        .arg("/")
        .arg(&extracted));
    let mnt: PathBuf = dir.path().join("m");
    fs::create_dir_all(&mnt).expect("mkdir");
    let walk = |extra: &[&str]| {
        let mut args: Vec<&std::ffi::OsStr> = extra.iter().map(|a| a.as_ref()).collect();
        args.push(iso.as_os_str());
        let m = MountGuard::isofs(&args, &mnt);
        reads_for_a_walk(m, &extracted, Path::new("no such file"), extra)
    };
    assert_fewer_reads_with_the_hand_over(walk(&[]), walk(&["--no-files-ahead"]));
}

/// (files, READs) of a walk with the hand-over and of one without: with it, at most half
/// as many READs as files; without, one per file (the big files' readahead aside).
fn assert_fewer_reads_with_the_hand_over(with: (u64, u64), without: (u64, u64)) {
    let ((files, reads), (files_off, reads_off)) = (with, without);
    assert!(
        reads * 2 <= files,
        "{reads} READs for {files} files: the files were not handed over ahead"
    );
    assert_eq!(files_off, files);
    assert!(
        reads_off >= files - 3,
        "{reads_off} READs for {files} files without the hand-over"
    );
}

/// Flips a byte in the middle of the raw blob of the file at `original` (an uncompressed WIM
/// holds its bytes as they are).
fn damage_blob(wim: &Path, original: &Path) {
    let data = fs::read(original).expect("read");
    let mut bytes = fs::read(wim).expect("read wim");
    let needle = &data[data.len() / 2..data.len() / 2 + 64];
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the raw blob is in the WIM");
    bytes[at] ^= 0x55;
    fs::write(wim, &bytes).expect("write wim");
}
