//! What Windows is told about a file: FILE_ATTRIBUTE_* bits, times as FILETIMEs, sizes; the
//! names of the extended attributes under which a VFS serves Windows metadata.

use crate::vfs::{Attr, FileKind};

use super::time::to_filetime;

/// FILE_ATTRIBUTE_READONLY.
pub const FILE_ATTRIBUTE_READONLY: u32 = 0x0001;
/// FILE_ATTRIBUTE_HIDDEN.
pub const FILE_ATTRIBUTE_HIDDEN: u32 = 0x0002;
/// FILE_ATTRIBUTE_SYSTEM.
pub const FILE_ATTRIBUTE_SYSTEM: u32 = 0x0004;
/// FILE_ATTRIBUTE_DIRECTORY.
pub const FILE_ATTRIBUTE_DIRECTORY: u32 = 0x0010;
/// FILE_ATTRIBUTE_ARCHIVE.
pub const FILE_ATTRIBUTE_ARCHIVE: u32 = 0x0020;
/// FILE_ATTRIBUTE_NORMAL: only ever alone.
pub const FILE_ATTRIBUTE_NORMAL: u32 = 0x0080;
/// FILE_ATTRIBUTE_REPARSE_POINT.
pub const FILE_ATTRIBUTE_REPARSE_POINT: u32 = 0x0400;
/// INVALID_FILE_ATTRIBUTES: "leave unchanged" in a SetBasicInfo request.
pub const INVALID_FILE_ATTRIBUTES: u32 = u32::MAX;

/// The bits a file system may report (NTFS's FILE_ATTRIBUTE_VALID_FLAGS: no DEVICE, no volume
/// label bit, which a hostile image might set).
pub const VALID_FILE_ATTRIBUTES: u32 = 0x0000_7FB7;

/// The extended attribute holding a self-relative security descriptor.
pub const XATTR_SECURITY: &str = "system.ntfs_acl";
/// The extended attribute holding the full reparse buffer.
pub const XATTR_REPARSE: &str = "system.ntfs_reparse_data";
/// The extended attribute holding the 8.3 short name.
pub const XATTR_DOS_NAME: &str = "system.ntfs_dos_name";
/// The extended attribute holding FILE_ATTRIBUTE_* (u32 LE).
pub const XATTR_ATTRIBUTES: &str = "system.ntfs_attrib";
/// Named data streams are served as extended attributes with this prefix.
pub const STREAM_XATTR_PREFIX: &str = "user.";

/// A file's information in Windows terms (the fields of FSP_FSCTL_FILE_INFO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NtFileInfo {
    /// FILE_ATTRIBUTE_* bits.
    pub attributes: u32,
    /// The reparse tag when [`FILE_ATTRIBUTE_REPARSE_POINT`] is set.
    pub reparse_tag: u32,
    /// Bytes allocated.
    pub allocation_size: u64,
    /// End of file.
    pub file_size: u64,
    /// Creation time (FILETIME).
    pub creation_time: u64,
    /// Last access time (FILETIME).
    pub last_access_time: u64,
    /// Last write time (FILETIME).
    pub last_write_time: u64,
    /// Last change time (FILETIME).
    pub change_time: u64,
    /// File id: the inode number.
    pub index_number: u64,
}

impl NtFileInfo {
    /// The information of a named stream of `size` bytes of this file: a plain file (never a
    /// directory nor a reparse point) with the file's times and id.
    pub fn for_stream(self, size: u64) -> NtFileInfo {
        let mut attributes =
            self.attributes & !(FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT);
        if attributes == 0 {
            attributes = FILE_ATTRIBUTE_NORMAL;
        }
        NtFileInfo {
            attributes,
            reparse_tag: 0,
            allocation_size: size.div_ceil(4096).saturating_mul(4096),
            file_size: size,
            ..self
        }
    }
}

