//! POSIX attributes of an inode.

use common::vfs::{Attr, FileKind};

pub use crate::format::filetime::{filetime_to_system, now_filetime, system_to_filetime};
use crate::inode::{Inode, NodeKind};

/// The VFS kind of a node kind.
pub fn file_kind(kind: NodeKind) -> FileKind {
    match kind {
        NodeKind::File => FileKind::File,
        NodeKind::Directory => FileKind::Directory,
        NodeKind::Symlink => FileKind::Symlink,
    }
}

/// Builds the attributes; `link_len` is the symlink target's length (symlinks only),
/// `uid`/`gid` the owner shown when the image has no UNIX data.
pub fn make_attr(ino: u64, inode: &Inode, link_len: u64, uid: u32, gid: u32) -> Attr {
    let size = match inode.kind {
        NodeKind::File => inode.data.size(),
        NodeKind::Directory => 0,
        NodeKind::Symlink => link_len,
    };
    let (perm, uid, gid) = match inode.unix {
        Some(u) => ((u.mode & 0o7777) as u16, u.uid, u.gid),
        None => {
            let perm = match inode.kind {
                NodeKind::Directory => 0o755,
                NodeKind::Symlink => 0o777,
                NodeKind::File => 0o644,
            };
            (perm, uid, gid)
        }
    };
    // wimlib's UNIX data keeps device nodes, FIFOs and sockets as empty files with their
    // st_mode and st_rdev.
    let special = inode
        .unix
        .filter(|_| inode.kind == NodeKind::File && size == 0)
        .and_then(|u| FileKind::special_from_mode(u.mode).map(|k| (k, u.rdev)));
    let (kind, rdev) = match special {
        Some((k @ (FileKind::CharDevice | FileKind::BlockDevice), rdev)) => (k, rdev),
        Some((k, _)) => (k, 0),
        None => (file_kind(inode.kind), 0),
    };
    Attr {
        ino,
        kind,
        size,
        allocated: size,
        nlink: inode.nlink,
        perm,
        uid,
        gid,
        atime: filetime_to_system(inode.times[1]),
        mtime: filetime_to_system(inode.times[2]),
        ctime: filetime_to_system(inode.times[2]),
        crtime: filetime_to_system(inode.times[0]),
        dos_attributes: inode.attributes,
        rdev,
    }
}
