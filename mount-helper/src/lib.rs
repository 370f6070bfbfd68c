//! What the `wimfs` and `isofs` command-line tools share: mounting a [`common::vfs::Vfs`] as a
//! daemon that reports readiness to its parent, mount-point checks, unmounting, logging setup.

pub mod collection;
pub mod control;
pub mod daemon;
#[cfg(unix)]
pub mod daemon_lock;
pub mod extract;
pub mod helper_args;
pub mod live_commit;
pub mod logging;
pub mod manpages;
pub mod mount_request;
pub mod mountpoint;
pub mod open_files;
mod path_hash;
pub mod refs;
pub mod serving_args;
pub mod source;
pub mod spill_args;
pub mod split_parts;
pub mod staging_state;
pub mod web;
pub mod wim_inspect;
pub mod wim_lock;
pub mod wim_rw;
#[cfg(windows)]
mod win_daemon;

pub use daemon::{run_mount, run_mount_with, MountRequest, Unmounter};
