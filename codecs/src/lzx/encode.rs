//! The LZX encoder for WIM chunks.
//!
//! The chunk is E8-translated ([`super::e8`]), then cut into blocks (one for a 32 KiB chunk). For
//! each block every position's matches are found once with a binary-tree match finder
//! ([`super::matchfind`]) and cached. A lazy pass over the cache gives first symbol statistics
//! ([`super::stats`]); then the shortest-path parse ([`super::parse`]) runs, priced with them, and
//! at `Normal` once more, priced from its own statistics, on the blocks where those moved far from
//! the lazy parse's ([`super::stats::mismatch`]). How deep the match finder searches and where the
//! parse stops weighing is the [`Effort`]: `Normal` for `wimfs`'s ratio, `Fast` for commits. The
//! block is written as a verbatim, aligned-offset or uncompressed block, whichever is smallest
//! ([`super::write`]); at `Normal`, as two blocks when that is smaller ([`super::split`]).
//!
//! The buffers (match finder, match cache, parse arrays) are kept per thread and reused from
//! chunk to chunk.

use std::cell::RefCell;

use super::bitwrite::BitWriter;
use super::consts::*;
use super::e8;
use super::items::{Freqs, Item};
use super::matchfind::{Match, MatchFinder, MAX_FOUND};
use super::parse::{parse, Block, Costs, Search};
use super::split::{choose_cut, count_at_cuts, rest, Cuts};
use super::stats::{costs_from, count, lazy, mismatch};
use super::write::{plan, write_block, BlockState};

/// How hard the compressor works: the match finder's and the parse's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Effort {
    /// Output at most as large as wimlib's at its default level (50), per core at least as
    /// fast (docs/benchmarks.md, "XPRESS/LZX compressors per core vs wimlib").
    #[default]
    Normal,
    /// Faster, for commits: a shallower search (docs/benchmarks.md, "Commit into LZX ...").
    Fast,
}

/// The limits of one effort.
#[derive(Debug, Clone, Copy)]
struct Params {
    /// Matches at least this long are taken by the parse without weighing alternatives.
    nice: usize,
    /// The match finder's walk stops at a match this long (and reports its whole length).
    tree_nice: usize,
    /// Tree nodes visited per position by the match finder.
    depth: u32,
    /// A second shortest-path pass runs on a block when the first pass's statistics differ
    /// from the lazy parse's it was priced with by more than this many bits per byte
    /// ([`mismatch`]); 0 for never.
    repass: f64,
    /// Whether a parsed block may be written as two ([`super::split`]; about 2% of the time).
    split: bool,
}

impl Effort {
    /// Measured on /usr/bin + /usr/libexec and /usr/share + /usr/lib chunks
    /// (`examples/compress_bench.rs`).
    fn params(self) -> Params {
        match self {
            // Measured on 32 MB of each corpus (sizes against wimlib's; speeds side by side,
            // docs/benchmarks.md, sessions 6, 7 and 9): two passes on every block run at 0.68x
            // wimlib's speed; a second pass only where the first pass's statistics moved from
            // those it was priced with (`repass`, in bits per byte) buys size more cheaply than
            // a deeper search or a longer nice. With the lazy parse's repeated-offset matches
            // weighted ([`lazy`]) and block cuts tried every 1 KiB from 1,000 bits of entropy
            // saved ([`super::split`]): depth 18 with 0.045 -0.036% / -0.018% (second passes on
            // 22 / 49 blocks), with 0.05 -0.030% / -0.004% (15 / 37), both about 0.01 faster
            // than with 0.04 and 2,000 bits (-0.025% / -0.010%, 1.02 / 0.99 of wimlib's speed
            // in the bench at d494e67); depth 20 with 0.04 -0.030% / -0.015% (second passes on
            // 28 / 64 blocks; 99 / 202 at the session-9 start, depth 32 with 0.02), about 0.01
            // slower; depth 16 with 0.04 -0.016% / -0.001%; depth 20 with 0.045 -0.027% /
            // -0.008%, with 0.05 -0.021% / +0.006%; nice 48 costs 0.01-0.03%, nice 96 or 128
            // gains 0.02-0.03% but is slower. Then depth 16 with 0.045 (kept): -0.027% /
            // -0.010%, +0.01 of wimlib's speed over depth 18 in two side-by-side runs (0.98 ->
            // 0.99 on the second corpus); depth 14 +0.005% on the second corpus (over wimlib's
            // size), depth 12 +0.026%.
            Effort::Normal => Params {
                nice: 64,
                tree_nice: 64,
                depth: 16,
                repass: 0.045,
                split: true,
            },
            // Measured on 5 MB of /usr/libexec chunks (what the commit benchmark adds), side
            // by side with wimlib (session 5): depth 8 and nice 24 1.16x wimlib's speed at
            // +0.81%; depth 6 1.20x at +0.94%; depth 5 1.26x at +1.19%. A commit's growth over
            // wimlib's came out about 1.7 times the size difference (depth 8, nice 16, tree
            // nice 32: +1.44% gave 1.024x). Session 6 (6 MB of each corpus, with the session's
            // parse): depth 5 1.23x / 1.31x at +1.09% / +1.20%, this one (depth 4) 1.31x /
            // 1.35x at +1.28% / +1.38%, against 1.27x / 1.32x at +1.48% / +1.79% before the
            // session; block splitting would cost 2-5% of the speed for 0.2% of the size.
            Effort::Fast => Params {
                nice: 20,
                tree_nice: 24,
                depth: 4,
                repass: 0.0,
                split: false,
            },
        }
    }
}

