//! Walking a directory tree (an `apply` output or a mount) into a [`Manifest`]: for every path its
//! type, size, content hash (or the errno reading it failed with), symlink target, mode, owner,
//! inode identity (for hard-link groups) and xattrs.
//!
//! The walker never follows symlinks, reads directories with readdir(3) itself (so that it sees a
//! served `.` / `..` / duplicate name, which `std::fs::read_dir` would hide) and records anything
//! odd as an anomaly instead of stopping: a broken mount shows all its problems at once.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{CStr, CString, OsStr};
use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use sha1::{Digest, Sha1};

/// Placeholder that replaces the walked root in absolute symlink targets, so that the targets
/// of an `apply` directory and of a mount point compare equal (wimlib re-anchors absolute links
/// that pointed inside the captured tree: "reparse point fixups").
pub const ROOT_PLACEHOLDER: &str = "<ROOT>";

/// What kind of object a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link.
    Symlink,
    /// Anything else (the `S_IFMT` bits).
    Other(u32),
}

impl Kind {
    fn from_mode(mode: u32) -> Kind {
        match mode & libc::S_IFMT {
            libc::S_IFREG => Kind::File,
            libc::S_IFDIR => Kind::Dir,
            libc::S_IFLNK => Kind::Symlink,
            other => Kind::Other(other),
        }
    }
}

/// The result of reading a whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Read to the end.
    Data {
        /// SHA-1 of everything read.
        sha1: [u8; 20],
        /// Bytes read.
        len: u64,
    },
    /// open or read failed.
    Error {
        /// The errno.
        errno: i32,
        /// Bytes read successfully before the failure.
        after: u64,
    },
}

/// Xattrs of one path: name -> value (or the errno getxattr failed with).
pub type Xattrs = BTreeMap<Vec<u8>, Result<Vec<u8>, i32>>;

/// Everything recorded about one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// lstat failed with this errno (the other fields are then zero).
    pub stat_error: Option<i32>,
    /// Its kind.
    pub kind: Kind,
    /// `st_size`.
    pub size: u64,
    /// `st_nlink`.
    pub nlink: u64,
    /// Permission bits (`st_mode & 07777`).
    pub perm: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// `(st_dev, st_ino)`: paths sharing it are hard links of one file.
    pub dev_ino: (u64, u64),
    /// `st_mtime`, `st_mtime_nsec`.
    pub mtime: (i64, i64),
    /// For files, when contents were read.
    pub content: Option<Content>,
    /// For symlinks: the target, with the walked root replaced by [`ROOT_PLACEHOLDER`];
    /// `Err(errno)` if readlink failed.
    pub target: Option<Result<Vec<u8>, i32>>,
    /// For symlinks: the length of the target as readlink returned it (before normalizing).
    pub raw_target_len: u64,
    /// When xattrs were collected: the list, or the errno listxattr failed with.
    pub xattrs: Option<Result<Xattrs, i32>>,
    /// For directories: opendir/readdir failed with this errno.
    pub dir_error: Option<i32>,
}

impl Entry {
    fn failed_stat(errno: i32) -> Entry {
        Entry {
            stat_error: Some(errno),
            kind: Kind::Other(0),
            size: 0,
            nlink: 0,
            perm: 0,
            uid: 0,
            gid: 0,
            dev_ino: (0, 0),
            mtime: (0, 0),
            content: None,
            target: None,
            raw_target_len: 0,
            xattrs: None,
            dir_error: None,
        }
    }
}

/// A walked tree: entries keyed by path relative to the root (`b""` is the root itself).
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The walked directory.
    pub root: PathBuf,
    /// Path (relative, bytes) -> entry.
    pub entries: BTreeMap<Vec<u8>, Entry>,
    /// Odd things seen while walking: `.`/`..` served as names, duplicate names, cycles, errors.
    pub anomalies: Vec<String>,
}

impl Manifest {
    /// Groups of two or more non-directory paths that share `(st_dev, st_ino)`, each sorted, the
    /// list sorted: hard-link groups as a partition of paths, comparable between trees.
    pub fn hard_link_groups(&self) -> Vec<Vec<Vec<u8>>> {
        let mut by_ino: HashMap<(u64, u64), Vec<Vec<u8>>> = HashMap::new();
        for (path, e) in &self.entries {
            if e.stat_error.is_none() && e.kind != Kind::Dir {
                by_ino.entry(e.dev_ino).or_default().push(path.clone());
            }
        }
        let mut groups: Vec<Vec<Vec<u8>>> = by_ino
            .into_values()
            .filter(|g| g.len() > 1)
            .map(|mut g| {
                g.sort();
                g
            })
            .collect();
        groups.sort();
        groups
    }

    /// Number of entries of each kind: (files, dirs, symlinks, other).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut c = (0, 0, 0, 0);
        for e in self.entries.values() {
            match e.kind {
                Kind::File => c.0 += 1,
                Kind::Dir => c.1 += 1,
                Kind::Symlink => c.2 += 1,
                Kind::Other(_) => c.3 += 1,
            }
        }
        c
    }

    /// Paths whose content could not be read, with the errno.
    pub fn read_errors(&self) -> Vec<(Vec<u8>, i32)> {
        self.entries
            .iter()
            .filter_map(|(p, e)| match e.content {
                Some(Content::Error { errno, .. }) => Some((p.clone(), errno)),
                _ => None,
            })
            .collect()
    }
}

