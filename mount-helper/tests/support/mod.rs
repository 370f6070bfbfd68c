//! Helpers shared by the end-to-end tests: running commands, building trees, comparing trees.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The wimfs binary Cargo built for these tests.
pub fn wimfs() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wimfs"))
}

/// The isofs binary Cargo built for these tests.
pub fn isofs() -> Command {
    Command::new(env!("CARGO_BIN_EXE_isofs"))
}

/// Runs `cmd`, panicking with its output if it fails.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Mounts with `mount_cmd`, runs `check`, unmounts with `unmount` (also when `check` fails).
pub fn with_mount(mount_cmd: &mut Command, unmount: &mut Command, check: impl FnOnce()) {
    run(mount_cmd);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(check));
    run(unmount);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e);
    }
}

/// Runs wimlib-imagex (installed by scripts/install-deps).
pub fn wimlib(args: &[&str]) -> Output {
    run(Command::new("wimlib-imagex").args(args))
}

/// `wimlib-imagex capture SRC WIM --compress=COMPRESS`.
pub fn capture(src: &Path, wim: &Path, compress: &str) {
    wimlib(&[
        "capture",
        src.to_str().expect("utf-8"),
        wim.to_str().expect("utf-8"),
        &format!("--compress={compress}"),
    ]);
}

/// `wimlib-imagex apply WIM IMAGE DEST`.
pub fn apply(wim: &Path, image: &str, dest: &Path) {
    wimlib(&[
        "apply",
        wim.to_str().expect("utf-8"),
        image,
        dest.to_str().expect("utf-8"),
    ]);
}

/// An ISO 9660 + Rock Ridge + Joliet image of `root` made by xorriso.
pub fn rr_iso(root: &Path, iso: &Path) {
    run(Command::new("xorriso")
        .args(["-as", "mkisofs", "-R", "-J", "-o"])
        .arg(iso)
        .arg(root));
}

/// A UDF bridge image of `root` made by genisoimage.
pub fn udf_iso(root: &Path, iso: &Path) {
    run(Command::new("genisoimage")
        .args(["-quiet", "-udf", "-o"])
        .arg(iso)
        .arg(root));
}

/// A fresh scratch directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wimfs-e2e-{}-{name}", std::process::id()));
    let _ = Command::new("fusermount3")
        .arg("-uz")
        .arg(dir.join("m"))
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Deterministic pseudo-random bytes.
pub fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// What a tree holds at one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A directory.
    Dir,
    /// A file's bytes.
    File(Vec<u8>),
    /// A symlink's target.
    Link(PathBuf),
    /// A device node, FIFO or socket (never opened): its file type bits and device number
    /// (0 unless a device).
    Special { format: u32, rdev: u64 },
}

/// Every path below `root` with what it holds, plus the hard-link groups (sets of paths).
pub fn snapshot(root: &Path) -> (BTreeMap<PathBuf, Node>, Vec<Vec<PathBuf>>) {
    snapshot_skipping(root, |_| false)
}

/// [`snapshot`] without the paths (relative to `root`) for which `skip` is true, nor anything
/// below them.
pub fn snapshot_skipping(
    root: &Path,
    skip: impl Fn(&Path) -> bool,
) -> (BTreeMap<PathBuf, Node>, Vec<Vec<PathBuf>>) {
    let mut out = BTreeMap::new();
    let mut inodes: BTreeMap<(u64, u64), Vec<PathBuf>> = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e.expect("entry").path();
            let rel = p.strip_prefix(root).expect("below root").to_path_buf();
            if skip(&rel) {
                continue;
            }
            let m = std::fs::symlink_metadata(&p)
                .unwrap_or_else(|e| panic!("lstat {}: {e}", p.display()));
            let ft = m.file_type();
            if ft.is_char_device() || ft.is_block_device() || ft.is_fifo() || ft.is_socket() {
                let rdev = if ft.is_char_device() || ft.is_block_device() {
                    m.rdev()
                } else {
                    0
                };
                let format = m.mode() & libc::S_IFMT;
                out.insert(rel, Node::Special { format, rdev });
            } else if m.is_dir() {
                out.insert(rel, Node::Dir);
                stack.push(p);
            } else if m.file_type().is_symlink() {
                out.insert(rel, Node::Link(std::fs::read_link(&p).expect("readlink")));
            } else {
                let data = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                out.insert(rel.clone(), Node::File(data));
                if m.nlink() > 1 {
                    inodes.entry((m.dev(), m.ino())).or_default().push(rel);
                }
            }
        }
    }
    let mut groups: Vec<Vec<PathBuf>> = inodes
        .into_values()
        .map(|mut v| {
            v.sort();
            v
        })
        .collect();
    groups.sort();
    (out, groups)
}

