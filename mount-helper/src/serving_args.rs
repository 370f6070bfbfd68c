//! `--allow-other` / `--no-files-ahead`: how a mount is served, the same for `wimfs mount` and
//! `isofs mount` (flattened into both, as [`crate::spill_args::SpillArgs`] is).

use clap::Args;

/// The serving options of a mount.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct ServingArgs {
    /// Let other users access the mount (needs user_allow_other in /etc/fuse.conf unless
    /// run by root); mounts are private to their owner otherwise.
    #[arg(long)]
    pub allow_other: bool,
    /// Do not hand files to the kernel ahead of a reader going through directories in
    /// listing order (read-only images; for comparisons).
    #[arg(long)]
    pub no_files_ahead: bool,
}

impl ServingArgs {
    /// Whether files are handed to the kernel ahead of the reader.
    pub fn files_ahead(&self) -> bool {
        !self.no_files_ahead
    }
}
