//! The LZMS encoder's entry points: the x86 filter, then a parse coding items into the two
//! streams, then the chunk (forward stream, then backward stream). Written from the format as
//! the decoder (`decode` and its modules) reads it, which wimlib's documentation describes;
//! no wimlib code was copied.
//!
//! Modules: `range_encoder` (forward stream and adaptive bit probabilities),
//! `backward_bits` (backward stream), `huffman_encode` (the adaptive Huffman codes, rebuilt
//! like the decoder's), `items` (the model: codes items and prices them), `match_finder`
//! (hash chains, chunks under 1 MiB), `row_finder` (larger chunks) and `delta_finder`,
//! `optimal` (near-optimal parse, for [`compress`]) and `parse` (lazy parse, for
//! [`compress_fast`]). The x86 filter is the decoder's `x86`, run forwards.

use super::items::Items;
use super::match_finder::MatchFinder;
use super::optimal::parse_optimal;
use super::parse::{parse, Params};
use super::row_finder::RowFinder;
use super::x86::x86_filter;

/// Largest chunk the encoder takes: offsets and positions are kept in 32 bits, and LZMS
/// itself can not describe buffers above 1 180 427 429 bytes.
const MAX_INPUT: usize = 1 << 30;

/// The near-optimal parse's search effort with the hash chains (chunks under [`ROWS_FROM`]).
/// Measured on 32 MiB of the big fixture's files in 128 KiB chunks: nice 63 instead of 48
/// gains 0.03% in 1.05x the time.
const OPTIMAL: Params = Params {
    depth: 24,
    nice: 48,
};

/// Chunks from this size on are searched with the row match finder (`row_finder`), whose
/// candidates' memory latencies overlap; below it the hash chains fit in the caches (4 MiB
/// solid chunks: the same size with rows in 0.65x the time; 128 KiB chunks: rows 0.3%
/// larger and 3% slower).
const ROWS_FROM: usize = 1 << 20;

/// The row finder's `nice` length (wimlib's at its default level): on the first 64 MiB solid
/// chunk of the big fixture, 0.17% smaller than 48 in the same time.
const ROWS_NICE: usize = 63;

/// The lazy parse's search effort.
const LAZY: Params = Params {
    depth: 24,
    nice: 64,
};

/// Compresses one chunk (up to 1 GiB; WIMs use up to 64 MiB) into LZMS with the near-optimal
/// parse. Returns `None` when the result would not be smaller than the input (the chunk is
/// then stored raw), and for empty or oversized input. [`super::decompress`] with an output of
/// `input.len()` bytes gives the input back.
///
/// Memory: a filtered copy of the input, the match finder (chunks under 1 MiB: hash chains,
/// 4 bytes per input byte plus two tables of up to 1 MiB; larger ones: rows, about 3.75
/// bytes per input byte plus a table of up to 16 MiB), the delta finder's tables (up to
/// 1.5 MiB) and the output.
pub fn compress(input: &[u8]) -> Option<Vec<u8>> {
    compress_with(input, |data, items, limit| {
        optimal_with(data, items, limit, data.len() >= ROWS_FROM)
    })
}

/// The near-optimal parse with the row match finder (`rows`) or the hash chains.
pub(super) fn optimal_with(data: &[u8], items: &mut Items, limit: usize, rows: bool) -> bool {
    if rows {
        let mf = RowFinder::new(data.len(), ROWS_NICE);
        parse_optimal(data, items, mf, ROWS_NICE, limit)
    } else {
        let mf = MatchFinder::new(data.len(), OPTIMAL.depth, OPTIMAL.nice);
        parse_optimal(data, items, mf, OPTIMAL.nice, limit)
    }
}

/// Compresses with the near-optimal parse and the match finder chosen by `rows` (tests).
#[cfg(test)]
pub(super) fn compress_optimal_with(input: &[u8], rows: bool) -> Option<Vec<u8>> {
    compress_with(input, |data, items, limit| {
        optimal_with(data, items, limit, rows)
    })
}

/// Like [`compress`], with a lazy greedy parse: 3-4 times faster, output about 2% larger.
pub fn compress_fast(input: &[u8]) -> Option<Vec<u8>> {
    compress_with(input, |data, items, limit| parse(data, items, LAZY, limit))
}

fn compress_with(
    input: &[u8],
    parse: impl FnOnce(&[u8], &mut Items, usize) -> bool,
) -> Option<Vec<u8>> {
    if input.is_empty() || input.len() > MAX_INPUT {
        return None;
    }
    let mut data = input.to_vec();
    x86_filter(&mut data, false);
    let mut items = Items::new(data.len());
    if !parse(&data, &mut items, input.len()) {
        return None;
    }
    let out = items.finish();
    (out.len() < input.len()).then_some(out)
}
