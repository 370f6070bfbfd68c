//! Walking a directory tree (an `apply` output or a mount) into a [`Manifest`]: for every path its
//! type, size, content hash (or the errno reading it failed with), symlink target, mode, owner,
//! inode identity (for hard-link groups) and xattrs.
//!
//! The walker never follows symlinks, reads directories with readdir(3) itself (so that it sees a
//! served `.` / `..` / duplicate name, which `std::fs::read_dir` would hide) and records anything
//! odd as an anomaly instead of stopping: a broken mount shows all its problems at once.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

pub use crate::manifest::{
    errno_name, show_path, Content, Entry, Kind, Manifest, Xattrs, ROOT_PLACEHOLDER,
};
use crate::raw_reads::{errno_of, read_content, read_dir_raw, RawDirent};
pub use crate::raw_reads::{read_xattr, read_xattrs};

/// What to collect.
#[derive(Debug, Clone, Copy)]
pub struct WalkOptions {
    /// Read every regular file to the end and hash it.
    pub content: bool,
    /// List and read xattrs of every path.
    pub xattrs: bool,
    /// Stop descending below this depth (an endless tree must not make the walk endless).
    pub max_depth: usize,
    /// Stop after this many entries.
    pub max_entries: usize,
    /// Report readdir records whose d_type / d_ino disagree with lstat.
    pub check_dirents: bool,
    /// Paths (relative to the root) left out, with everything below them.
    pub skip: Option<fn(&Path) -> bool>,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            content: true,
            xattrs: true,
            max_depth: 400,
            max_entries: 1_000_000,
            check_dirents: true,
            skip: None,
        }
    }
}

fn normalize_target(target: &[u8], root: &Path) -> Vec<u8> {
    let root = root.as_os_str().as_bytes();
    if target.starts_with(root) && (target.len() == root.len() || target[root.len()] == b'/') {
        let mut out = ROOT_PLACEHOLDER.as_bytes().to_vec();
        out.extend_from_slice(&target[root.len()..]);
        out
    } else {
        target.to_vec()
    }
}

fn stat_entry(path: &Path, root: &Path, opts: &WalkOptions) -> Entry {
    let md = match fs::symlink_metadata(path) {
        Ok(md) => md,
        Err(e) => return Entry::failed_stat(errno_of(&e)),
    };
    let kind = Kind::from_mode(md.mode());
    let mut e = Entry {
        stat_error: None,
        kind,
        size: md.size(),
        nlink: md.nlink(),
        perm: md.mode() & 0o7777,
        uid: md.uid(),
        gid: md.gid(),
        dev_ino: (md.dev(), md.ino()),
        rdev: md.rdev(),
        mtime: (md.mtime(), md.mtime_nsec()),
        atime: (md.atime(), md.atime_nsec()),
        content: None,
        target: None,
        raw_target_len: 0,
        xattrs: None,
        dir_error: None,
    };
    match kind {
        Kind::File if opts.content => e.content = Some(read_content(path)),
        Kind::Symlink => {
            e.target = Some(match fs::read_link(path) {
                Ok(t) => {
                    e.raw_target_len = t.as_os_str().len() as u64;
                    Ok(normalize_target(t.as_os_str().as_bytes(), root))
                }
                Err(err) => Err(errno_of(&err)),
            })
        }
        _ => {}
    }
    if opts.xattrs {
        e.xattrs = Some(read_xattrs(path));
    }
    e
}

/// Walks `root` (which must be a directory) into a manifest.
pub fn walk(root: &Path, opts: &WalkOptions) -> Manifest {
    walk_tracked(root, opts, &Mutex::new(Vec::new()))
}

