//! The filesystem view of one WIM image ([`common::vfs::Vfs`]): read-only, or read-write with
//! changes staged on local disk until they are committed or discarded.

mod attr;
mod commit_pending;
mod content;
mod create;
pub mod journal;
mod journal_base;
mod listing_place;
mod live_commit;
mod mounted_image;
mod read;
mod remove_rename;
mod replay;
mod resume;
mod seqhash;
mod staging_info;
mod symlink;
mod write_data;
mod xattr;

pub use crate::staging::{in_use, Staging};
pub use attr::{filetime_to_system, now_filetime};
pub use live_commit::LiveCommitReport;
pub use mounted_image::{WimFs, WimFsOptions};
pub use resume::current_fingerprint;
pub use staging_info::{fingerprint, StagingInfo};