/// Asserts two trees hold the same paths, kinds, bytes, targets and hard-link groups,
/// listing every difference.
pub fn assert_same_tree(got: &Path, want: &Path) {
    let diffs = tree_diffs(snapshot(got), snapshot(want));
    assert!(
        diffs.is_empty(),
        "{} vs {}:\n{}",
        got.display(),
        want.display(),
        diffs.join("\n")
    );
}

/// Every difference between two snapshots (paths, kinds, bytes, targets, hard-link groups).
pub fn tree_diffs(
    (a, ga): (BTreeMap<PathBuf, Node>, Vec<Vec<PathBuf>>),
    (b, gb): (BTreeMap<PathBuf, Node>, Vec<Vec<PathBuf>>),
) -> Vec<String> {
    let mut diffs = Vec::new();
    for (p, n) in &a {
        match b.get(p) {
            None => diffs.push(format!("extra: {}", p.display())),
            Some(m) if m != n => diffs.push(format!("differs: {} ({})", p.display(), kind(n, m))),
            _ => {}
        }
    }
    for p in b.keys() {
        if !a.contains_key(p) {
            diffs.push(format!("missing: {}", p.display()));
        }
    }
    if ga != gb {
        diffs.push(format!("hard-link groups differ: {ga:?} vs {gb:?}"));
    }
    diffs
}

fn kind(a: &Node, b: &Node) -> String {
    match (a, b) {
        (Node::File(x), Node::File(y)) => format!("{} vs {} bytes", x.len(), y.len()),
        (Node::File(x), Node::Special { format, rdev }) => {
            format!(
                "file of {} bytes vs special {format:o} rdev {rdev:#x}",
                x.len()
            )
        }
        _ => format!("{a:?} vs {b:?}").chars().take(200).collect(),
    }
}

/// Copies a tree with `cp -a`.
pub fn copy_tree(from: &Path, to: &Path) {
    run(Command::new("cp").arg("-a").arg(from).arg(to));
}

/// Number of entries in a WIM's blob table (from its header).
pub fn blob_table_entries(wim: &Path) -> u64 {
    let bytes = std::fs::read(wim).expect("read WIM");
    let h = wimfs::format::WimHeader::parse(&bytes).expect("header");
    h.blob_table.uncompressed_size / 50
}

/// Waits (up to 10 s) until process `pid` has fully exited: every thread gone or a zombie, so
/// its files are closed and its locks released. (The group leader turns zombie before its
/// other threads finish exiting, so the leader's state alone is not enough.)
pub fn wait_dead(pid: u32) {
    let dead = |stat: &str| {
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().next());
        matches!(state, Some("Z") | Some("X"))
    };
    for _ in 0..1000 {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return;
        };
        let all_dead = tasks
            .flatten()
            .all(|t| std::fs::read_to_string(t.path().join("stat")).map_or(true, |s| dead(&s)));
        if all_dead {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The pid of the daemon using staging directory `staging`.
pub fn staging_pid(staging: &Path) -> u32 {
    wimfs::fs::StagingInfo::read(staging)
        .expect("staging info")
        .pid
}

/// Waits (up to 10 s) until no process holds the read-write lock of `wim`.
pub fn wait_unlocked(wim: &Path) {
    use std::os::fd::AsRawFd;
    for _ in 0..1000 {
        let Ok(f) = std::fs::File::open(wim) else {
            return;
        };
        // SAFETY: flock on a descriptor we own; released when `f` closes.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The `name=` fields of the root xattr `wimfs.cache_stats` of the WIM image at `root` (a wimfs
/// mount, or an image directory of an `isofs mount --all --wim`).
pub fn cache_stats(root: &Path) -> BTreeMap<String, u64> {
    let out = run(Command::new("getfattr")
        .args(["--only-values", "-n", "wimfs.cache_stats"])
        .arg(root));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// One field of [`cache_stats`], which must be there.
pub fn cache_stat(root: &Path, name: &str) -> u64 {
    let stats = cache_stats(root);
    *stats
        .get(name)
        .unwrap_or_else(|| panic!("no {name}= in wimfs.cache_stats {stats:?}"))
}

/// A wimfs mount at a directory, unmounted on drop (also when the test fails): `wimfs
/// unmount`, else a lazy `fusermount3 -uz`.
pub struct WimfsMount(pub PathBuf);

impl Drop for WimfsMount {
    fn drop(&mut self) {
        let ok = wimfs()
            .arg("unmount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("fusermount3").arg("-uz").arg(&self.0).status();
        }
    }
}

/// Skips a test whose prerequisite (`what`) is missing: prints why, or fails under CI
/// (`CI` set, as `.ci/run` runs), where every test must run.
pub fn skip_unless_ci(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run this test, but {what}"
    );
    eprintln!("SKIPPED: {what}");
}
