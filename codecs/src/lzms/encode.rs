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
use super::optimal::{parse_optimal, DeltaSearch};
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

/// The chains' search effort of [`Effort::Light`]. On the commit benchmark's data
/// (/usr/libexec, 51 MB in 128 KiB chunks; docs/benchmarks.md, "Session 7: XPRESS and LZMS
/// commit speed"), with delta matches searched where used: output 1.052x wimlib's (`Normal`:
/// 1.039x) in 0.59x wimlib's time (`Normal`: 0.93x); without delta matches at all, 1.053x in
/// 0.54x, but a table of counters came out 6 times larger.
const LIGHT: Params = Params {
    depth: 12,
    nice: 32,
};

/// How hard [`compress_with_effort`] searches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Effort {
    /// [`compress`]: the near-optimal parse with delta matches; about wimlib's size (1.03-1.05x)
    /// and speed per core at its default level.
    #[default]
    Normal,
    /// For commits into non-solid WIMs: a shallower search on chunks under 1 MiB (larger ones
    /// search as `Normal`), and delta matches searched only in windows after one that used
    /// them (and in every 8th): about 1.6x `Normal`'s speed, output about 1.5% larger.
    Light,
}

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
    compress_with_effort(input, Effort::Normal)
}

/// [`compress`] at the given effort (same contract).
pub fn compress_with_effort(input: &[u8], effort: Effort) -> Option<Vec<u8>> {
    compress_with(input, |data, items, limit| {
        optimal_with(data, items, limit, data.len() >= ROWS_FROM, effort)
    })
}

/// The near-optimal parse with the row match finder (`rows`) or the hash chains.
pub(super) fn optimal_with(
    data: &[u8],
    items: &mut Items,
    limit: usize,
    rows: bool,
    effort: Effort,
) -> bool {
    let deltas = match effort {
        Effort::Normal => DeltaSearch::Always,
        Effort::Light => DeltaSearch::WhereUsed,
    };
    if rows {
        let mf = RowFinder::new(data.len(), ROWS_NICE);
        parse_optimal(data, items, (mf, ROWS_NICE), deltas, limit)
    } else {
        let p = match effort {
            Effort::Normal => OPTIMAL,
            Effort::Light => LIGHT,
        };
        let mf = MatchFinder::new(data.len(), p.depth, p.nice);
        parse_optimal(data, items, (mf, p.nice), deltas, limit)
    }
}

/// Compresses with the near-optimal parse and the match finder chosen by `rows` (tests).
#[cfg(test)]
pub(super) fn compress_optimal_with(input: &[u8], rows: bool) -> Option<Vec<u8>> {
    compress_with(input, |data, items, limit| {
        optimal_with(data, items, limit, rows, Effort::Normal)
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
