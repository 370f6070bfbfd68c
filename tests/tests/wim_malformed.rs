//! Hostile and damaged WIMs: our binary must fail cleanly (a message, a non-crash exit code) or
//! serve what is intact and answer EIO for what is not; never hang, panic or crash.
//!
//! - wimlib's own hostile test WIMs (tests/fixtures/malformed/, see
//!   /work/shared/fixtures/README.md for what each one is).
//! - Generated damage to small XPRESS, LZX and uncompressed fixtures: truncation at offsets in
//!   every region (header, blob table, XML, metadata resource, file data), byte flips at many
//!   offsets (including size/offset fields that become huge), and damage confined to one file's
//!   data resource (zeroed bytes; a blob table entry whose resource is cut short), which must
//!   leave every other file readable.
//!
//! The mounter is our `wimfs` (run with `--foreground` as a child of the test so that its
//! stderr and exit status are checked too), or wimlib's mount with `WIMFS_DIFF_MOUNTER=wimlib`
//! (for comparison: wimlib's mount fails several of these checks, see the report).
//!
//! Run: `cargo build -p mount-helper && cargo test -p tests --test wim_malformed`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tests::tree::{errno_name, show_path, walk_with_timeout, Content, Kind, WalkOptions};
use tests::wim::{Layout, RESHDR_FLAG_COMPRESSED};
use tests::{
    apply_and_walk, compare, format_report, malformed_dir, require_tools, run, wim_fixture,
    CompareOptions, Manifest, MountOptions, Mounter, RunOutput, TempDir,
};

const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
const WALK_TIMEOUT: Duration = Duration::from_secs(60);

fn mount_opts(unix_data: bool) -> MountOptions {
    MountOptions {
        unix_data,
        timeout: COMMAND_TIMEOUT,
        foreground: true,
        ..MountOptions::default()
    }
}

/// Problems with how a command ended: crash signs, or a failure without a message.
fn ending_problems(what: &str, out: &RunOutput) -> Vec<String> {
    let mut p = Vec::new();
    if let Some(signs) = out.crash_signs() {
        p.push(format!("{what}: {signs}\n{out}"));
    } else if !out.success() && out.stderr.trim().is_empty() && out.stdout.trim().is_empty() {
        p.push(format!("{what}: failed without a message\n{out}"));
    }
    p
}

/// The first line of a failure message, for the outcome tables.
fn first_line(out: &RunOutput) -> String {
    let text = if out.stderr.trim().is_empty() {
        &out.stdout
    } else {
        &out.stderr
    };
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    line.chars().take(110).collect()
}

/// What happened to one WIM: the info command, then a mount and a full walk.
struct Outcome {
    /// One-line summary.
    summary: String,
    /// Everything that is not acceptable.
    problems: Vec<String>,
    /// The walked mount, if it mounted.
    manifest: Option<Manifest>,
}

/// Runs `info`, mounts image 1 and walks everything (contents and xattrs), all under timeouts.
fn probe(mounter: &Mounter, wim: &Path, unix_data: bool) -> Outcome {
    let mut problems = Vec::new();
    let info = run(&mut mounter.info_command(wim), COMMAND_TIMEOUT);
    problems.extend(ending_problems("info", &info));
    let mount = match mounter.mount(wim, 1, &mount_opts(unix_data)) {
        Ok(m) => m,
        Err(failure) => {
            problems.extend(ending_problems(
                &format!("mount ({})", failure.reason),
                &failure.output,
            ));
            return Outcome {
                summary: format!("mount refused: {}", first_line(&failure.output)),
                problems,
                manifest: None,
            };
        }
    };
    let walk_opts = WalkOptions {
        // wimlib's mount answers readdir with d_ino 0xffffffff.
        check_dirents: !mounter.is_wimlib(),
        ..WalkOptions::default()
    };
    let walked = walk_with_timeout(mount.path(), &walk_opts, WALK_TIMEOUT, || {
        mount.kill_daemon();
    });
    let (unmount_problems, daemon) = mount.finish();
    problems.extend(unmount_problems);
    if let Some(out) = &daemon {
        problems.extend(ending_problems("the mount process", out));
    }
    match walked {
        Ok(m) => {
            let errors = m.read_errors();
            let summary = if errors.is_empty() {
                "mounted, everything readable".to_string()
            } else {
                let mut by_errno: BTreeMap<String, usize> = BTreeMap::new();
                for (_, e) in &errors {
                    *by_errno.entry(errno_name(*e)).or_default() += 1;
                }
                format!("mounted, read errors: {by_errno:?}")
            };
            Outcome {
                summary,
                problems,
                manifest: Some(m),
            }
        }
        Err(e) => {
            problems.push(format!("hang: {e}"));
            Outcome {
                summary: "hang".into(),
                problems,
                manifest: None,
            }
        }
    }
}

fn malformed(name: &str) -> PathBuf {
    let p = malformed_dir().join(name);
    assert!(p.is_file(), "missing fixture {}", p.display());
    p
}

fn fail_on(title: &str, problems: &[String]) {
    assert!(problems.is_empty(), "{}", format_report(title, problems));
}

// ---------------------------------------------------------------------------------------------
// wimlib's hostile WIMs

