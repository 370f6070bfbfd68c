//! Generated damage to small XPRESS, LZX and uncompressed fixtures (see the test's module
//! doc): truncation in every region, byte flips, and damage confined to one file's data, judged
//! against the undamaged tree.

use std::fs;

use tests::tree::{errno_name, show_path, Content, Kind};
use tests::wim::{Layout, RESHDR_FLAG_COMPRESSED};
use tests::{apply_and_walk, require_tools, wim_fixture, Manifest, Mounter, TempDir};

use super::{fail_on, probe};

/// One way to damage a WIM.
#[derive(Debug, Clone)]
enum Damage {
    /// Cut the file at this length.
    Truncate(u64),
    /// XOR the byte at this offset.
    Flip(u64, u8),
    /// Overwrite this range with zeros.
    Zero(std::ops::Range<u64>),
    /// Rewrite blob table entry `index` so that its resource is `new_size` bytes long.
    ShrinkBlob { index: usize, new_size: u64 },
}

struct Case {
    label: String,
    damage: Damage,
    /// When the damage is confined to one data resource: its SHA-1. Then the mount must work,
    /// and only paths with that content may fail (with EIO).
    confined_to: Option<[u8; 20]>,
}

fn apply_damage(original: &[u8], layout: &Layout, d: &Damage) -> Vec<u8> {
    let mut b = original.to_vec();
    match d {
        Damage::Truncate(len) => b.truncate(*len as usize),
        Damage::Flip(off, x) => b[*off as usize] ^= x,
        Damage::Zero(r) => b[r.start as usize..r.end as usize].fill(0),
        Damage::ShrinkBlob { index, new_size } => {
            let entry = (layout.blob_table.offset as usize) + index * 50;
            let size = new_size.to_le_bytes();
            b[entry..entry + 7].copy_from_slice(&size[..7]);
        }
    }
    b
}

/// Offsets spread over `r`: its first bytes, quarters and last byte.
fn spread(r: &std::ops::Range<u64>) -> Vec<u64> {
    let len = r.end - r.start;
    let mut v = vec![r.start, r.start + 1, r.start + len / 4, r.start + len / 2];
    v.push(r.start + 3 * len / 4);
    v.push(r.end - 1);
    v.retain(|o| *o < r.end);
    v.sort_unstable();
    v.dedup();
    v
}

fn truncation_cases(layout: &Layout) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut offsets: Vec<(String, u64)> = vec![
        ("header".into(), 0),
        ("header".into(), 7),
        ("header".into(), 100),
        ("header".into(), 207),
    ];
    for (name, r) in layout.regions() {
        if name == "header" {
            continue;
        }
        for o in spread(&r) {
            offsets.push((name.clone(), o));
        }
    }
    offsets.push(("end".into(), layout.file_len - 1));
    offsets.sort_by_key(|(_, o)| *o);
    offsets.dedup_by_key(|(_, o)| *o);
    for (region, o) in offsets {
        cases.push(Case {
            label: format!("truncate at {o} ({region})"),
            damage: Damage::Truncate(o),
            confined_to: None,
        });
    }
    cases
}

fn flip_cases(layout: &Layout) -> Vec<Case> {
    let mut cases = Vec::new();
    // Every header field, and the high byte of each resource size (-> absurdly large).
    let header_fields: &[(u64, &str)] = &[
        (0, "magic"),
        (8, "header size"),
        (12, "version"),
        (16, "flags"),
        (20, "chunk size"),
        (21, "chunk size"),
        (24, "GUID"),
        (40, "part number"),
        (42, "total parts"),
        (44, "image count"),
        (48, "blob table size"),
        (54, "blob table size high byte"),
        (55, "blob table flags"),
        (56, "blob table offset"),
        (62, "blob table offset high byte"),
        (64, "blob table original size"),
        (72, "XML size"),
        (78, "XML size high byte"),
        (80, "XML offset"),
        (96, "boot metadata"),
        (120, "boot index"),
        (124, "integrity table"),
        (150, "unused"),
    ];
    for &(o, what) in header_fields {
        for x in [0x01u8, 0xff] {
            cases.push(Case {
                label: format!("flip {x:#04x} at {o} (header: {what})"),
                damage: Damage::Flip(o, x),
                confined_to: None,
            });
        }
    }
    // Blob table entries: size, size high byte, flags, offset, original size, refcount, SHA-1.
    let bt = layout.blob_table.offset;
    for (i, blob) in layout.blobs.iter().enumerate().take(4) {
        let kind = if blob.is_metadata() {
            "metadata"
        } else {
            "data"
        };
        for (field, what) in [
            (0u64, "size"),
            (6, "size high byte"),
            (7, "flags"),
            (8, "offset"),
            (14, "offset high byte"),
            (16, "original size"),
            (22, "original size high byte"),
            (26, "refcount"),
            (30, "SHA-1"),
        ] {
            cases.push(Case {
                label: format!("flip 0x7f at blob table entry {i} ({kind}) {what}"),
                damage: Damage::Flip(bt + i as u64 * 50 + field, 0x7f),
                confined_to: None,
            });
        }
    }
    // Spread over the XML and the metadata resource(s).
    for (name, r) in layout.regions() {
        if name == "XML data" || name.starts_with("metadata") {
            for o in spread(&r) {
                cases.push(Case {
                    label: format!("flip 0xff at {o} ({name})"),
                    damage: Damage::Flip(o, 0xff),
                    confined_to: None,
                });
            }
        }
    }
    // Spread over each file data resource: confined to that blob.
    for (i, blob) in layout.data_blobs().iter().enumerate() {
        let r = blob.reshdr.range();
        for o in spread(&r) {
            cases.push(Case {
                label: format!("flip 0xff at {o} (file data resource {})", i + 1),
                damage: Damage::Flip(o, 0xff),
                confined_to: Some(blob.sha1),
            });
        }
    }
    cases
}

