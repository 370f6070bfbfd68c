//! The backend-neutral filesystem trait that every image type implements and every backend
//! (FUSE through fuser, WinFsp) drives.
//!
//! It speaks in inode numbers (root = [`ROOT_INO`]), owned names and plain structs: no FUSE or
//! WinFsp type appears here. The write half has default bodies that answer
//! [`VfsError::ReadOnly`], so a read-only image implements only the read half.
//!
//! Names handed out by [`Vfs::readdir`] are guaranteed by implementations to be non-empty,
//! not `.` or `..`, and free of `/` and NUL: an image can never make a path escape the mount.

use std::ffi::{OsStr, OsString};
use std::io;
use std::time::SystemTime;

/// The inode number of the root directory (FUSE's `FUSE_ROOT_ID`).
pub const ROOT_INO: u64 = 1;

/// What kind of object an inode is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link (POSIX view of symlink and junction reparse points).
    Symlink,
    /// A character device node (served for `stat` only: FUSE mounts are `nodev`).
    CharDevice,
    /// A block device node (likewise).
    BlockDevice,
    /// A named pipe.
    Fifo,
    /// A Unix domain socket.
    Socket,
}

impl FileKind {
    /// The special kind (device, FIFO, socket) named by the type bits of a POSIX `st_mode`
    /// (IEEE 1003.1 `S_IFCHR` 0o020000, `S_IFBLK` 0o060000, `S_IFIFO` 0o010000, `S_IFSOCK`
    /// 0o140000); `None` for files, directories, symlinks and unknown types.
    pub fn special_from_mode(mode: u32) -> Option<Self> {
        match mode & 0o170_000 {
            0o020_000 => Some(Self::CharDevice),
            0o060_000 => Some(Self::BlockDevice),
            0o010_000 => Some(Self::Fifo),
            0o140_000 => Some(Self::Socket),
            _ => None,
        }
    }

    /// True for device nodes, FIFOs and sockets (no data, shown for what they are).
    pub fn is_special(self) -> bool {
        matches!(
            self,
            Self::CharDevice | Self::BlockDevice | Self::Fifo | Self::Socket
        )
    }
}

/// A device number in Linux's 32-bit encoding (`new_encode_dev`, which FUSE's `rdev` carries
/// and glibc's `makedev` agrees with for these ranges): minor bits 0-7 and 20-31, major 8-19.
/// Parts that do not fit are truncated.
pub fn encode_dev(major: u32, minor: u32) -> u32 {
    (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12)
}

/// The attributes of an inode, in POSIX terms plus the Windows file attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// Inode number, shared by all hard links of one file.
    pub ino: u64,
    /// File, directory or symlink.
    pub kind: FileKind,
    /// Size in bytes (for symlinks: the target's length).
    pub size: u64,
    /// Bytes allocated on the medium, for `du`; the size rounded up to 512 when unknown.
    pub allocated: u64,
    /// Number of hard links.
    pub nlink: u32,
    /// Permission bits (`0o7777` at most).
    pub perm: u16,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Last access time.
    pub atime: SystemTime,
    /// Last data modification time.
    pub mtime: SystemTime,
    /// Last status change time.
    pub ctime: SystemTime,
    /// Creation time.
    pub crtime: SystemTime,
    /// Windows `FILE_ATTRIBUTE_*` bits, 0 when the format has none.
    pub dos_attributes: u32,
    /// The device number of a device node (see [`encode_dev`]), 0 otherwise.
    pub rdev: u32,
}

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The inode the entry names.
    pub ino: u64,
    /// Its kind.
    pub kind: FileKind,
    /// Its name: never empty, `.`, `..`, nor containing `/` or NUL.
    pub name: OsString,
}

/// What `open` tells the backend about the opened file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenInfo {
    /// A handle the implementation wants back on read/write/release (0 if unused).
    pub handle: u64,
    /// The file's data cannot change while mounted: the kernel may keep its page cache.
    pub immutable: bool,
}

/// A regular file of a directory's listing, for reading ahead across files
/// ([`crate::files_ahead`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedFile {
    /// Its position in the listing ([`Vfs::readdir`]'s offset of the entry).
    pub index: usize,
    /// Its inode.
    pub ino: u64,
    /// Its size in bytes.
    pub size: u64,
}

/// Filesystem-wide numbers for `statfs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatFs {
    /// Total size in `block_size` units.
    pub blocks: u64,
    /// Free blocks.
    pub free_blocks: u64,
    /// Number of inodes.
    pub files: u64,
    /// Free inodes.
    pub free_files: u64,
    /// Block size.
    pub block_size: u32,
    /// Longest name, in bytes.
    pub max_name_len: u32,
}

