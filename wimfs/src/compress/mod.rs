//! The WIM codecs live in their own crate, [`wimcodecs`], which depends on nothing; this module
//! re-exports them under their historical path (`wimfs::compress::lzx`, ...).

pub use wimcodecs::{lzms, lzx, xpress, DecodeError};
