//! The filesystem view of one WIM image ([`common::vfs::Vfs`]): read-only, or read-write with
//! changes staged on local disk until they are committed or discarded.

mod attr;
mod content;
pub mod journal;
mod read;
mod replay;
mod seqhash;
mod staging;
mod symlink;
mod wimfs;
mod write;
mod xattr;

pub use attr::{filetime_to_system, now_filetime};
pub use replay::{fingerprint, StagingInfo};
pub use staging::{in_use, Staging};
pub use wimfs::{WimFs, WimFsOptions};
