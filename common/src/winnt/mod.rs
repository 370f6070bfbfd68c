//! The Windows view of an image, independent of WinFsp: everything the WinFsp adapter
//! ([`crate::backend`]) needs that can be computed, and so unit-tested, on any host.
//!
//! - [`mount`]: mount points (drive letter or directory), unmount event names, labels.
//! - [`names`]: case folding (NTFS-like upcase), `\` paths, `file:stream:$DATA` names.
//! - [`time`]: FILETIME and [`std::time::SystemTime`].
//! - [`security`]: self-relative security descriptors (checking, the default one).
//! - [`reparse`]: reparse tags, symlink reparse buffers made from POSIX targets.
//! - [`info`]: FILE_ATTRIBUTE_* bits and FSP_FSCTL_FILE_INFO-like file information.
//! - [`resolve`]: case-insensitive path resolution over a [`crate::vfs::Vfs`], and the
//!   security descriptor, reparse data and named streams a VFS serves as extended attributes.
//! - [`ops`]: the write half's decisions (write ranges, size and attribute changes).
//! - [`status`]: the few NTSTATUS values that are protocol answers rather than errors.

pub mod info;
pub mod mount;
pub mod names;
pub mod ops;
pub mod reparse;
pub mod resolve;
pub mod security;
pub mod status;
pub mod time;