/// Errors a filesystem operation can answer; [`crate::errno`] maps them to errno and NTSTATUS.
#[derive(Debug, thiserror::Error)]
pub enum VfsError {
    /// No entry of that name, or no such inode.
    #[error("no such file or directory")]
    NotFound,
    /// A directory operation on a non-directory.
    #[error("not a directory")]
    NotADirectory,
    /// A file operation on a directory.
    #[error("is a directory")]
    IsADirectory,
    /// `readlink` on something that is not a symlink.
    #[error("not a symbolic link")]
    NotASymlink,
    /// `getxattr` of an attribute the inode does not have.
    #[error("no such extended attribute")]
    NoAttribute,
    /// The operation is not permitted on this object (e.g. a hard link to a directory).
    #[error("operation not permitted: {0}")]
    NotPermitted(String),
    /// A write on a read-only mount.
    #[error("read-only file system")]
    ReadOnly,
    /// The caller's arguments make no sense.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A name longer than the format allows.
    #[error("name too long")]
    NameTooLong,
    /// The target exists.
    #[error("file exists")]
    Exists,
    /// `rmdir` of a non-empty directory.
    #[error("directory not empty")]
    NotEmpty,
    /// A value too large for the interface (e.g. an xattr over 64 KiB).
    #[error("value too large: {0}")]
    TooBig(String),
    /// The object is in use.
    #[error("resource busy: {0}")]
    Busy(String),
    /// Out of space in the staging area.
    #[error("no space left: {0}")]
    NoSpace(String),
    /// The operation is not supported by this image type.
    #[error("operation not supported: {0}")]
    Unsupported(String),
    /// The image is damaged where this operation looked; the message names where.
    #[error("corrupt image: {0}")]
    Corrupt(String),
    /// An I/O error of the host system, with what we were doing.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The host's error.
        source: io::Error,
    },
}

/// The result type of VFS operations.
pub type VfsResult<T> = Result<T, VfsError>;

/// Which attributes `setattr` changes (write half).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetAttr {
    /// New permission bits.
    pub perm: Option<u16>,
    /// New owner.
    pub uid: Option<u32>,
    /// New group.
    pub gid: Option<u32>,
    /// New size (truncate or extend).
    pub size: Option<u64>,
    /// New access time.
    pub atime: Option<SystemTime>,
    /// New modification time.
    pub mtime: Option<SystemTime>,
}

