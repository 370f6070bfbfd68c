//! Library-level checks against WIMs written by the reference tool (`wimlib-imagex`, installed
//! by `scripts/install-deps`): every layout it writes reads back exactly as the files it was
//! made from, and `verify` finds a flipped byte in a blob, in the metadata and in the
//! integrity table.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::cache::ChunkCache;
use common::vfs::{FileKind, Vfs, ROOT_INO};
use wimfs::{WimFile, WimFs, WimFsOptions};

fn wimlib(args: &[&str]) {
    let out = Command::new("wimlib-imagex")
        .args(args)
        .output()
        .expect("wimlib-imagex must be installed (scripts/install-deps)");
    assert!(
        out.status.success(),
        "wimlib-imagex {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wimfs-layouts-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A small tree with chunk-boundary sizes, compressible and random data.
fn make_tree(root: &Path) {
    std::fs::create_dir_all(root.join("sub/deeper")).expect("mkdir");
    let text: Vec<u8> = (0..200_000u32)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    std::fs::write(root.join("text.txt"), &text).expect("write");
    let mut x = 0x1234_5678u32;
    let random: Vec<u8> = (0..100_001)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(root.join("sub/random.bin"), &random).expect("write");
    std::fs::write(root.join("sub/deeper/exact"), vec![7u8; 32768]).expect("write");
    std::fs::write(root.join("empty"), b"").expect("write");
    std::fs::write(root.join("sub/dup-of-text.txt"), &text).expect("write");
}

/// Every file of image 1, read through the VFS, equals the source tree.
fn assert_matches_tree(wim: WimFile, root: &Path) {
    let fs = WimFs::new(Arc::new(wim), 1, WimFsOptions::default()).expect("image loads");
    let mut stack = vec![(ROOT_INO, root.to_path_buf())];
    let mut files = 0;
    while let Some((dir, path)) = stack.pop() {
        let mut entries = Vec::new();
        fs.readdir(dir, 0, &mut |_, e| {
            entries.push(e.clone());
            false
        })
        .expect("readdir");
        for e in entries {
            let p = path.join(&e.name);
            match e.kind {
                FileKind::Directory => stack.push((e.ino, p)),
                FileKind::File => {
                    let want = std::fs::read(&p).expect("source file");
                    let h = fs.open(e.ino, false).expect("open");
                    let mut got = vec![0u8; want.len() + 10];
                    let mut off = 0;
                    // Odd-sized reads cross chunk boundaries at every possible phase.
                    while let Ok(n) = fs.read(
                        e.ino,
                        h.handle,
                        off as u64,
                        &mut got[off..(off + 7777).min(want.len() + 10)],
                    ) {
                        if n == 0 {
                            break;
                        }
                        off += n;
                    }
                    assert_eq!(off, want.len(), "{}", p.display());
                    assert!(got[..off] == want[..], "{} differs", p.display());
                    files += 1;
                }
                FileKind::Symlink => {}
                other => panic!("{}: unexpected {other:?} in a tree of files", p.display()),
            }
        }
    }
    assert_eq!(files, 5);
}

fn open(path: &Path, refs: &[PathBuf]) -> wimfs::WimResult<WimFile> {
    WimFile::open_with_refs(path, refs, Arc::new(ChunkCache::new(64 << 20)))
}

#[test]
fn every_layout_wimlib_writes_reads_back() {
    let dir = scratch("layouts");
    let src = dir.join("src");
    make_tree(&src);
    let s = src.to_str().expect("utf-8 path");
    let layouts: &[(&str, &[&str])] = &[
        ("none", &["--compress=none"]),
        ("xpress", &["--compress=xpress"]),
        ("lzx", &["--compress=lzx"]),
        ("lzx-2m", &["--compress=lzx", "--chunk-size=2M"]),
        ("xpress-64k", &["--compress=xpress", "--chunk-size=64K"]),
        ("lzms", &["--compress=lzms"]),
        ("esd-like-solid-lzms", &["--solid"]),
        (
            "solid-lzms-small-chunks",
            &["--solid", "--solid-chunk-size=64K"],
        ),
        (
            "solid-lzms-1m",
            &["--compress=lzms", "--solid", "--solid-chunk-size=1M"],
        ),
        (
            "solid-lzx",
            &[
                "--compress=lzx",
                "--solid",
                "--solid-compress=lzx",
                "--solid-chunk-size=64K",
            ],
        ),
        (
            "solid-xpress",
            &[
                "--compress=xpress",
                "--solid",
                "--solid-compress=xpress",
                "--solid-chunk-size=64K",
            ],
        ),
    ];
    for (name, flags) in layouts {
        let wim = dir.join(format!("{name}.wim"));
        let mut args = vec!["capture", s, wim.to_str().expect("utf-8")];
        args.extend_from_slice(flags);
        wimlib(&args);
        assert_matches_tree(
            open(&wim, &[]).unwrap_or_else(|e| panic!("{name}: {e}")),
            &src,
        );
        let failures =
            wimfs::verify::verify_blobs(&open(&wim, &[]).expect("opens"), &mut |_, _| {});
        assert!(failures.is_empty(), "{name}: {failures:?}");
    }
    // Split WIM: part 1 alone names the missing part; all parts read back.
    let whole = dir.join("lzx.wim");
    let part1 = dir.join("split.swm");
    wimlib(&[
        "split",
        whole.to_str().expect("utf-8"),
        part1.to_str().expect("utf-8"),
        "0.1",
    ]);
    let mut parts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "swm"))
        .collect();
    parts.sort();
    assert!(parts.len() >= 2, "split made {parts:?}");
    let err = open(&part1, &[]).expect_err("part 2 missing").to_string();
    assert!(err.contains("part 2") && err.contains("missing"), "{err}");
    assert_matches_tree(open(&part1, &parts).expect("all parts"), &src);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn verify_finds_flipped_bytes_in_blob_metadata_and_integrity_table() {
    let dir = scratch("verify");
    let src = dir.join("src");
    make_tree(&src);
    let wim = dir.join("chk.wim");
    wimlib(&[
        "capture",
        src.to_str().expect("utf-8"),
        wim.to_str().expect("utf-8"),
        "--compress=lzx",
        "--check",
    ]);
    let good = open(&wim, &[]).expect("opens");
    let outcome = wimfs::verify::check_integrity(&good, &mut |_, _| {}).expect("integrity ok");
    assert_eq!(outcome.len(), 1);
    assert!(wimfs::verify::verify_blobs(&good, &mut |_, _| {}).is_empty());
    let bytes = std::fs::read(&wim).expect("read");
    let header = wimfs::format::WimHeader::parse(&bytes).expect("header");
    let meta = *good.metadata_blob(1).expect("image 1");
    let meta_at = match meta.location {
        wimfs::blob_index::BlobLocation::Resource(h) => h.offset_in_wim + h.size_in_wim / 2,
        other => panic!("metadata not standalone: {other:?}"),
    };
    let cases = [
        ("blob", 400u64),
        ("metadata", meta_at),
        ("integrity table", header.integrity.offset_in_wim + 20),
    ];
    for (what, pos) in cases {
        let mut damaged = bytes.clone();
        damaged[pos as usize] ^= 0x40;
        let path = dir.join(format!("bad-{}.wim", what.replace(' ', "-")));
        std::fs::write(&path, &damaged).expect("write");
        let wim = open(&path, &[]).expect("still opens");
        let integrity = wimfs::verify::check_integrity(&wim, &mut |_, _| {});
        let blobs = wimfs::verify::verify_blobs(&wim, &mut |_, _| {});
        let message = match (&integrity, blobs.first()) {
            (Err(e), _) => e.to_string(),
            (Ok(_), Some(f)) => format!("{}: {}", f.what, f.error),
            (Ok(_), None) => panic!("{what}: a flipped byte at {pos} went unnoticed"),
        };
        assert!(
            message.contains("integrity") || message.contains("SHA-1"),
            "{what}: {message}"
        );
        if what != "integrity table" {
            assert!(
                !blobs.is_empty(),
                "{what}: the damaged blob itself must fail"
            );
            if what == "metadata" {
                assert!(blobs[0].what.contains("metadata"), "{}", blobs[0].what);
            }
        } else {
            assert!(
                integrity.is_err(),
                "a damaged integrity table must fail the check"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The blob table's entries are not kept after opening; a commit reads them again, and a table
/// changed since the WIM was opened is an error naming it, not a table that disagrees with the
/// index.
#[test]
fn blob_table_read_again_for_a_commit_and_checked() {
    let dir = scratch("table-again");
    let src = dir.join("src");
    make_tree(&src);
    let wim = dir.join("t.wim");
    wimlib(&[
        "capture",
        src.to_str().expect("utf-8"),
        wim.to_str().expect("utf-8"),
        "--compress=xpress",
    ]);
    let bytes = std::fs::read(&wim).expect("read");
    let header = wimfs::format::WimHeader::parse(&bytes).expect("header");
    let table_at = header.blob_table.offset_in_wim as usize;
    let table_len = header.blob_table.size_in_wim as usize;
    let stored = wimfs::format::blob_table::parse_blob_table(
        &bytes[table_at..table_at + table_len],
        table_at as u64,
    )
    .expect("table");

    let unchanged = open(&wim, &[]).expect("opens");
    assert_eq!(unchanged.raw_entries().expect("same table"), &stored[..]);
    let end = wimfs::commit::valid_end(&unchanged).expect("end");
    assert!(end >= (table_at + table_len) as u64);

    let changed = open(&wim, &[]).expect("opens");
    let mut flipped = bytes.clone();
    // The reference count of the first entry (resource header 24 + part number 2).
    flipped[table_at + 26] ^= 0x40;
    std::fs::write(&wim, &flipped).expect("write");
    let err = changed
        .raw_entries()
        .expect_err("changed table")
        .to_string();
    assert!(
        err.contains("blob table") && err.contains("changed since the WIM was opened"),
        "{err}"
    );
    assert!(wimfs::commit::valid_end(&changed).is_err());
    // Read once, the entries stay those of the table the WIM was opened with.
    assert_eq!(unchanged.raw_entries().expect("kept"), &stored[..]);
    let _ = std::fs::remove_dir_all(&dir);
}