/// The FILE_ATTRIBUTE_* bits for `attr`: the image's own when it has them (filtered to valid
/// bits and made consistent with the file's kind), otherwise made up from the kind. `tag` is
/// the reparse tag of the file's reparse data, if it has any.
pub fn file_attributes(attr: &Attr, tag: Option<u32>) -> u32 {
    let mut bits = attr.dos_attributes & VALID_FILE_ATTRIBUTES;
    // Device nodes, FIFOs and sockets have no Windows counterpart: they show as empty files.
    let file_like = attr.kind == FileKind::File || attr.kind.is_special();
    if bits == 0 && file_like {
        bits = FILE_ATTRIBUTE_ARCHIVE;
    }
    match attr.kind {
        FileKind::Directory => bits |= FILE_ATTRIBUTE_DIRECTORY,
        FileKind::Symlink => {}
        _ => bits &= !FILE_ATTRIBUTE_DIRECTORY,
    }
    if tag.is_some() {
        bits |= FILE_ATTRIBUTE_REPARSE_POINT;
    } else {
        bits &= !FILE_ATTRIBUTE_REPARSE_POINT;
    }
    if bits & !FILE_ATTRIBUTE_NORMAL != 0 {
        bits &= !FILE_ATTRIBUTE_NORMAL;
    }
    if bits == 0 {
        bits = FILE_ATTRIBUTE_NORMAL;
    }
    bits
}

/// The Windows view of `attr`; `tag` as for [`file_attributes`].
pub fn nt_file_info(attr: &Attr, tag: Option<u32>) -> NtFileInfo {
    let is_dir = attr.kind == FileKind::Directory;
    // A symlink's POSIX size is its target's length; Windows sees an empty file.
    let size = if attr.kind == FileKind::File {
        attr.size
    } else {
        0
    };
    let allocation_size = if is_dir {
        0
    } else {
        attr.allocated.max(size).div_ceil(4096).saturating_mul(4096)
    };
    NtFileInfo {
        attributes: file_attributes(attr, tag),
        reparse_tag: tag.unwrap_or(0),
        allocation_size,
        file_size: size,
        creation_time: to_filetime(attr.crtime),
        last_access_time: to_filetime(attr.atime),
        last_write_time: to_filetime(attr.mtime),
        change_time: to_filetime(attr.ctime),
        index_number: attr.ino,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn attr(kind: FileKind, dos: u32) -> Attr {
        let t = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        Attr {
            ino: 7,
            kind,
            size: 5000,
            allocated: 5000,
            nlink: 1,
            perm: 0o644,
            uid: 0,
            gid: 0,
            atime: t,
            mtime: t,
            ctime: t,
            crtime: t,
            dos_attributes: dos,
            rdev: 0,
        }
    }

    #[test]
    fn attributes_follow_the_image_and_the_kind() {
        let hidden_system = FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM;
        assert_eq!(
            file_attributes(&attr(FileKind::File, hidden_system), None),
            hidden_system
        );
        assert_eq!(
            file_attributes(&attr(FileKind::File, 0), None),
            FILE_ATTRIBUTE_ARCHIVE
        );
        assert_eq!(
            file_attributes(&attr(FileKind::Directory, 0), None),
            FILE_ATTRIBUTE_DIRECTORY
        );
        // A lying image: DIRECTORY on a file, NORMAL mixed with others, invalid bits.
        let lie = FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_NORMAL | 0x40 | FILE_ATTRIBUTE_READONLY;
        assert_eq!(
            file_attributes(&attr(FileKind::File, lie), None),
            FILE_ATTRIBUTE_READONLY
        );
        // A junction keeps DIRECTORY and gains REPARSE_POINT from its tag.
        let junction = attr(FileKind::Symlink, FILE_ATTRIBUTE_DIRECTORY);
        assert_eq!(
            file_attributes(&junction, Some(0xA000_0003)),
            FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT
        );
        // REPARSE_POINT without reparse data is dropped.
        let stale = attr(FileKind::File, FILE_ATTRIBUTE_REPARSE_POINT);
        assert_eq!(file_attributes(&stale, None), FILE_ATTRIBUTE_NORMAL);
    }

    #[test]
    fn info_has_filetimes_sizes_and_the_inode() {
        let info = nt_file_info(&attr(FileKind::File, 0), None);
        assert_eq!(info.file_size, 5000);
        assert_eq!(info.allocation_size, 8192);
        assert_eq!(info.index_number, 7);
        assert_eq!(
            info.last_write_time,
            116_444_736_000_000_000 + 10_000_000_000_000_000
        );
        let link = nt_file_info(&attr(FileKind::Symlink, 0), Some(0xA000_000C));
        assert_eq!((link.file_size, link.reparse_tag), (0, 0xA000_000C));
        assert_eq!(
            nt_file_info(&attr(FileKind::Directory, 0), None).allocation_size,
            0
        );
    }
}
