//! Hostile and damaged images: each must open with a clear error or serve a tree whose bad
//! parts answer EIO; never a panic, a hang or a huge allocation.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use common::vfs::{FileKind, Vfs, ROOT_INO};
use support::{fixtures, open};

/// Walks everything, reading every file; returns (entries, read errors).
fn lenient_walk(fs: &dyn Vfs) -> (usize, usize) {
    let mut entries = 0;
    let mut errors = 0;
    let mut stack = vec![ROOT_INO];
    while let Some(dir) = stack.pop() {
        let mut list = Vec::new();
        if fs
            .readdir(dir, 0, &mut |_, e| {
                list.push(e.clone());
                false
            })
            .is_err()
        {
            errors += 1;
            continue;
        }
        for e in list {
            entries += 1;
            match e.kind {
                FileKind::Directory => stack.push(e.ino),
                FileKind::Symlink => errors += usize::from(fs.readlink(e.ino).is_err()),
                FileKind::File => errors += usize::from(support::read_all(fs, e.ino).is_err()),
                _ => errors += usize::from(fs.getattr(e.ino).is_err()),
            }
        }
    }
    (entries, errors)
}

fn check(image: &Path) -> String {
    let start = Instant::now();
    let outcome = match open(image, None) {
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.is_empty());
            format!("refused: {msg}")
        }
        Ok(fs) => {
            let (n, errs) = lenient_walk(&fs);
            format!("{n} entries, {errs} unreadable")
        }
    };
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{} took {:?}",
        image.display(),
        start.elapsed()
    );
    outcome
}

#[test]
fn libarchive_hostile_images() {
    let dir = fixtures().join("libarchive");
    for name in [
        "test_fuzz_1.iso",
        "test_read_format_iso_joliet_utf16be_overflow.iso",
        "test_read_format_iso_rockridge_ce_loop.iso",
        "test_read_format_iso_rockridge_zf_overflow.iso",
        "test_read_format_iso_zisofs_overflow.iso",
    ] {
        let outcome = check(&dir.join(name));
        eprintln!("{name}: {outcome}");
    }
}

#[test]
fn zisofs_overflow_reads_fail_with_eio() {
    let fs = open(
        &fixtures().join("libarchive/test_read_format_iso_zisofs_overflow.iso"),
        None,
    )
    .expect("the directory tree itself is fine");
    let (entries, errors) = lenient_walk(&fs);
    assert!(entries > 0);
    assert!(errors > 0, "the overflowing zisofs file must not read");
}
