//! LZMS, Microsoft's LZ77 + adaptive Huffman + range coding format: the decoder.
//!
//! LZMS compresses ESD files and WIMs made with `--compress=lzms` (each chunk independent,
//! 128 KiB by default) or `--solid` (solid resources, chunks of up to 64 MiB). Microsoft never
//! published a specification; the format is described by the documentation and source of
//! wimlib (`src/lzms_decompress.c`'s header comment, `src/lzms_common.c`,
//! `include/wimlib/lzms_constants.h`), from which this decoder was written (no code was
//! copied), and pinned down by test vectors that `wimlib-imagex` made.
//!
//! A chunk is a sequence of 16-bit little-endian units read from both ends: a range-coded stream of
//! item-kind decisions forwards from the start (`streams`), and a stream of Huffman codewords and
//! extra bits backwards from the end (`streams`; decision probabilities in `range`). The five
//! Huffman codes (literals, LZ offsets, lengths, delta offsets, delta powers) are never transmitted
//! but adapt to the decoded symbols (`huffman`, their codeword lengths computed in `code_lengths`).
//! Items are literals, LZ matches and delta matches, with LRU queues of recent offsets (`decode`,
//! whose literal loop is the hot path; LZ matches in `lz_match`, delta matches in `delta`, queues
//! in `matches`), decoded a block at a time, whose output `emit` then writes. After decoding, the
//! x86 filter is undone over the whole chunk (`x86`). Slot tables and constants are in `tables`.

mod code_lengths;
mod decode;
mod delta;
mod emit;
mod huffman;
mod literals;
mod lz_match;
mod matches;
mod range;
mod streams;
mod tables;
mod x86;

// The encoder (LZMS compressor).
mod backward_bits;
mod delta_finder;
mod encode;
mod huffman_encode;
mod items;
mod match_finder;
mod optimal;
mod parse;
mod range_encoder;
mod row_finder;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod encode_tests;

#[cfg(test)]
mod passes_tests;

#[cfg(test)]
mod row_finder_tests;

pub use crate::progress::Progress;
pub(crate) use decode::decompress_in;
pub use decode::{decompress, decompress_with_progress};
pub use encode::{compress, compress_fast, compress_with_effort, Effort};
