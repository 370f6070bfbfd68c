//! Comparing two [`Manifest`]s and listing every difference, readably.

use std::collections::{BTreeMap, BTreeSet};

use crate::tree::{errno_name, show_path, Content, Entry, Kind, Manifest, Xattrs};

/// What to compare besides the structure (paths, kinds, file sizes, symlink targets, hard-link
/// groups), which is always compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompareOptions {
    /// Paths, kinds, sizes, symlink targets, hard-link groups (off: compare only the other
    /// selected properties of paths present in both trees).
    pub structure: bool,
    /// File contents (hashes, read errors).
    pub content: bool,
    /// Permission bits (`07777`), of everything but symlinks.
    pub modes: bool,
    /// uid and gid.
    pub owners: bool,
    /// `st_nlink` of non-directories.
    pub nlink: bool,
    /// `st_mtime` (seconds and nanoseconds) of files and directories.
    pub mtime: bool,
    /// In the *actual* tree, a symlink's `st_size` must be its target's length (POSIX; wimlib's
    /// mount reports 0, so this is off when validating against it).
    pub symlink_size: bool,
    /// Xattr names and values.
    pub xattrs: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            structure: true,
            content: true,
            modes: false,
            owners: false,
            nlink: true,
            mtime: false,
            symlink_size: true,
            xattrs: false,
        }
    }
}

impl CompareOptions {
    /// Only xattrs (for comparing with wimlib's mount, which is the reference for them).
    pub fn xattrs_only() -> Self {
        CompareOptions {
            structure: false,
            content: false,
            modes: false,
            owners: false,
            nlink: false,
            mtime: false,
            symlink_size: false,
            xattrs: true,
        }
    }
}

fn kind_name(k: Kind) -> String {
    match k {
        Kind::File => "file".into(),
        Kind::Dir => "directory".into(),
        Kind::Symlink => "symlink".into(),
        Kind::Other(bits) => format!("special (S_IFMT {bits:o})"),
    }
}

fn bytes_preview(b: &[u8]) -> String {
    const MAX: usize = 48;
    let shown = &b[..b.len().min(MAX)];
    let s = match std::str::from_utf8(shown) {
        Ok(s) if !s.chars().any(|c| c.is_control()) => format!("{s:?}"),
        _ => {
            let hex: String = shown.iter().map(|x| format!("{x:02x}")).collect();
            format!("0x{hex}")
        }
    };
    if b.len() > MAX {
        format!("{s}... ({} bytes)", b.len())
    } else {
        s
    }
}

fn show_content(c: &Option<Content>) -> String {
    match c {
        None => "not read".into(),
        Some(Content::Data { sha1, len }) => {
            let hex: String = sha1.iter().map(|x| format!("{x:02x}")).collect();
            format!("{len} bytes, sha1 {hex}")
        }
        Some(Content::Error { errno, after }) => {
            format!("read error {} after {after} bytes", errno_name(*errno))
        }
    }
}

fn show_target(t: &Option<Result<Vec<u8>, i32>>) -> String {
    match t {
        None => "none".into(),
        Some(Ok(t)) => format!("{:?}", String::from_utf8_lossy(t)),
        Some(Err(errno)) => format!("readlink error {}", errno_name(*errno)),
    }
}

/// Is `path` strictly below `dir` (both relative keys)?
fn is_below(path: &[u8], dir: &[u8]) -> bool {
    if dir.is_empty() {
        return !path.is_empty();
    }
    path.len() > dir.len() && path.starts_with(dir) && path[dir.len()] == b'/'
}

/// Paths present in `a` but not in `b`, with whole missing subtrees collapsed into one line.
fn only_in(a: &Manifest, b: &Manifest, label: &str, out: &mut Vec<String>) {
    let mut skip_below: Option<Vec<u8>> = None;
    for (path, e) in &a.entries {
        if let Some(dir) = &skip_below {
            if is_below(path, dir) {
                continue;
            }
            skip_below = None;
        }
        if b.entries.contains_key(path) {
            continue;
        }
        if e.kind == Kind::Dir {
            let below = a.entries.keys().filter(|p| is_below(p, path)).count();
            if below > 0 {
                out.push(format!(
                    "{}: directory {label}, with {below} entries below it",
                    show_path(path)
                ));
                skip_below = Some(path.clone());
                continue;
            }
        }
        out.push(format!(
            "{}: {} {label}",
            show_path(path),
            kind_name(e.kind)
        ));
    }
}