/// Block size for chunks larger than 32 KiB.
const LARGE_BLOCK: usize = 65536;

/// Compresses one chunk for a WIM with chunk size `window_size`. Returns None when the result
/// would not be smaller than the input (the WIM then stores the chunk raw).
pub fn compress(input: &[u8], window_size: usize) -> Option<Vec<u8>> {
    compress_with(input, window_size, Effort::Normal)
}

/// [`compress`] at the given effort.
pub fn compress_with(input: &[u8], window_size: usize, effort: Effort) -> Option<Vec<u8>> {
    let order = window_order(window_size)?;
    if input.is_empty() || input.len() > 1 << order {
        return None;
    }
    let mut data = input.to_vec();
    e8::encode(&mut data);
    let out = SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut scratch) => encode_chunk(&data, order, effort.params(), &mut scratch),
        Err(_) => encode_chunk(&data, order, effort.params(), &mut Scratch::default()),
    });
    (out.len() < input.len()).then_some(out)
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Reusable buffers.
#[derive(Debug, Default)]
struct Scratch {
    mf: MatchFinder,
    cache: MatchCache,
    search: Search,
    items: Vec<Item>,
    costs: Costs,
    cuts: Cuts,
}

fn encode_chunk(data: &[u8], order: u32, params: Params, s: &mut Scratch) -> Vec<u8> {
    let num_main = num_main_syms(order);
    let nice = params.nice;
    let max_offset = (1usize << order) - 3;
    s.mf.reset(data, params.tree_nice, params.depth);
    let mut bw = BitWriter::with_capacity(data.len() / 2 + 64);
    let mut st = BlockState {
        order,
        prev_main: vec![0; num_main],
        prev_len: [0; LEN_SYMS],
        reps: [1; 3],
    };
    let block = if order == MIN_WINDOW_ORDER {
        DEFAULT_BLOCK_SIZE
    } else {
        LARGE_BLOCK
    };
    let mut start = 0;
    while start < data.len() {
        let end = (start + block).min(data.len());
        s.cache
            .collect(&mut s.mf, data, start, end, nice, max_offset);
        let b = Block {
            data,
            start,
            end,
            cache: &s.cache.matches,
            cache_at: &s.cache.at,
        };
        let reps_in = st.reps;
        let prior = lazy(&b, reps_in, num_main, &mut s.items);
        costs_from(&prior, &mut s.costs);
        parse(&b, &s.costs, reps_in, &mut s.search, &mut s.items);
        // The symbol counts, with those at the candidate cuts when the block may be split.
        let n = end - start;
        let counted = |items: &[Item], cuts: &mut Cuts| {
            if params.split {
                count_at_cuts(items, n, num_main, cuts)
            } else {
                count(items, num_main)
            }
        };
        let mut freqs = counted(&s.items, &mut s.cuts);
        if params.repass > 0.0 && mismatch(&freqs, &prior) > params.repass * n as f64 {
            // The first pass's statistics moved away from the lazy parse's it was priced
            // with: a second pass priced from them. (Keeping the smaller of the two passes'
            // blocks instead gained 16 bytes in 8.5 MB.)
            costs_from(&freqs, &mut s.costs);
            parse(&b, &s.costs, reps_in, &mut s.search, &mut s.items);
            freqs = counted(&s.items, &mut s.cuts);
        }
        if params.split {
            write_parsed(&mut bw, &mut st, &b, &s.items, &freqs, &mut s.cuts, reps_in);
        } else {
            let whole = plan(order, &st.prev_main, &st.prev_len, end - start, &freqs);
            write_block(&mut bw, &mut st, &b, &s.items, whole, reps_in, true);
        }
        start = end;
    }
    bw.finish()
}

/// Writes the parsed block `b` as one block, or as two when that is smaller
/// ([`super::split`]).
fn write_parsed(
    bw: &mut BitWriter,
    st: &mut BlockState,
    b: &Block<'_>,
    items: &[Item],
    freqs: &Freqs,
    cuts: &mut Cuts,
    reps_in: [u32; 3],
) {
    let n = b.end - b.start;
    let whole = plan(st.order, &st.prev_main, &st.prev_len, n, freqs);
    if let Some((cut, fa)) = choose_cut(cuts, freqs) {
        let (first, second) = items.split_at(cut);
        let mid = b.start + first.iter().map(|it| it.len.max(1) as usize).sum::<usize>();
        let fb = rest(freqs, &fa);
        let pa = plan(st.order, &st.prev_main, &st.prev_len, mid - b.start, &fa);
        let pb = plan(st.order, &pa.main_lens, &pa.len_lens, b.end - mid, &fb);
        // The first half stays compressed: the second's items assume the repeated offsets
        // its items leave.
        if pa.compressed_bits + pb.bits() < whole.bits() {
            let (ba, bb) = (Block { end: mid, ..*b }, Block { start: mid, ..*b });
            write_block(bw, st, &ba, first, pa, reps_in, false);
            let reps_mid = st.reps;
            write_block(bw, st, &bb, second, pb, reps_mid, true);
            return;
        }
    }
    write_block(bw, st, b, items, whole, reps_in, true);
}

