//! zisofs (v1 and zisofs2) compressed file content: the header (format) and the decoder.

pub mod header;
pub mod reader;
