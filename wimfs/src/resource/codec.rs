//! A chunk's codec: which decoder a resource's compression names, and the errors of a chunk
//! that does not read or decode (naming the resource's offset and the chunk).

use super::{io_err, Chunked};
use crate::compress;
use crate::error::WimError;
use crate::format::header::Compression;

/// Decodes one chunk with `compression`.
pub(super) fn decode(
    compression: Compression,
    input: &[u8],
    out: &mut [u8],
    window: u32,
) -> Result<(), compress::DecodeError> {
    match compression {
        Compression::Xpress => compress::xpress::decompress(input, out),
        Compression::Lzx => compress::lzx::decompress(input, out, window as usize),
        Compression::Lzms => compress::lzms::decompress(input, out),
        Compression::None => Err(compress::DecodeError {
            input_pos: 0,
            reason: "compressed data in a resource whose compression is none",
        }),
    }
}

impl Chunked {
    /// The error of a failed read of chunk `i`'s stored bytes.
    pub(super) fn read_error(&self, i: u64) -> impl FnOnce(std::io::Error) -> WimError {
        let at = self.hdr.offset_in_wim;
        io_err(format!("reading chunk {i} of the resource at byte {at}"))
    }

    /// The error of a chunk that does not decode.
    pub(super) fn decode_error(&self, i: u64, e: compress::DecodeError) -> WimError {
        WimError::Decompress {
            codec: self.compression.name(),
            offset: self.hdr.offset_in_wim,
            chunk: i,
            detail: e.to_string(),
        }
    }
}
