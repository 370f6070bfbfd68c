//! The WIM codecs, written here from their specifications: XPRESS ([MS-XCA] "Xpress
//! Compression Algorithm", LZ77+Huffman), LZX ([MS-PATCH] "LZX DELTA Compression and
//! Decompression" and the 1997 "Microsoft LZX Data Compression Format") and LZMS (no
//! published specification; described by wimlib's documentation). In a WIM every chunk is
//! compressed on its own: a decoder gets one compressed chunk and the exact size it must decode
//! to, an encoder one chunk and gives back a smaller encoding or `None` (store it raw).
//!
//! This crate depends on nothing but `std`, so that Cargo enforces that the codecs need no
//! other part of the workspace. Shared pieces: `lzcopy` (the LZ77 match copy of every
//! decoder), `huffman` (canonical-code decode tables and length-limited code construction),
//! `words` (the 16-bit word bit streams of XPRESS and LZX as big-endian bytes), `prefetch`
//! (the one cache hint: the LZMS decoder, the LZMS and LZX match finders).
//! [`harness`] is the entry point of the fuzz targets and their replay tests.
//!
//! [MS-XCA]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-xca/
//! [MS-PATCH]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-patch/

pub mod harness;
mod huffman;
mod lzcopy;
pub mod lzms;
pub mod lzx;
/// Cache prefetch hints, for the LZMS decoder and the LZMS and LZX match finders.
mod prefetch;
pub mod progress;
#[cfg(feature = "wimlib-bench")]
pub mod wimlib_ffi;
mod words;
pub mod xpress;

/// Why a chunk did not decode. The WIM reader wraps it together with the resource offset and
/// chunk index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte position in the compressed input where decoding failed (approximate for bit streams).
    pub input_pos: usize,
    /// What was wrong.
    pub reason: &'static str,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (near input byte {})", self.reason, self.input_pos)
    }
}

impl std::error::Error for DecodeError {}
