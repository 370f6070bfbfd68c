//! Canonical Huffman codes, shared by the three codecs: XPRESS ([MS-XCA] 2.2.4 "Build the
//! decoding table"), LZX ([MS-PATCH] §2.4 "Huffman trees") and LZMS (wimlib's description:
//! canonical codes rebuilt from adaptive frequencies) all assign codewords canonically, in
//! order of (length, symbol), and read them most significant bit first.
//!
//! [`decode`] builds two-level lookup tables from codeword lengths; [`encode`] makes
//! length-limited codeword lengths from symbol frequencies and the canonical codewords for
//! them (the encoders of XPRESS and LZX).

pub(crate) mod decode;
pub(crate) mod encode;

pub(crate) use decode::DecodeTable;
