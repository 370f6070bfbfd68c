//! Thin adapters from the [`crate::vfs::Vfs`] trait to a kernel interface.

#[cfg(feature = "fuse")]
pub mod fuse;
