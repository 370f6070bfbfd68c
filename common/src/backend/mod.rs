//! Thin adapters from the [`crate::vfs::Vfs`] trait to a kernel interface.

#[cfg(all(unix, feature = "fuse"))]
pub mod fuse;
#[cfg(all(windows, feature = "winfsp"))]
pub mod winfsp;
