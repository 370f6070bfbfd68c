//! POSIX attributes of an inode, and FILETIME conversions.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::vfs::{Attr, FileKind};

use crate::model::{Inode, NodeKind};

/// 100 ns intervals between 1601-01-01 and 1970-01-01.
const EPOCH_DIFF: u64 = 116_444_736_000_000_000;

/// Converts a FILETIME (100 ns units since 1601) to a SystemTime.
pub fn filetime_to_system(ft: u64) -> SystemTime {
    if ft >= EPOCH_DIFF {
        let d = ft - EPOCH_DIFF;
        UNIX_EPOCH + Duration::new(d / 10_000_000, (d % 10_000_000) as u32 * 100)
    } else {
        let d = EPOCH_DIFF - ft;
        UNIX_EPOCH
            .checked_sub(Duration::new(d / 10_000_000, (d % 10_000_000) as u32 * 100))
            .unwrap_or(UNIX_EPOCH)
    }
}

/// Converts a SystemTime to a FILETIME (clamped to the representable range).
pub fn system_to_filetime(t: SystemTime) -> u64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => EPOCH_DIFF
            .saturating_add(d.as_secs().saturating_mul(10_000_000))
            .saturating_add(u64::from(d.subsec_nanos() / 100)),
        Err(e) => {
            let d = e.duration();
            EPOCH_DIFF.saturating_sub(
                d.as_secs().saturating_mul(10_000_000) + u64::from(d.subsec_nanos() / 100),
            )
        }
    }
}

/// The current time as a FILETIME.
pub fn now_filetime() -> u64 {
    system_to_filetime(SystemTime::now())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetimes_round_trip() {
        for ft in [
            0u64,
            EPOCH_DIFF,
            EPOCH_DIFF + 12_345_678_901,
            133_000_000_000_000_000,
        ] {
            assert_eq!(system_to_filetime(filetime_to_system(ft)), ft);
        }
    }
}
