//! What to mount where: the request both mount paths take (the forked daemon of
//! `daemon.rs` on Unix, WinFsp in `win_daemon.rs` on Windows).

use std::path::PathBuf;

use common::backend::fuse::FuseOptions;

/// What to mount where.
#[derive(Debug, Clone)]
pub struct MountRequest {
    /// The mount point.
    pub mountpoint: PathBuf,
    /// Stay attached to the terminal instead of daemonizing.
    pub foreground: bool,
    /// FUSE options.
    pub fuse: FuseOptions,
}
