//! The manifest of a walked tree: for every path its type, size, content hash (or the errno
//! reading it failed with), symlink target, mode, owner, inode identity (for hard-link groups)
//! and xattrs, plus the anomalies seen while walking. Built by [`crate::tree::walk`].

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

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
    pub(crate) fn from_mode(mode: u32) -> Kind {
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
    /// `st_rdev` (the device number of a device node).
    pub rdev: u64,
    /// `st_mtime`, `st_mtime_nsec`.
    pub mtime: (i64, i64),
    /// `st_atime`, `st_atime_nsec`, as lstat saw them before the walk read anything.
    pub atime: (i64, i64),
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
    pub(crate) fn failed_stat(errno: i32) -> Entry {
        Entry {
            stat_error: Some(errno),
            kind: Kind::Other(0),
            size: 0,
            nlink: 0,
            perm: 0,
            uid: 0,
            gid: 0,
            dev_ino: (0, 0),
            rdev: 0,
            mtime: (0, 0),
            atime: (0, 0),
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
    /// Groups of two or more non-directory paths with `st_nlink` > 1 that share `(st_dev,
    /// st_ino)`, each sorted, the list sorted: hard-link groups as a partition of paths,
    /// comparable between trees. (A path with `st_nlink` 1 is no hard link, whatever inode
    /// number a filesystem gives it; a wrong `st_nlink` is a difference of its own.)
    pub fn hard_link_groups(&self) -> Vec<Vec<Vec<u8>>> {
        let mut by_ino: HashMap<(u64, u64), Vec<Vec<u8>>> = HashMap::new();
        for (path, e) in &self.entries {
            if e.stat_error.is_none() && e.kind != Kind::Dir && e.nlink > 1 {
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
