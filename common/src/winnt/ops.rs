//! The decisions of the write half that do not need WinFsp: which bytes a write touches, what
//! a SetFileSize or SetBasicInfo request changes, how create options are read.

use std::time::SystemTime;

use super::info::{FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_NORMAL, INVALID_FILE_ATTRIBUTES};
use super::time::requested_change;
use crate::vfs::SetAttr;

/// CreateOptions: the object to create or open is a directory.
pub const FILE_DIRECTORY_FILE: u32 = 0x0000_0001;
/// GrantedAccess bits that need the data opened for writing.
pub const FILE_WRITE_ACCESS: u32 = 0x0002 | 0x0004; // FILE_WRITE_DATA | FILE_APPEND_DATA
/// Cleanup flag: the file is to be deleted (its delete disposition was set).
pub const CLEANUP_DELETE: u32 = 0x01;

/// Where a write lands: `(offset, length)`, given the file's `size` and the request. A write
/// to end of file appends; constrained I/O (the cache manager writing back pages) never
/// extends the file. `None` when nothing is to be written.
pub fn write_range(
    size: u64,
    offset: u64,
    len: usize,
    write_to_eof: bool,
    constrained_io: bool,
) -> Option<(u64, usize)> {
    let offset = if write_to_eof { size } else { offset };
    let len = if constrained_io {
        let room = size.checked_sub(offset).filter(|&r| r > 0)?;
        len.min(usize::try_from(room).unwrap_or(usize::MAX))
    } else {
        len
    };
    offset.checked_add(len as u64)?;
    (len > 0).then_some((offset, len))
}

/// The new size a SetFileSize request asks for: the end of file, or for an allocation size,
/// a truncation only when it is below the current size (we do not preallocate).
pub fn size_change(current: u64, requested: u64, allocation: bool) -> Option<u64> {
    if allocation {
        (requested < current).then_some(requested)
    } else {
        (requested != current).then_some(requested)
    }
}

/// The attribute changes of a SetBasicInfo request (FILETIMEs; 0 and -1 leave a time alone).
pub fn basic_info_change(last_access: u64, last_write: u64) -> Option<SetAttr> {
    let atime: Option<SystemTime> = requested_change(last_access);
    let mtime = requested_change(last_write);
    (atime.is_some() || mtime.is_some()).then(|| SetAttr {
        atime,
        mtime,
        ..SetAttr::default()
    })
}

/// The FILE_ATTRIBUTE_* bits to store for a request's `requested` bits, `None` to leave them:
/// `INVALID_FILE_ATTRIBUTES` and 0 mean "unchanged"; DIRECTORY and NORMAL are not stored.
pub fn attributes_change(current: u32, requested: u32) -> Option<u32> {
    if requested == INVALID_FILE_ATTRIBUTES || requested == 0 {
        return None;
    }
    let keep = current & FILE_ATTRIBUTE_DIRECTORY;
    let new = (requested & !(FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_NORMAL)) | keep;
    (new != current & !FILE_ATTRIBUTE_NORMAL).then_some(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winnt::time::UNIX_EPOCH_FILETIME;

    #[test]
    fn writes_append_or_stay_inside_the_file_when_constrained() {
        assert_eq!(write_range(100, 10, 5, false, false), Some((10, 5)));
        assert_eq!(write_range(100, 10, 5, true, false), Some((100, 5)));
        assert_eq!(write_range(100, 98, 5, false, true), Some((98, 2)));
        assert_eq!(write_range(100, 100, 5, false, true), None);
        assert_eq!(write_range(100, 200, 5, false, false), Some((200, 5)));
        assert_eq!(write_range(100, 0, 0, false, false), None);
        assert_eq!(write_range(0, u64::MAX, 5, false, false), None);
    }

    #[test]
    fn file_size_requests() {
        assert_eq!(size_change(100, 50, false), Some(50));
        assert_eq!(size_change(100, 200, false), Some(200));
        assert_eq!(size_change(100, 100, false), None);
        assert_eq!(size_change(100, 4096, true), None); // preallocation: ignored
        assert_eq!(size_change(100, 0, true), Some(0));
    }

    #[test]
    fn basic_info_requests() {
        assert_eq!(basic_info_change(0, u64::MAX), None);
        let change = basic_info_change(0, UNIX_EPOCH_FILETIME);
        assert_eq!(change.and_then(|c| c.mtime), Some(std::time::UNIX_EPOCH));
        assert_eq!(attributes_change(0x20, INVALID_FILE_ATTRIBUTES), None);
        assert_eq!(attributes_change(0x20, 0), None);
        assert_eq!(attributes_change(0x20, 0x20), None);
        assert_eq!(attributes_change(0x20, 0x80), Some(0)); // NORMAL: clear the others
        assert_eq!(attributes_change(0x10, 0x01 | 0x80), Some(0x11));
        assert_eq!(attributes_change(0x20, 0x12), Some(0x02)); // cannot become a directory
    }
}
