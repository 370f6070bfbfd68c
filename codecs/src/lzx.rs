//! LZX, the WIM variant: decoder and encoder for independently compressed chunks.
//!
//! The format is specified by Microsoft's "[MS-PATCH]: LZX DELTA Compression and Decompression"
//! (§2, of which WIM uses the subset without reference data and with windows of 2^15..2^21
//! bytes) and the older "Microsoft LZX Data Compression Format" (1997). WIM files differ from
//! those documents as wimlib documents and as the test vectors made by `wimlib-imagex` confirm:
//!
//! * every chunk (32 KiB by default; 64 KiB..2 MiB with wimlib's `--chunk-size`) is a separate
//!   LZX stream; the window is the chunk size rounded up to a power of two, at least 32 KiB,
//!   and fixes the number of position slots (so of main-tree symbols);
//! * the stream has no E8 header bit: E8 translation is always on, with a fixed file size of
//!   12 000 000, positions relative to the chunk, over the whole chunk except its last 10 bytes;
//! * a block size is a flag bit (set: 32768) or an explicit size of 16 bits, 24 bits when the
//!   window is larger than 32 KiB;
//! * the repeated offsets start at 1 and the previous tree lengths at 0 for every chunk.
//!
//! Submodules: `consts` (tables), `e8` (the x86 call translation); decoding: `bitread` (input
//! bits), `pretree` (tree lengths), `symbols` (the symbol loop), `decode`; encoding: `matchfind`
//! (binary-tree match finder), `stats` (first statistics and prices), `parse` (shortest-path
//! parse), `write` (block output), `bitwrite` (output bits), `encode` (the driver). Huffman tables
//! and codes, and the match copy, are the crate's shared `crate::huffman` and `crate::lzcopy`.

mod bitread;
mod bitwrite;
mod consts;
mod decode;
mod e8;
mod encode;
mod items;

mod matchfind;
mod parse;
mod pretree;
mod split;
mod stats;
mod symbols;
mod write;

#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod symbols_tests;
#[cfg(test)]
mod tests;

pub use decode::decompress;
pub use encode::{compress, compress_with, Effort};
