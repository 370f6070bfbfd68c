//! A tree as a map from path to what it holds ([`Node`]), for tests that look at single paths
//! or want the bytes: a view of a [`crate::tree::walk`] manifest. To compare whole trees use
//! [`crate::same_tree`], which lists differences more precisely.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::manifest::Kind;
use crate::tree::{walk, WalkOptions};

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

/// Path (relative) -> what it holds, and the hard-link groups of regular files.
pub type Snapshot = (BTreeMap<PathBuf, Node>, Vec<Vec<PathBuf>>);

/// Every path below `root` with what it holds, plus the hard-link groups (sets of paths).
pub fn snapshot(root: &Path) -> Snapshot {
    snapshot_skipping(root, |_| false)
}

/// [`snapshot`] without the paths (relative to `root`) for which `skip` is true, nor anything
/// below them.
pub fn snapshot_skipping(root: &Path, skip: impl Fn(&Path) -> bool) -> Snapshot {
    let opts = WalkOptions {
        content: false,
        xattrs: false,
        check_dirents: false,
        ..WalkOptions::default()
    };
    let m = walk(root, &opts);
    assert!(
        m.anomalies.is_empty(),
        "walking {}: {:?}",
        root.display(),
        m.anomalies
    );
    let rel_of = |p: &[u8]| PathBuf::from(OsStr::from_bytes(p));
    let skipped = |rel: &Path| {
        rel.ancestors()
            .any(|a| !a.as_os_str().is_empty() && skip(a))
    };
    let mut out = BTreeMap::new();
    for (path, e) in m.entries.iter().filter(|(p, _)| !p.is_empty()) {
        let rel = rel_of(path);
        if skipped(&rel) {
            continue;
        }
        let abs = root.join(&rel);
        if let Some(errno) = e.stat_error {
            panic!("lstat {}: errno {errno}", abs.display());
        }
        let node = match e.kind {
            Kind::Dir => Node::Dir,
            Kind::Symlink => Node::Link(
                std::fs::read_link(&abs)
                    .unwrap_or_else(|err| panic!("readlink {}: {err}", abs.display())),
            ),
            Kind::File => Node::File(
                std::fs::read(&abs).unwrap_or_else(|err| panic!("{}: {err}", abs.display())),
            ),
            Kind::Other(format) => {
                let device = format == libc::S_IFCHR || format == libc::S_IFBLK;
                Node::Special {
                    format,
                    rdev: if device { e.rdev } else { 0 },
                }
            }
        };
        out.insert(rel, node);
    }
    let groups = m
        .hard_link_groups()
        .into_iter()
        .map(|g| {
            g.iter()
                .map(|p| rel_of(p))
                .filter(|p| matches!(out.get(p), Some(Node::File(_))))
                .collect::<Vec<_>>()
        })
        .filter(|g| g.len() > 1)
        .collect();
    (out, groups)
}

/// Every difference between two snapshots (paths, kinds, bytes, targets, hard-link groups).
pub fn tree_diffs((a, ga): Snapshot, (b, gb): Snapshot) -> Vec<String> {
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
        _ => format!("{a:?} vs {b:?}").chars().take(200).collect(),
    }
}