/// Damage confined to one file's data resource: zeroed bytes in every data resource, and a blob
/// table entry that says a *compressed* resource is half as long as it is.
fn confined_cases(layout: &Layout) -> Vec<Case> {
    let mut cases = Vec::new();
    for (index, blob) in layout.blobs.iter().enumerate() {
        if blob.is_metadata() || blob.reshdr.size_in_wim < 2 {
            continue;
        }
        let r = blob.reshdr.range();
        let mid = r.start + (r.end - r.start) / 2;
        cases.push(Case {
            label: format!(
                "zero the second half of blob {index} ({} bytes at {})",
                r.end - mid,
                mid
            ),
            damage: Damage::Zero(mid..r.end),
            confined_to: Some(blob.sha1),
        });
        if blob.reshdr.flags & RESHDR_FLAG_COMPRESSED != 0 {
            cases.push(shrink_case(index, blob));
        }
    }
    cases
}

/// A blob table entry that says an *uncompressed* resource is half as long as it is.
fn shrink_uncompressed_cases(layout: &Layout) -> Vec<Case> {
    layout
        .blobs
        .iter()
        .enumerate()
        .filter(|(_, b)| {
            !b.is_metadata()
                && b.reshdr.size_in_wim >= 2
                && b.reshdr.flags & RESHDR_FLAG_COMPRESSED == 0
        })
        .map(|(index, blob)| shrink_case(index, blob))
        .collect()
}

fn shrink_case(index: usize, blob: &tests::wim::Blob) -> Case {
    Case {
        label: format!(
            "blob {index}: resource cut to {} of {} bytes{}",
            blob.reshdr.size_in_wim / 2,
            blob.reshdr.size_in_wim,
            if blob.reshdr.flags & RESHDR_FLAG_COMPRESSED != 0 {
                ""
            } else {
                " (uncompressed)"
            }
        ),
        damage: Damage::ShrinkBlob {
            index,
            new_size: blob.reshdr.size_in_wim / 2,
        },
        confined_to: Some(blob.sha1),
    }
}