fn compare_xattr_maps(
    path: &[u8],
    e: &Option<Result<Xattrs, i32>>,
    a: &Option<Result<Xattrs, i32>>,
    out: &mut Vec<String>,
) {
    let p = show_path(path);
    match (e, a) {
        (Some(Ok(ex)), Some(Ok(ac))) => {
            let names: BTreeSet<&Vec<u8>> = ex.keys().chain(ac.keys()).collect();
            for name in names {
                let n = String::from_utf8_lossy(name);
                match (ex.get(name), ac.get(name)) {
                    (Some(_), None) => out.push(format!("{p}: xattr {n:?} missing")),
                    (None, Some(v)) => out.push(format!(
                        "{p}: unexpected xattr {n:?} = {}",
                        match v {
                            Ok(v) => bytes_preview(v),
                            Err(errno) => errno_name(*errno),
                        }
                    )),
                    (Some(ev), Some(av)) if ev != av => {
                        let show = |v: &Result<Vec<u8>, i32>| match v {
                            Ok(v) => bytes_preview(v),
                            Err(errno) => format!("getxattr error {}", errno_name(*errno)),
                        };
                        out.push(format!(
                            "{p}: xattr {n:?}: expected {}, got {}",
                            show(ev),
                            show(av)
                        ))
                    }
                    _ => {}
                }
            }
        }
        (Some(Err(errno)), _) => out.push(format!(
            "{p}: reference listxattr failed: {}",
            errno_name(*errno)
        )),
        (_, Some(Err(errno))) => out.push(format!("{p}: listxattr failed: {}", errno_name(*errno))),
        _ => {}
    }
}

fn compare_entry(path: &[u8], e: &Entry, a: &Entry, opts: &CompareOptions, out: &mut Vec<String>) {
    let p = show_path(path);
    if let Some(errno) = e.stat_error {
        out.push(format!(
            "{p}: reference lstat failed: {}",
            errno_name(errno)
        ));
        return;
    }
    if let Some(errno) = a.stat_error {
        out.push(format!("{p}: lstat failed: {}", errno_name(errno)));
        return;
    }
    if opts.xattrs {
        compare_xattr_maps(path, &e.xattrs, &a.xattrs, out);
    }
    if !opts.structure {
        return;
    }
    if e.kind != a.kind {
        out.push(format!(
            "{p}: type: expected {}, got {}",
            kind_name(e.kind),
            kind_name(a.kind)
        ));
        return;
    }
    match e.kind {
        Kind::File => {
            if e.size != a.size {
                out.push(format!("{p}: size: expected {}, got {}", e.size, a.size));
            }
            if opts.content {
                match (&e.content, &a.content) {
                    (Some(Content::Error { .. }), _) => {
                        out.push(format!("{p}: reference tree: {}", show_content(&e.content)))
                    }
                    (Some(Content::Data { .. }), Some(Content::Data { len, .. }))
                        if e.content == a.content && *len == a.size => {}
                    (Some(Content::Data { .. }), Some(Content::Data { len, .. }))
                        if e.content == a.content =>
                    {
                        out.push(format!(
                            "{p}: content is right but read returned {len} bytes for st_size {}",
                            a.size
                        ))
                    }
                    _ => out.push(format!(
                        "{p}: content: expected {}, got {}",
                        show_content(&e.content),
                        show_content(&a.content)
                    )),
                }
            }
            if opts.nlink && e.nlink != a.nlink {
                out.push(format!("{p}: nlink: expected {}, got {}", e.nlink, a.nlink));
            }
        }
        Kind::Symlink => {
            if e.target != a.target {
                out.push(format!(
                    "{p}: symlink target: expected {}, got {}",
                    show_target(&e.target),
                    show_target(&a.target)
                ));
            }
            if opts.symlink_size && a.size != a.raw_target_len {
                out.push(format!(
                    "{p}: symlink st_size is {} but readlink returns {} bytes",
                    a.size, a.raw_target_len
                ));
            }
            if opts.nlink && e.nlink != a.nlink {
                out.push(format!("{p}: nlink: expected {}, got {}", e.nlink, a.nlink));
            }
        }
        Kind::Dir => {
            if let Some(errno) = a.dir_error {
                out.push(format!(
                    "{p}: reading the directory failed: {}",
                    errno_name(errno)
                ));
            }
        }
        Kind::Other(_) => {
            if e.rdev != a.rdev {
                out.push(format!(
                    "{p}: device number: expected {:#x}, got {:#x}",
                    e.rdev, a.rdev
                ));
            }
        }
    }
    if opts.modes && e.kind != Kind::Symlink && e.perm != a.perm {
        out.push(format!(
            "{p}: mode: expected {:04o}, got {:04o}",
            e.perm, a.perm
        ));
    }
    if opts.owners && (e.uid, e.gid) != (a.uid, a.gid) {
        out.push(format!(
            "{p}: owner: expected {}:{}, got {}:{}",
            e.uid, e.gid, a.uid, a.gid
        ));
    }
    if opts.mtime && e.kind != Kind::Symlink && e.mtime != a.mtime {
        out.push(format!(
            "{p}: mtime: expected {}.{:09}, got {}.{:09}",
            e.mtime.0, e.mtime.1, a.mtime.0, a.mtime.1
        ));
    }
}

