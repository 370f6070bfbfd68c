//! NTSTATUS values that are part of the file system protocol rather than failures of an
//! operation; errors become NTSTATUS only through [`crate::vfs::VfsError::ntstatus`].

/// A read starting at or past the end of the file.
pub const STATUS_END_OF_FILE: i32 = 0xC000_0011_u32 as i32;
/// The caller's buffer is too small for the whole answer (a warning: the size is reported).
pub const STATUS_BUFFER_OVERFLOW: i32 = 0x8000_0005_u32 as i32;
