//! `isofs mount --all DIR`: every ISO image below a host directory (a Ventoy stick) as a
//! directory of one mount, each image opened on first use and closed when idle; optionally the
//! images of every WIM inside them as `install.wim.d/<index>/`.

mod fs;
mod host;
mod idle;
mod inodes;
mod slots;
mod vfs_impl;

pub use fs::{CollectionFs, CollectionOptions, ERROR_XATTR};