fn show_group(g: &[Vec<u8>]) -> String {
    let names: Vec<String> = g.iter().map(|p| show_path(p)).collect();
    format!("{{{}}}", names.join(", "))
}

fn compare_hard_links(expected: &Manifest, actual: &Manifest, out: &mut Vec<String>) {
    let eg = expected.hard_link_groups();
    let ag = actual.hard_link_groups();
    let a_set: BTreeSet<&Vec<Vec<u8>>> = ag.iter().collect();
    let e_set: BTreeSet<&Vec<Vec<u8>>> = eg.iter().collect();
    // Where each path lives in the actual partition.
    let mut a_of: BTreeMap<&[u8], &Vec<Vec<u8>>> = BTreeMap::new();
    for g in &ag {
        for p in g {
            a_of.insert(p, g);
        }
    }
    for g in &eg {
        if a_set.contains(g) {
            continue;
        }
        let mut parts: Vec<String> = Vec::new();
        for p in g {
            match a_of.get(p.as_slice()) {
                Some(ag) => parts.push(format!(
                    "{} is linked with {}",
                    show_path(p),
                    show_group(ag)
                )),
                None => parts.push(format!("{} is not a hard link", show_path(p))),
            }
        }
        parts.dedup();
        out.push(format!(
            "hard-link group {} expected; got: {}",
            show_group(g),
            parts.join("; ")
        ));
    }
    for g in &ag {
        if !e_set.contains(g) && !eg.iter().any(|e| e.iter().any(|p| g.contains(p))) {
            out.push(format!("unexpected hard-link group {}", show_group(g)));
        }
    }
}

/// Every difference between `expected` (the reference) and `actual`, one line each. Missing and
/// extra subtrees are collapsed into one line per top directory.
pub fn compare(expected: &Manifest, actual: &Manifest, opts: &CompareOptions) -> Vec<String> {
    let mut out = Vec::new();
    for a in &expected.anomalies {
        out.push(format!("reference tree anomaly: {a}"));
    }
    for a in &actual.anomalies {
        out.push(format!("anomaly: {a}"));
    }
    if opts.structure {
        only_in(expected, actual, "missing", &mut out);
        only_in(
            actual,
            expected,
            "unexpected (not in the reference)",
            &mut out,
        );
    }
    for (path, e) in &expected.entries {
        if let Some(a) = actual.entries.get(path) {
            compare_entry(path, e, a, opts, &mut out);
        }
    }
    if opts.structure {
        compare_hard_links(expected, actual, &mut out);
    }
    out
}

/// Formats a difference list for a panic message: a title, the count, then every line.
pub fn format_report(title: &str, diffs: &[String]) -> String {
    let mut s = format!("{title}: {} difference(s)\n", diffs.len());
    for (i, d) in diffs.iter().enumerate() {
        s.push_str(&format!("  {:>4}. {d}\n", i + 1));
    }
    s
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;

    fn tree(kind: Kind, rdev: u64) -> Manifest {
        let mut dev = Entry::failed_stat(0);
        (dev.stat_error, dev.kind, dev.rdev, dev.nlink) = (None, kind, rdev, 1);
        let mut root = dev.clone();
        (root.kind, root.rdev) = (Kind::Dir, 0);
        Manifest {
            root: PathBuf::from("/x"),
            entries: BTreeMap::from([(Vec::new(), root), (b"null".to_vec(), dev)]),
            anomalies: Vec::new(),
        }
    }

    #[test]
    fn device_numbers_and_special_kinds_are_compared() {
        let (chr, blk) = (Kind::Other(libc::S_IFCHR), Kind::Other(libc::S_IFBLK));
        let opts = CompareOptions::default();
        assert!(compare(&tree(chr, 0x103), &tree(chr, 0x103), &opts).is_empty());
        assert_eq!(
            compare(&tree(chr, 0x103), &tree(chr, 0x104), &opts),
            ["/null: device number: expected 0x103, got 0x104"]
        );
        assert_eq!(
            compare(&tree(chr, 0x103), &tree(blk, 0x103), &opts).len(),
            1
        );
    }
}
