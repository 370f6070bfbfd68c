//! The one place where [`VfsError`] becomes an errno value (FUSE) or an NTSTATUS (WinFsp).

use crate::vfs::VfsError;

impl VfsError {
    /// The errno a POSIX backend answers with.
    pub fn errno(&self) -> i32 {
        match self {
            VfsError::NotFound => libc::ENOENT,
            VfsError::NotADirectory => libc::ENOTDIR,
            VfsError::IsADirectory => libc::EISDIR,
            VfsError::NotASymlink => libc::EINVAL,
            VfsError::NoAttribute => libc::ENODATA,
            VfsError::NotPermitted(_) => libc::EPERM,
            VfsError::ReadOnly => libc::EROFS,
            VfsError::InvalidArgument(_) => libc::EINVAL,
            VfsError::NameTooLong => libc::ENAMETOOLONG,
            VfsError::Exists => libc::EEXIST,
            VfsError::NotEmpty => libc::ENOTEMPTY,
            VfsError::TooBig(_) => libc::E2BIG,
            VfsError::Busy(_) => libc::EBUSY,
            VfsError::NoSpace(_) => libc::ENOSPC,
            VfsError::Unsupported(_) => libc::EOPNOTSUPP,
            VfsError::Corrupt(_) => libc::EIO,
            VfsError::Io { source, .. } => source.raw_os_error().unwrap_or(libc::EIO),
        }
    }

    /// The NTSTATUS a Windows backend answers with (values from ntstatus.h).
    pub fn ntstatus(&self) -> i32 {
        // The constants are u32 bit patterns; NTSTATUS is signed.
        let status: u32 = match self {
            VfsError::NotFound => 0xC000_0034, // STATUS_OBJECT_NAME_NOT_FOUND
            VfsError::NotADirectory => 0xC000_0103, // STATUS_NOT_A_DIRECTORY
            VfsError::IsADirectory => 0xC000_00BA, // STATUS_FILE_IS_A_DIRECTORY
            VfsError::NotASymlink => 0xC000_0275, // STATUS_NOT_A_REPARSE_POINT
            VfsError::NoAttribute => 0xC000_0034, // STATUS_OBJECT_NAME_NOT_FOUND
            VfsError::NotPermitted(_) => 0xC000_0022, // STATUS_ACCESS_DENIED
            VfsError::ReadOnly => 0xC000_00A2, // STATUS_MEDIA_WRITE_PROTECTED
            VfsError::InvalidArgument(_) => 0xC000_000D, // STATUS_INVALID_PARAMETER
            VfsError::NameTooLong => 0xC000_0106, // STATUS_NAME_TOO_LONG
            VfsError::Exists => 0xC000_0035,   // STATUS_OBJECT_NAME_COLLISION
            VfsError::NotEmpty => 0xC000_0101, // STATUS_DIRECTORY_NOT_EMPTY
            VfsError::TooBig(_) => 0xC000_0023, // STATUS_BUFFER_TOO_SMALL
            VfsError::Busy(_) => 0xC000_0043,  // STATUS_SHARING_VIOLATION
            VfsError::NoSpace(_) => 0xC000_007F, // STATUS_DISK_FULL
            VfsError::Unsupported(_) => 0xC000_00BB, // STATUS_NOT_SUPPORTED
            VfsError::Corrupt(_) => 0xC000_0032, // STATUS_DISK_CORRUPT_ERROR
            VfsError::Io { .. } => 0xC000_0185, // STATUS_IO_DEVICE_ERROR
        };
        status as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_data_is_eio_and_disk_corrupt() {
        let e = VfsError::Corrupt("chunk 3".into());
        assert_eq!(e.errno(), libc::EIO);
        assert_eq!(e.ntstatus() as u32, 0xC000_0032);
    }

    #[test]
    fn host_io_errors_keep_their_errno() {
        let e = VfsError::Io {
            context: "reading".into(),
            source: std::io::Error::from_raw_os_error(libc::ENOSPC),
        };
        assert_eq!(e.errno(), libc::ENOSPC);
    }
}
