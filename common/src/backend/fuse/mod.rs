//! The fuser (FUSE) adapter: translates kernel requests into [`Vfs`] calls and nothing more.
//!
//! fuser 0.18 calls the `Filesystem` methods through `&self` from `n_threads` worker threads
//! (each with its own cloned `/dev/fuse` fd when `clone_fd` is set), so concurrent reads of
//! different files decode in parallel. Read-only mounts answer with long entry/attribute TTLs and
//! `FOPEN_KEEP_CACHE`, since an image's contents cannot change under the mount; images that
//! need no open state also skip OPEN/RELEASE/FLUSH and list directories with READDIRPLUS
//! (`adapter.rs`, `filesystem.rs`), so reading a small file through a tree costs one request. The root xattr
//! `fuse.request_counts` (`request_counts.rs`) tells how many requests of each kind came.

mod adapter;
mod convert;
mod filesystem;
mod listing;
mod push_ahead;
mod request_counts;
mod session;
mod unmount;

pub use adapter::FuseAdapter;
pub use request_counts::REQUEST_COUNTS_XATTR;
pub use session::{fuser_config, FuseOptions, FuseSession, FuseUnmounter};
pub use unmount::umount2_while_busy;