/// Checks a walked mount of a damaged WIM against the intact original: every path readable is
/// right, everything unreadable fails with EIO, and (for confined damage) only the damaged blob's
/// paths fail.
fn judge_tree(original: &Manifest, m: &Manifest, confined_to: Option<[u8; 20]>) -> Vec<String> {
    let mut problems = Vec::new();
    for a in &m.anomalies {
        problems.push(format!("anomaly: {a}"));
    }
    let damaged_content = |e: &tests::tree::Entry| match (&e.content, confined_to) {
        (Some(Content::Data { sha1, .. }), Some(blob)) => *sha1 == blob,
        (_, None) => true,
        _ => false,
    };
    for (path, orig) in &original.entries {
        let p = show_path(path);
        let Some(got) = m.entries.get(path) else {
            problems.push(format!("{p}: missing from the mount"));
            continue;
        };
        if got.kind != orig.kind {
            problems.push(format!(
                "{p}: type changed: {:?} -> {:?}",
                orig.kind, got.kind
            ));
            continue;
        }
        match orig.kind {
            Kind::File => {
                // A wrong st_size is tolerated when reading fails with EIO: the size lives in
                // the (damaged) blob table, and the read tells the truth.
                let eio =
                    matches!(got.content, Some(Content::Error { errno, .. }) if errno == libc::EIO);
                if got.size != orig.size && !eio {
                    problems.push(format!("{p}: size {} instead of {}", got.size, orig.size));
                }
                match &got.content {
                    c if c == &orig.content => {}
                    Some(Content::Error { errno, .. }) if *errno == libc::EIO => {
                        if !damaged_content(orig) {
                            problems.push(format!(
                                "{p}: EIO, but the damage is confined to another file's data"
                            ));
                        }
                    }
                    Some(Content::Error { errno, after }) => problems.push(format!(
                        "{p}: read failed with {} (after {after} bytes); expected EIO",
                        errno_name(*errno)
                    )),
                    other => problems.push(format!(
                        "{p}: SILENTLY WRONG content: {other:?} instead of {:?}",
                        orig.content
                    )),
                }
            }
            Kind::Symlink => match &got.target {
                t if t == &orig.target => {}
                // The reparse data of a symlink is a blob too.
                Some(Err(errno)) if *errno == libc::EIO && confined_to.is_some() => {}
                other => problems.push(format!(
                    "{p}: symlink target {other:?} instead of {:?}",
                    orig.target
                )),
            },
            _ => {}
        }
    }
    for path in m.entries.keys() {
        if !original.entries.contains_key(path) {
            problems.push(format!("{}: not in the original image", show_path(path)));
        }
    }
    problems
}

fn damage_tests(fixture: &str, which: fn(&Layout) -> Vec<Case>) {
    require_tools(&["wimlib-imagex", "fusermount3"]);
    let mounter = Mounter::from_env();
    let fx = wim_fixture(fixture);
    let original = fs::read(&fx.path).expect("read the fixture");
    let layout = Layout::parse(&original).expect("the intact fixture parses");
    let (_applied_dir, applied) = apply_and_walk(&fx.path, 1, &[]);
    let work = TempDir::new("damage");
    let mut table = Vec::new();
    let mut problems = Vec::new();
    let cases = which(&layout);
    for (n, case) in cases.iter().enumerate() {
        let damaged = apply_damage(&original, &layout, &case.damage);
        let path = work.path().join(format!("case-{n}.wim"));
        fs::write(&path, &damaged).expect("write the damaged WIM");
        let o = probe(&mounter, &path, false);
        let mut case_problems = o.problems;
        match &o.manifest {
            Some(m) => case_problems.extend(judge_tree(&applied, m, case.confined_to)),
            None if case.confined_to.is_some() => case_problems.push(format!(
                "damage confined to one file's data made the whole mount fail: {}",
                o.summary
            )),
            None => {}
        }
        let _ = fs::remove_file(&path);
        table.push(format!("{:<70} {}", case.label, o.summary));
        problems.extend(
            case_problems
                .into_iter()
                .map(|p| format!("[{}] {p}", case.label)),
        );
    }
    eprintln!(
        "{fixture}: {} cases with {}:\n  {}",
        cases.len(),
        mounter.name(),
        table.join("\n  ")
    );
    fail_on(
        &format!(
            "{fixture}: damaged copies with {} ({} cases)",
            mounter.name(),
            cases.len()
        ),
        &problems,
    );
}

#[test]
fn truncated_xpress() {
    damage_tests("small-xpress.wim", truncation_cases);
}

#[test]
fn truncated_lzx() {
    damage_tests("small-lzx.wim", truncation_cases);
}

#[test]
fn flipped_xpress() {
    damage_tests("small-xpress.wim", flip_cases);
}

#[test]
fn flipped_lzx() {
    damage_tests("small-lzx.wim", flip_cases);
}

#[test]
fn flipped_uncompressed() {
    damage_tests("small-none.wim", flip_cases);
}

#[test]
fn damaged_file_data_xpress() {
    damage_tests("small-xpress.wim", confined_cases);
}

#[test]
fn damaged_file_data_lzx() {
    damage_tests("small-lzx.wim", confined_cases);
}

#[test]
fn damaged_file_data_uncompressed() {
    damage_tests("small-none.wim", confined_cases);
}

/// An uncompressed resource whose blob table entry claims fewer stored bytes than its
/// uncompressed size: only that file should fail (EIO). Today wimfs (like wimlib) refuses the
/// whole WIM ("invalid blob table entry ...: uncompressed resource whose stored and
/// uncompressed sizes differ"). Ignored until the lead decides which behaviour is wanted; run
/// with `--ignored` to see it.
#[test]
fn short_uncompressed_blob_breaks_only_its_file() {
    for fixture in ["small-none.wim", "small-lzx.wim", "small-xpress.wim"] {
        damage_tests(fixture, shrink_uncompressed_cases);
    }
}