fn walk_tracked(root: &Path, opts: &WalkOptions, current: &Mutex<Vec<u8>>) -> Manifest {
    let root = root.to_path_buf();
    let mut m = Manifest {
        root: root.clone(),
        entries: BTreeMap::new(),
        anomalies: Vec::new(),
    };
    let root_entry = stat_entry(&root, &root, opts);
    if root_entry.kind != Kind::Dir {
        m.anomalies.push(format!(
            "the root {} is not a directory: {root_entry:?}",
            root.display()
        ));
    }
    let mut seen_dirs: HashMap<(u64, u64), Vec<u8>> = HashMap::new();
    seen_dirs.insert(root_entry.dev_ino, Vec::new());
    m.entries.insert(Vec::new(), root_entry);
    let mut stack: Vec<(Vec<u8>, usize)> = vec![(Vec::new(), 0)];
    let mut stopped = false;
    while let Some((rel, depth)) = stack.pop() {
        if stopped {
            break;
        }
        let abs = if rel.is_empty() {
            root.clone()
        } else {
            root.join(OsStr::from_bytes(&rel))
        };
        if let Ok(mut cur) = current.lock() {
            *cur = rel.clone();
        }
        let records = match read_dir_raw(&abs) {
            Ok(records) => records,
            Err(errno) => {
                if let Some(e) = m.entries.get_mut(&rel) {
                    e.dir_error = Some(errno);
                }
                continue;
            }
        };
        let names: Vec<Vec<u8>> = records.iter().map(|r| r.name.clone()).collect();
        let dirent_of: HashMap<&[u8], &RawDirent> =
            records.iter().map(|r| (r.name.as_slice(), r)).collect();
        let dots = names.iter().filter(|n| n.as_slice() == b".").count();
        let dotdots = names.iter().filter(|n| n.as_slice() == b"..").count();
        if dots > 1 || dotdots > 1 {
            m.anomalies.push(format!(
                "{}: readdir returned \".\" {dots} times and \"..\" {dotdots} times \
                 (an entry named \".\" or \"..\" is served)",
                show_path(&rel)
            ));
        }
        let mut seen_names = HashMap::new();
        for name in &names {
            *seen_names.entry(name.clone()).or_insert(0usize) += 1;
        }
        for (name, n) in &seen_names {
            if *n > 1 && name.as_slice() != b"." && name.as_slice() != b".." {
                m.anomalies.push(format!(
                    "{}: readdir returned the name {:?} {n} times",
                    show_path(&rel),
                    String::from_utf8_lossy(name)
                ));
            }
            if name.is_empty() || name.contains(&b'/') {
                m.anomalies.push(format!(
                    "{}: readdir returned an invalid name {:?}",
                    show_path(&rel),
                    String::from_utf8_lossy(name)
                ));
            }
        }
        let mut unique: Vec<&Vec<u8>> = seen_names.keys().collect();
        unique.sort();
        for name in unique {
            if name.as_slice() == b"." || name.as_slice() == b".." || name.is_empty() {
                continue;
            }
            let child_rel = if rel.is_empty() {
                name.clone()
            } else {
                let mut r = rel.clone();
                r.push(b'/');
                r.extend_from_slice(name);
                r
            };
            if m.entries.len() >= opts.max_entries {
                m.anomalies.push(format!(
                    "stopped after {} entries (limit), at {}",
                    opts.max_entries,
                    show_path(&child_rel)
                ));
                stopped = true;
                break;
            }
            if opts
                .skip
                .is_some_and(|skip| skip(Path::new(OsStr::from_bytes(&child_rel))))
            {
                continue;
            }
            let child_abs = abs.join(OsStr::from_bytes(name));
            if let Ok(mut cur) = current.lock() {
                *cur = child_rel.clone();
            }
            let entry = stat_entry(&child_abs, &root, opts);
            if let (Some(d), None) = (dirent_of.get(name.as_slice()), entry.stat_error) {
                if opts.check_dirents {
                    check_dirent(&child_rel, d, &entry, &mut m.anomalies);
                }
            }
            if let Some(errno) = entry.stat_error {
                m.anomalies.push(format!(
                    "{}: listed by readdir but lstat fails: {}",
                    show_path(&child_rel),
                    errno_name(errno)
                ));
            }
            if entry.kind == Kind::Dir {
                if let Some(first) = seen_dirs.get(&entry.dev_ino) {
                    m.anomalies.push(format!(
                        "directory cycle: {} is the same directory (inode) as {}",
                        show_path(&child_rel),
                        show_path(first)
                    ));
                } else if depth + 1 > opts.max_depth {
                    m.anomalies.push(format!(
                        "{}: deeper than {} levels, not descending",
                        show_path(&child_rel),
                        opts.max_depth
                    ));
                } else {
                    seen_dirs.insert(entry.dev_ino, child_rel.clone());
                    stack.push((child_rel.clone(), depth + 1));
                }
            }
            m.entries.insert(child_rel, entry);
        }
    }
    m
}

/// readdir's d_type and d_ino must agree with lstat (`find`, `ls -i`, `du` and backup tools
/// trust them without an lstat).
fn check_dirent(rel: &[u8], d: &RawDirent, e: &Entry, anomalies: &mut Vec<String>) {
    let want = match e.kind {
        Kind::File => libc::DT_REG,
        Kind::Dir => libc::DT_DIR,
        Kind::Symlink => libc::DT_LNK,
        Kind::Other(_) => d.d_type,
    };
    if d.d_type != libc::DT_UNKNOWN && d.d_type != want {
        anomalies.push(format!(
            "{}: readdir d_type {} but lstat says {:?}",
            show_path(rel),
            d.d_type,
            e.kind
        ));
    }
    if d.d_ino != e.dev_ino.1 {
        anomalies.push(format!(
            "{}: readdir d_ino {} but lstat st_ino {}",
            show_path(rel),
            d.d_ino,
            e.dev_ino.1
        ));
    }
}

/// [`walk`] on a thread, giving up after `timeout`. On timeout `on_timeout` runs (e.g.
/// [`crate::Mount::kill_daemon`], so that the blocked walker gets ENOTCONN and ends) and the error
/// names the path the walker was at.
pub fn walk_with_timeout(
    root: &Path,
    opts: &WalkOptions,
    timeout: Duration,
    on_timeout: impl FnOnce(),
) -> Result<Manifest, String> {
    let (tx, rx) = mpsc::channel();
    let current = Arc::new(Mutex::new(Vec::new()));
    let root_owned = root.to_path_buf();
    let opts_owned = *opts;
    let current_w = Arc::clone(&current);
    let handle = thread::Builder::new()
        .name("tree-walk".into())
        .spawn(move || {
            let m = walk_tracked(&root_owned, &opts_owned, &current_w);
            let _ = tx.send(m);
        })
        .expect("spawn the walker thread");
    match rx.recv_timeout(timeout) {
        Ok(m) => {
            let _ = handle.join();
            Ok(m)
        }
        Err(_) => {
            let at = current
                .lock()
                .map(|c| show_path(&c))
                .unwrap_or_else(|_| "?".into());
            on_timeout();
            // Give the walker a moment to notice; never wait on it indefinitely.
            let _ = rx.recv_timeout(Duration::from_secs(10));
            Err(format!(
                "walking {} did not finish within {timeout:?}; it was at {at}",
                root.display()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_inside_the_root_are_normalized() {
        let root = Path::new("/tmp/x/mnt");
        assert_eq!(normalize_target(b"/tmp/x/mnt/a/b", root), b"<ROOT>/a/b");
        assert_eq!(normalize_target(b"/tmp/x/mnt", root), b"<ROOT>");
        assert_eq!(normalize_target(b"/tmp/x/mntx/a", root), b"/tmp/x/mntx/a");
        assert_eq!(normalize_target(b"rel/a", root), b"rel/a");
    }
}