/// The matches of every position of a block: those of block position i are
/// `matches[at[i]..at[i + 1]]`, of strictly increasing lengths (entries past the last
/// position's are scratch space).
#[derive(Debug, Default)]
pub(super) struct MatchCache {
    pub(super) matches: Vec<Match>,
    pub(super) at: Vec<u32>,
}

impl MatchCache {
    /// Finds and caches the matches of every position of `start..end`, clipped to the block.
    /// After a match of `nice` bytes or more, the positions it covers are only inserted (and
    /// have no matches).
    pub(super) fn collect(
        &mut self,
        mf: &mut MatchFinder,
        data: &[u8],
        start: usize,
        end: usize,
        nice: usize,
        max_offset: usize,
    ) {
        let (cache, cache_at) = (&mut self.matches, &mut self.at);
        cache_at.clear();
        let n = data.len();
        // `cache[..used]` holds the matches so far; the finder writes into the next
        // `MAX_FOUND` entries.
        let mut used = 0;
        let mut p = start;
        while p < end {
            cache_at.push(used as u32);
            if cache.len() < used + MAX_FOUND {
                cache.resize(used + 2 * MAX_FOUND, Match { len: 0, offset: 0 });
            }
            let found: &mut [Match; MAX_FOUND] = (&mut cache[used..used + MAX_FOUND])
                .try_into()
                .expect("MAX_FOUND entries");
            // The tree sees the whole chunk; the block end only clips what is reported.
            let (mut k, _) = mf.find(p, (n - p).min(MAX_MATCH), found);
            if end - p < MAX_MATCH || p > max_offset {
                // Near the block's end or the window's: clip, drop offsets the window does
                // not reach, and keep the lengths strictly increasing.
                let limit = (end - p) as u32;
                let mut keep = 0;
                let mut last = 0;
                for j in 0..k {
                    let m = found[j];
                    let len = m.len.min(limit);
                    if len > last && m.offset as usize <= max_offset {
                        found[keep] = Match {
                            len,
                            offset: m.offset,
                        };
                        keep += 1;
                        last = len;
                    }
                }
                k = keep;
            }
            let longest = found[..k].last().map_or(0, |m| m.len as usize);
            used += k;
            if longest >= nice {
                for q in p + 1..p + longest {
                    cache_at.push(used as u32);
                    mf.skip(q, (n - q).min(MAX_MATCH));
                }
                p += longest;
            } else {
                p += 1;
            }
        }
        cache_at.push(used as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lzx::decompress;

    /// Text, then x86-like code, then a table: statistics that differ from part to part.
    fn mixed(n: usize) -> Vec<u8> {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let words = [
            "the ", "block ", "match ", "offset ", "tree ", "length ", "chunk ",
        ];
        let mut v = Vec::new();
        while v.len() < n / 3 {
            v.extend_from_slice(words[rnd() as usize % words.len()].as_bytes());
        }
        while v.len() < 2 * n / 3 {
            let r = rnd();
            v.extend_from_slice(&[0xE8, r as u8, (r >> 8) as u8 & 3, 0, 0, 0x48, 0x89]);
        }
        while v.len() < n {
            v.extend_from_slice(&(v.len() as u32 / 16).to_le_bytes());
        }
        v.truncate(n);
        v
    }

    fn encode(input: &[u8], params: Params) -> Vec<u8> {
        let mut data = input.to_vec();
        e8::encode(&mut data);
        encode_chunk(&data, MIN_WINDOW_ORDER, params, &mut Scratch::default())
    }

    #[test]
    fn a_second_pass_round_trips_and_is_not_larger() {
        let input = mixed(32768);
        let once = Params {
            repass: 0.0,
            ..Effort::Normal.params()
        };
        // Any block's statistics move more than this from the lazy parse's.
        let twice = Params {
            repass: 1e-9,
            ..once
        };
        let (a, b) = (encode(&input, once), encode(&input, twice));
        for packed in [&a, &b] {
            let mut out = vec![0u8; input.len()];
            decompress(packed, &mut out, 32768).expect("our decoder accepts the chunk");
            assert!(out == input, "the chunk decodes to its input");
        }
        assert_ne!(a, b, "the second pass changed the parse");
        assert!(b.len() <= a.len(), "{} > {}", b.len(), a.len());
    }
}
