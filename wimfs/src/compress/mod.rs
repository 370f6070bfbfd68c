//! The WIM codecs, written here from their specifications. Each chunk is compressed on its own.

pub mod lzx;
pub mod xpress;