/// Shows a relative path key as an absolute-looking path (`/` for the root).
pub fn show_path(rel: &[u8]) -> String {
    format!("/{}", String::from_utf8_lossy(rel))
}

/// What to collect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            content: true,
            xattrs: true,
            max_depth: 400,
            max_entries: 1_000_000,
            check_dirents: true,
        }
    }
}

fn errno_of(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn cstring(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).expect("paths from readdir contain no NUL")
}

/// One readdir(3) record.
struct RawDirent {
    name: Vec<u8>,
    d_ino: u64,
    d_type: u8,
}

/// The records readdir(3) returns for `dir`, in order, including `.` and `..`.
fn read_dir_raw(dir: &Path) -> Result<Vec<RawDirent>, i32> {
    let c = cstring(dir);
    // SAFETY: opendir with a valid NUL-terminated path; the handle is closed below.
    let handle = unsafe { libc::opendir(c.as_ptr()) };
    if handle.is_null() {
        return Err(last_errno());
    }
    let mut names = Vec::new();
    let result = loop {
        // readdir signals errors only through errno, so clear it first.
        // SAFETY: __errno_location is this thread's errno.
        unsafe { *libc::__errno_location() = 0 };
        // SAFETY: handle is a live DIR*.
        let ent = unsafe { libc::readdir(handle) };
        if ent.is_null() {
            let errno = last_errno();
            break if errno == 0 { Ok(()) } else { Err(errno) };
        }
        // SAFETY: d_name of a dirent returned by readdir is NUL-terminated.
        let name = unsafe { CStr::from_ptr((*ent).d_name.as_ptr()) };
        // SAFETY: ent is the live record readdir just returned.
        let (d_ino, d_type) = unsafe { ((*ent).d_ino, (*ent).d_type) };
        names.push(RawDirent {
            name: name.to_bytes().to_vec(),
            d_ino,
            d_type,
        });
    };
    // SAFETY: closing the DIR* opened above, once.
    unsafe { libc::closedir(handle) };
    result.map(|()| names)
}

/// Reads a whole file (never following a symlink) into a hash.
fn read_content(path: &Path) -> Content {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) => {
            return Content::Error {
                errno: errno_of(&e),
                after: 0,
            }
        }
    };
    let mut hasher = Sha1::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                len += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Content::Error {
                    errno: errno_of(&e),
                    after: len,
                }
            }
        }
    }
    Content::Data {
        sha1: hasher.finalize().into(),
        len,
    }
}

/// llistxattr + lgetxattr of every name. EOPNOTSUPP counts as "no xattrs".
pub fn read_xattrs(path: &Path) -> Result<Xattrs, i32> {
    let c = cstring(path);
    let mut list = Vec::new();
    loop {
        // SAFETY: size query with a null buffer.
        let size = unsafe { libc::llistxattr(c.as_ptr(), std::ptr::null_mut(), 0) };
        if size < 0 {
            let errno = last_errno();
            return if errno == libc::EOPNOTSUPP {
                Ok(Xattrs::new())
            } else {
                Err(errno)
            };
        }
        list.resize(size as usize, 0);
        // SAFETY: the buffer has `list.len()` writable bytes.
        let got = unsafe { libc::llistxattr(c.as_ptr(), list.as_mut_ptr().cast(), list.len()) };
        if got < 0 {
            if last_errno() == libc::ERANGE {
                continue; // grew in between
            }
            return Err(last_errno());
        }
        list.truncate(got as usize);
        break;
    }
    let mut out = Xattrs::new();
    for name in list.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let cname = CString::new(name).expect("xattr names have no NUL");
        out.insert(name.to_vec(), get_xattr(&c, &cname));
    }
    Ok(out)
}

fn get_xattr(path: &CStr, name: &CStr) -> Result<Vec<u8>, i32> {
    loop {
        // SAFETY: size query with a null buffer.
        let size =
            unsafe { libc::lgetxattr(path.as_ptr(), name.as_ptr(), std::ptr::null_mut(), 0) };
        if size < 0 {
            return Err(last_errno());
        }
        let mut value = vec![0u8; size as usize];
        // SAFETY: the buffer has `value.len()` writable bytes.
        let got = unsafe {
            libc::lgetxattr(
                path.as_ptr(),
                name.as_ptr(),
                value.as_mut_ptr().cast(),
                value.len(),
            )
        };
        if got < 0 {
            if last_errno() == libc::ERANGE {
                continue;
            }
            return Err(last_errno());
        }
        value.truncate(got as usize);
        return Ok(value);
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
        mtime: (md.mtime(), md.mtime_nsec()),
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

/// `EIO` etc. for an errno value.
pub fn errno_name(errno: i32) -> String {
    let name = match errno {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EIO => "EIO",
        libc::E2BIG => "E2BIG",
        libc::EBADF => "EBADF",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::EFBIG => "EFBIG",
        libc::ENOSPC => "ENOSPC",
        libc::EROFS => "EROFS",
        libc::ERANGE => "ERANGE",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::ENOSYS => "ENOSYS",
        libc::ELOOP => "ELOOP",
        libc::ENODATA => "ENODATA",
        libc::EOVERFLOW => "EOVERFLOW",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::ENOTCONN => "ENOTCONN",
        libc::ECONNABORTED => "ECONNABORTED",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::EUCLEAN => "EUCLEAN",
        libc::EBADMSG => "EBADMSG",
        libc::EILSEQ => "EILSEQ",
        _ => return format!("errno {errno}"),
    };
    name.to_string()
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
