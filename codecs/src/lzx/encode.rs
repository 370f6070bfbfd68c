//! The LZX encoder for WIM chunks.
//!
//! The chunk is E8-translated ([`super::e8`]), then cut into blocks (one for a 32 KiB chunk).
//! For each block every position's matches are found once with a binary-tree match finder
//! ([`super::matchfind`]) and cached. A lazy pass over the cache gives first symbol
//! statistics ([`super::stats`]); then the shortest-path parse ([`super::parse`]) runs once,
//! priced with them. The block is written as a verbatim, aligned-offset or uncompressed
//! block, whichever is smallest ([`super::write`]).
//!
//! The buffers (match finder, match cache, parse arrays) are kept per thread and reused from
//! chunk to chunk.

use std::cell::RefCell;

use super::bitwrite::BitWriter;
use super::consts::*;
use super::e8;
use super::items::Item;
use super::matchfind::{Match, MatchFinder};
use super::parse::{parse, Block, Costs, Node, Queue};
use super::stats::{costs_from, count, lazy};
use super::write::{write_block, BlockState};

/// Matches at least this long are taken without weighing alternatives.
const NICE_LEN: usize = 64;
/// The match finder's walk stops at a match this long (and reports its whole length).
/// Measured on /usr/bin and /usr/libexec chunks (`examples/compress_bench.rs`): 257 (no
/// limit) +0.82% size against wimlib, 64 +0.88% and a little faster, 32 +0.94%.
const TREE_NICE_LEN: usize = 64;
/// Tree nodes visited per position by the match finder.
const SEARCH_DEPTH: u32 = 32;
/// Shortest-path passes per block (the first one priced from a lazy parse). Measured on 16 MB
/// of /usr/bin and /usr/libexec chunks (`examples/compress_bench.rs`): one pass 0.9x wimlib's
/// speed at +0.8% size, two passes 0.64x at +0.52%; the speed matters more to a commit.
const OPTIMIZE_PASSES: usize = 1;
/// Block size for chunks larger than 32 KiB.
const LARGE_BLOCK: usize = 65536;

/// Compresses one chunk for a WIM with chunk size `window_size`. Returns None when the result
/// would not be smaller than the input (the WIM then stores the chunk raw).
pub fn compress(input: &[u8], window_size: usize) -> Option<Vec<u8>> {
    let order = window_order(window_size)?;
    if input.is_empty() || input.len() > 1 << order {
        return None;
    }
    let mut data = input.to_vec();
    e8::encode(&mut data);
    let out = SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut scratch) => encode_chunk(&data, order, &mut scratch),
        Err(_) => encode_chunk(&data, order, &mut Scratch::default()),
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
    cache: Vec<Match>,
    cache_at: Vec<u32>,
    nodes: Vec<Node>,
    queues: Vec<Queue>,
    items: Vec<Item>,
    costs: Costs,
}

fn encode_chunk(data: &[u8], order: u32, s: &mut Scratch) -> Vec<u8> {
    let num_main = num_main_syms(order);
    let nice = NICE_LEN;
    let max_offset = (1usize << order) - 3;
    s.mf.reset(data, TREE_NICE_LEN, SEARCH_DEPTH);
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
        collect_matches(s, data, start, end, nice, max_offset);
        let b = Block {
            data,
            start,
            end,
            cache: &s.cache,
            cache_at: &s.cache_at,
            nice,
        };
        let reps_in = st.reps;
        let mut freqs = lazy(&b, reps_in, num_main, &mut s.items);
        for _ in 0..OPTIMIZE_PASSES {
            costs_from(&freqs, &mut s.costs);
            parse(
                &b,
                &s.costs,
                reps_in,
                &mut s.nodes,
                &mut s.queues,
                &mut s.items,
            );
            freqs = count(&s.items, num_main);
        }
        write_block(&mut bw, &mut st, &b, &s.items, &freqs, reps_in);
        start = end;
    }
    bw.finish()
}

/// Finds and caches the matches of every position of `start..end`, clipped to the block.
/// After a match of `nice` bytes or more, the positions it covers are only inserted.
fn collect_matches(
    s: &mut Scratch,
    data: &[u8],
    start: usize,
    end: usize,
    nice: usize,
    max_offset: usize,
) {
    s.cache.clear();
    s.cache_at.clear();
    let n = data.len();
    let mut p = start;
    while p < end {
        s.cache_at.push(s.cache.len() as u32);
        let first = s.cache.len();
        // The tree sees the whole chunk; the block end only clips what is reported.
        let tree_max = (n - p).min(MAX_MATCH);
        s.mf.find(p, tree_max, max_offset.min(p), &mut s.cache);
        let limit = (end - p) as u32;
        let mut keep = first;
        let mut last = 0;
        for k in first..s.cache.len() {
            let m = s.cache[k];
            let len = m.len.min(limit);
            if len > last {
                s.cache[keep] = Match {
                    len,
                    offset: m.offset,
                };
                keep += 1;
                last = len;
            }
        }
        s.cache.truncate(keep);
        let longest = last as usize;
        if longest >= nice {
            for q in p + 1..p + longest {
                s.cache_at.push(s.cache.len() as u32);
                s.mf.skip(q, (n - q).min(MAX_MATCH));
            }
            p += longest;
        } else {
            p += 1;
        }
    }
    s.cache_at.push(s.cache.len() as u32);
}