/// A mounted image, as every backend sees it. `Send + Sync`: backends call it from many threads.
pub trait Vfs: Send + Sync + 'static {
    /// Looks `name` up in directory `parent`.
    fn lookup(&self, parent: u64, name: &OsStr) -> VfsResult<Attr>;

    /// The attributes of `ino`.
    fn getattr(&self, ino: u64) -> VfsResult<Attr>;

    /// Lists directory `ino` from position `offset` (0 = first entry; `.` and `..` are the
    /// backend's business). `fill(next_offset, entry)` returns true when the caller's buffer is
    /// full, which stops the listing; `next_offset` resumes after that entry.
    fn readdir(
        &self,
        ino: u64,
        offset: u64,
        fill: &mut dyn FnMut(u64, &DirEntry) -> bool,
    ) -> VfsResult<()>;

    /// Opens `ino` for reading (or writing, when `write`).
    fn open(&self, ino: u64, write: bool) -> VfsResult<OpenInfo>;

    /// Reads up to `buf.len()` bytes at `offset`; returns the count (0 at end of file).
    fn read(&self, ino: u64, handle: u64, offset: u64, buf: &mut [u8]) -> VfsResult<usize>;

    /// Releases a handle returned by `open`.
    fn release(&self, _ino: u64, _handle: u64) -> VfsResult<()> {
        Ok(())
    }

    /// The target of symlink `ino`, as POSIX path bytes.
    fn readlink(&self, ino: u64) -> VfsResult<Vec<u8>>;

    /// The names of `ino`'s extended attributes.
    fn listxattr(&self, ino: u64) -> VfsResult<Vec<OsString>>;

    /// The value of extended attribute `name` of `ino`.
    fn getxattr(&self, ino: u64, name: &OsStr) -> VfsResult<Vec<u8>>;

    /// Filesystem-wide numbers.
    fn statfs(&self) -> StatFs;

    /// True when no write operation can succeed.
    fn read_only(&self) -> bool {
        true
    }

    /// True when nothing about the mounted image can change and its files need no open state:
    /// `read(ino, 0, ..)` serves any regular file without an `open` (handle 0), `release` does
    /// nothing, and `getattr` is cheap enough to answer with every directory entry. Backends
    /// use it to skip round trips: the FUSE adapter then stops the kernel from sending
    /// OPEN/RELEASE/FLUSH and OPENDIR/RELEASEDIR, and lists directories with READDIRPLUS.
    /// Only meaningful for read-only mounts; `false` keeps every request.
    fn immutable_stateless(&self) -> bool {
        false
    }

    /// The kernel dropped `nlookup` references to `ino`.
    fn forget(&self, _ino: u64, _nlookup: u64) {}

    /// The filesystem is being unmounted, by whatever means (`umount`, `fusermount3 -u`, a
    /// signal, our own unmount).
    fn destroy(&self) {}

    /// How long a backend may cache `ino`'s attributes and the name that led to it; `None`
    /// leaves it to the backend (long for read-only mounts). Views of a live host directory
    /// answer short times so that new files appear.
    fn cache_ttl(&self, _ino: u64) -> Option<std::time::Duration> {
        None
    }

    /// Where regular file `ino` is listed: its directory and its position in that directory's
    /// listing (for a hard-linked file, one of its names). Used to read ahead across files
    /// ([`crate::files_ahead`]) on [`Self::immutable_stateless`] images; `None` (the default)
    /// turns that off.
    fn listing_place(&self, _ino: u64) -> Option<(u64, usize)> {
        None
    }

    /// The regular files of directory `dir`'s listing at positions `from..to`, in listing
    /// order.
    fn listed_files(&self, _dir: u64, _from: usize, _to: usize) -> Vec<ListedFile> {
        Vec::new()
    }

    // ---- the write half (read-write mounts) ----

    /// Changes attributes of `ino`.
    fn setattr(&self, _ino: u64, _changes: &SetAttr) -> VfsResult<Attr> {
        Err(VfsError::ReadOnly)
    }
    /// Creates and opens a regular file.
    fn create(&self, _parent: u64, _name: &OsStr, _perm: u16) -> VfsResult<(Attr, OpenInfo)> {
        Err(VfsError::ReadOnly)
    }
    /// Creates a directory.
    fn mkdir(&self, _parent: u64, _name: &OsStr, _perm: u16) -> VfsResult<Attr> {
        Err(VfsError::ReadOnly)
    }
    /// Creates a symlink.
    fn symlink(&self, _parent: u64, _name: &OsStr, _target: &[u8]) -> VfsResult<Attr> {
        Err(VfsError::ReadOnly)
    }
    /// Adds a hard link to `ino`.
    fn link(&self, _ino: u64, _parent: u64, _name: &OsStr) -> VfsResult<Attr> {
        Err(VfsError::ReadOnly)
    }
    /// Removes a non-directory entry.
    fn unlink(&self, _parent: u64, _name: &OsStr) -> VfsResult<()> {
        Err(VfsError::ReadOnly)
    }
    /// Removes an empty directory.
    fn rmdir(&self, _parent: u64, _name: &OsStr) -> VfsResult<()> {
        Err(VfsError::ReadOnly)
    }
    /// Renames an entry, replacing the target if it exists (and `no_replace` is false).
    fn rename(
        &self,
        _parent: u64,
        _name: &OsStr,
        _new_parent: u64,
        _new_name: &OsStr,
        _no_replace: bool,
    ) -> VfsResult<()> {
        Err(VfsError::ReadOnly)
    }
    /// Writes `data` at `offset`; returns the count written.
    fn write(&self, _ino: u64, _handle: u64, _offset: u64, _data: &[u8]) -> VfsResult<usize> {
        Err(VfsError::ReadOnly)
    }
    /// Makes written data durable.
    fn fsync(&self, _ino: u64, _handle: u64) -> VfsResult<()> {
        Ok(())
    }
    /// Sets an extended attribute.
    fn setxattr(&self, _ino: u64, _name: &OsStr, _value: &[u8]) -> VfsResult<()> {
        Err(VfsError::ReadOnly)
    }
    /// Removes an extended attribute.
    fn removexattr(&self, _ino: u64, _name: &OsStr) -> VfsResult<()> {
        Err(VfsError::ReadOnly)
    }
}

/// True if `name` may be served as a directory entry name (see the module docs).
pub fn is_safe_name(name: &[u8]) -> bool {
    !name.is_empty() && name != b"." && name != b".." && !name.iter().any(|&b| b == b'/' || b == 0)
}

#[cfg(test)]
mod tests {
    use super::is_safe_name;

    #[test]
    fn unsafe_names_are_refused() {
        for bad in [&b""[..], b".", b"..", b"a/b", b"/", b"nul\0"] {
            assert!(!is_safe_name(bad), "{bad:?}");
        }
        for good in [&b"a"[..], b"...", b".hidden", b"caf\xc3\xa9"] {
            assert!(is_safe_name(good), "{good:?}");
        }
    }
}
