//! Shared layers of the wimfs/isofs drivers.
//!
//! Lowest first: [`io`] (positional readers and file I/O), [`osname`] (names as bytes and
//! back, on Unix and Windows), [`cache`] (byte-bounded chunk cache) with
//! its disk tier [`spill`], [`vfs`]
//! (the backend-neutral filesystem trait and its error type), [`errno`] (the one place where
//! errors become errno values / NTSTATUS codes) and, behind features, the backend adapters in
//! [`backend`]; [`winnt`] is the WinFsp-independent Windows view of an image (names, times,
//! security descriptors, reparse points). Nothing here knows about WIM or ISO; format crates
//! never see FUSE or WinFsp types.

pub mod backend;
pub mod cache;
pub mod chunk_key;
pub mod decode_budget;
pub mod errno;
pub mod fields;
pub mod files_ahead;
#[cfg(feature = "http")]
pub mod http;
pub mod io;
pub mod nested;
pub mod osname;
pub mod spill;
pub mod spill_map;
pub mod vfs;
pub mod winnt;
