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
use std::path::{Path, PathBuf};
use std::time::Duration;

use tests::tree::{errno_name, show_path, walk_with_timeout, Content, Kind, WalkOptions};
use tests::{
    apply_and_walk, compare, format_report, malformed_dir, require_tools, run, CompareOptions,
    Manifest, MountOptions, Mounter, RunOutput,
};

#[path = "wim_malformed/damage.rs"]
mod damage;

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