/// A WIM with one file whose data is damaged: mount works, reading that file fails with EIO.
fn corrupted_file(name: &str) {
    require_tools(&["wimlib-imagex", "fusermount3"]);
    let mounter = Mounter::from_env();
    let o = probe(&mounter, &malformed(name), false);
    let mut problems = o.problems;
    match &o.manifest {
        None => problems.push(format!("must mount: {}", o.summary)),
        Some(m) => {
            let files: Vec<(&Vec<u8>, &tests::tree::Entry)> = m
                .entries
                .iter()
                .filter(|(_, e)| e.kind == Kind::File)
                .collect();
            if files.is_empty() {
                problems.push("no file in the mount".into());
            }
            for (path, e) in files {
                match &e.content {
                    Some(Content::Error { errno, .. }) if *errno == libc::EIO => {}
                    other => problems.push(format!(
                        "{}: reading must fail with EIO; got {other:?}",
                        show_path(path)
                    )),
                }
            }
        }
    }
    fail_on(&format!("{name} with {}", mounter.name()), &problems);
}

#[test]
fn corrupted_file_1_sha1_mismatch_is_eio() {
    corrupted_file("corrupted_file_1.wim");
}

#[test]
fn corrupted_file_2_undecodable_data_is_eio() {
    corrupted_file("corrupted_file_2.wim");
}

#[test]
fn cyclic_tree_is_rejected_or_cut() {
    require_tools(&["wimlib-imagex", "fusermount3"]);
    let mounter = Mounter::from_env();
    let o = probe(&mounter, &malformed("cyclic.wim"), false);
    let mut problems = o.problems;
    if let Some(m) = &o.manifest {
        // Mounted: the cycle must have been cut, so the walker saw a finite tree with no
        // directory reachable twice.
        for a in &m.anomalies {
            problems.push(format!("cycle not cut: {a}"));
        }
    }
    eprintln!("cyclic.wim: {}", o.summary);
    fail_on(&format!("cyclic.wim with {}", mounter.name()), &problems);
}

#[test]
fn duplicate_names_are_served_deterministically_or_rejected() {
    require_tools(&["wimlib-imagex", "fusermount3"]);
    let mounter = Mounter::from_env();
    let wim = malformed("duplicate_names.wim");
    let first = probe(&mounter, &wim, false);
    let second = probe(&mounter, &wim, false);
    let mut problems = first.problems;
    problems.extend(second.problems);
    match (&first.manifest, &second.manifest) {
        (Some(a), Some(b)) => {
            for an in &a.anomalies {
                problems.push(format!("served: {an}"));
            }
            let d = compare(a, b, &CompareOptions::default());
            problems.extend(d.into_iter().map(|d| format!("second mount differs: {d}")));
            // wimlib keeps the first of the duplicates; so should we (same tree as apply).
            let (_dir, applied) = apply_and_walk(&wim, 1, &[]);
            let d = compare(&applied, a, &CompareOptions::default());
            problems.extend(
                d.into_iter()
                    .map(|d| format!("vs wimlib-imagex apply: {d}")),
            );
        }
        (None, None) => {}
        _ => problems.push(format!(
            "not deterministic: first {}, then {}",
            first.summary, second.summary
        )),
    }
    eprintln!("duplicate_names.wim: {}", first.summary);
    fail_on(
        &format!("duplicate_names.wim with {}", mounter.name()),
        &problems,
    );
}

#[test]
fn dotdot_is_never_served() {
    require_tools(&["wimlib-imagex", "fusermount3"]);
    let mounter = Mounter::from_env();
    let wim = malformed("dotdot.wim");
    let o = probe(&mounter, &wim, false);
    let mut problems = o.problems;
    if let Some(m) = &o.manifest {
        for a in &m.anomalies {
            problems.push(format!("served: {a}"));
        }
        for path in m.entries.keys() {
            if path.split(|&b| b == b'/').any(|c| c == b".." || c == b".") {
                problems.push(format!("served path {}", show_path(path)));
            }
        }
        // Nothing of the host shows through: the tree is what wimlib applies (which drops the
        // ".." entry and everything below it).
        let (_dir, applied) = apply_and_walk(&wim, 1, &[]);
        let d = compare(&applied, m, &CompareOptions::default());
        problems.extend(
            d.into_iter()
                .map(|d| format!("vs wimlib-imagex apply: {d}")),
        );
    }
    eprintln!("dotdot.wim: {}", o.summary);
    fail_on(&format!("dotdot.wim with {}", mounter.name()), &problems);
}

/// Valid but unusual WIMs: mount and read everything, identical to `apply`.
fn valid_unusual(name: &str, unix_data: bool) {
    require_tools(&["wimlib-imagex", "fusermount3"]);
    let mounter = Mounter::from_env();
    let wim = malformed(name);
    let o = probe(&mounter, &wim, unix_data);
    let mut problems = o.problems;
    match &o.manifest {
        None => problems.push(format!("must mount: {}", o.summary)),
        Some(m) => {
            let args: Vec<String> = if unix_data {
                vec!["--unix-data".into()]
            } else {
                vec![]
            };
            let (dir, applied) = apply_and_walk(&wim, 1, &args);
            let opts = CompareOptions {
                modes: unix_data,
                owners: unix_data,
                mtime: true,
                symlink_size: !mounter.is_wimlib(),
                xattrs: unix_data && !mounter.is_wimlib(),
                ..CompareOptions::default()
            };
            let applied = if opts.xattrs {
                tests::walk(&applied.root, &WalkOptions::default())
            } else {
                applied
            };
            problems.extend(compare(&applied, m, &opts));
            drop(dir);
        }
    }
    fail_on(&format!("{name} with {}", mounter.name()), &problems);
}

#[test]
fn longpaths_mount_and_read() {
    valid_unusual("longpaths.wim", false);
}

#[test]
fn empty_dacl_mounts_and_reads() {
    valid_unusual("empty_dacl.wim", false);
}

#[test]
fn linux_xattrs_old_format_mounts_and_reads() {
    valid_unusual("linux_xattrs_old.wim", true);
}

// ---------------------------------------------------------------------------------------------
// generated damage

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
