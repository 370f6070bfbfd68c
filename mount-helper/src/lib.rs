//! What the `wimfs` and `isofs` command-line tools share: mounting a [`common::vfs::Vfs`] as a
//! daemon that reports readiness to its parent, mount-point checks, unmounting, logging setup.

pub mod control;
pub mod daemon;
pub mod extract;
pub mod logging;
pub mod mountpoint;
pub mod nested;
pub mod refs;
pub mod staging_state;
pub mod wim_rw;
#[cfg(windows)]
mod win_daemon;

pub use daemon::{run_mount, run_mount_with, MountRequest, Unmounter};
