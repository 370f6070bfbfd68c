//! The filesystem view of one WIM image ([`common::vfs::Vfs`]): read-only, or read-write with
//! changes staged on local disk until they are committed or discarded.

mod attr;
mod content;
mod create;
pub mod journal;
mod mounted_image;
mod read;
mod remove_rename;
mod replay;
mod seqhash;
mod staging_info;
mod symlink;
mod write_data;
mod xattr;

pub use crate::staging::{in_use, Staging};
pub use attr::{filetime_to_system, now_filetime};
pub use mounted_image::{WimFs, WimFsOptions};
pub use staging_info::{fingerprint, StagingInfo};
