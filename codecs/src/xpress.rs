//! XPRESS, Huffman variant: the "LZ77+Huffman" algorithm of Microsoft's [MS-XCA] "Xpress
//! Compression Algorithm", as WIM files use it.
//!
//! - [MS-XCA] 2.1 (compression) and 2.2 (decompression, pseudocode in 2.2.4) describe the format:
//!   a 256-byte table of 512 4-bit Huffman code lengths, then a bit stream of 16-bit
//!   little-endian words read most significant bit first. Symbols 0-255 are literals; symbol
//!   `256 + (log2(offset) << 4 | min(length - 3, 15))` starts a match, followed by the raw length
//!   bytes (when the 4-bit length is 15) and then `log2(offset)` low offset bits.
//! - The codes are canonical: codewords are assigned in order of (length, symbol) (2.2.4
//!   "Build the decoding table"); a set of lengths that is over-subscribed or incomplete is
//!   invalid.
//! - The extra length bytes are interleaved with the bit stream at the byte position that
//!   follows the 16-bit words the reference decoder has already loaded: it keeps 16..=31 bits
//!   ahead (2.2.4). `decode` reproduces that position exactly even though it buffers 64 bits.
//! - The reference format changes tables every 65536 output bytes; a WIM chunk is at most 64 KiB,
//!   so in a WIM a chunk is always one such block. The decoder still follows the spec for longer
//!   outputs (table read at the byte position after the loaded words), which no WIM exercises.
//! - wimlib's documentation notes that WIMGAPI's decoder wants the end-of-data symbol 256 after
//!   the data; [`compress`] always writes it.
//!
//! [MS-XCA]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-xca/

mod bits;
mod decode;
mod effort;
mod encode;
mod fast;
#[cfg(test)]
mod fast_tests;
mod finder;
mod item;
mod lazy;
mod match_decode;
#[cfg(test)]
mod tests;

pub use decode::decompress;
pub use effort::Effort;
pub use encode::{compress, compress_with};

/// Number of Huffman symbols: 256 literals and 256 match headers.
const NUM_SYMBOLS: usize = 512;
/// Longest Huffman codeword.
const MAX_CODE_LEN: u32 = 15;
/// Bytes of packed code lengths at the start of each block.
const TABLE_BYTES: usize = NUM_SYMBOLS / 2;
/// Output bytes covered by one Huffman table.
const BLOCK_SIZE: usize = 65536;

/// Bits resolved by the decoder's first-level table; longer codes go through a second level.
const TABLE_BITS: u32 = 10;

/// The decoder's table.
type Table = crate::huffman::DecodeTable<TABLE_BITS>;
/// Shortest match.
const MIN_MATCH: usize = 3;
/// The end-of-data symbol (also a match of length 3 at offset 1).
const END_SYMBOL: usize = 256;
/// Largest match offset: 15 offset bits below an implicit leading one.
const MAX_OFFSET: usize = 65535;
