//! The LZX encoder for WIM chunks.
//!
//! The chunk is E8-translated ([`super::e8`]), then cut into blocks (one for a 32 KiB chunk).
//! For each block every position's matches are found once with a binary-tree match finder
//! ([`super::matchfind`]) and cached. A greedy pass over the cache gives first symbol
//! statistics; then the shortest-path parse ([`super::parse`]) runs twice, priced the second
//! time with the statistics of the first. The block is written as a verbatim, aligned-offset
//! or uncompressed block, whichever is smallest ([`super::write`]).
//!
//! The buffers (match finder, match cache, parse arrays) are kept per thread and reused from
//! chunk to chunk.

use std::cell::RefCell;

use super::bitwrite::BitWriter;
use super::consts::*;
use super::e8;
use super::items::{apply, match_symbols, Freqs, Item};
use super::matchfind::{extend, Match, MatchFinder};
use super::parse::{parse, Block, Costs, Node};
use super::write::{write_block, BlockState};
use crate::huffman::encode::make_lengths;

/// Matches at least this long are taken without weighing alternatives.
const NICE_LEN: usize = 64;
/// The match finder's walk stops at a match this long. Higher than `NICE_LEN`: replacing tree
/// nodes at shorter lengths loses the longest matches of very redundant data (measured: up to
/// 10% larger output on such chunks).
const TREE_NICE_LEN: usize = MAX_MATCH;
/// Tree nodes visited per position by the match finder.
const SEARCH_DEPTH: u32 = 32;
/// Shortest-path passes per block (the first one priced from a greedy parse). Measured on
/// 422 chunks of /usr/libexec (`tests/lzx_bench.rs`): one pass 5.2 MB/s CPU at +1.21% size
/// against wimlib, two passes 3.0 MB/s at +0.76%; the speed matters more to a commit.
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
    reps_at: Vec<[u32; 3]>,
    items: Vec<Item>,
}

fn encode_chunk(data: &[u8], order: u32, s: &mut Scratch) -> Vec<u8> {
    let num_main = num_main_syms(order);
    let nice = NICE_LEN;
    let max_offset = (1usize << order) - 3;
    s.mf.reset(data.len(), TREE_NICE_LEN, SEARCH_DEPTH);
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
        let mut freqs = greedy(&b, reps_in, num_main, &mut s.items);
        for _ in 0..OPTIMIZE_PASSES {
            let costs = costs_from(&freqs);
            parse(
                &b,
                &costs,
                reps_in,
                &mut s.nodes,
                &mut s.reps_at,
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
        s.mf.find(data, p, tree_max, max_offset.min(p), &mut s.cache);
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
                s.mf.skip(data, q, (n - q).min(MAX_MATCH));
            }
            p += longest;
        } else {
            p += 1;
        }
    }
    s.cache_at.push(s.cache.len() as u32);
}

/// A greedy parse of the block, for first statistics.
fn greedy(b: &Block<'_>, reps_in: [u32; 3], num_main: usize, items: &mut Vec<Item>) -> Freqs {
    items.clear();
    let mut reps = reps_in;
    let mut i = 0;
    while b.start + i < b.end {
        let p = b.start + i;
        let max = (b.end - p).min(MAX_MATCH);
        let off = reps[0] as usize;
        let r0 = if off <= p && max >= MIN_MATCH {
            extend(b.data, p - off, p, 0, max)
        } else {
            0
        };
        let best = b.cache[b.cache_at[i] as usize..b.cache_at[i + 1] as usize]
            .last()
            .copied();
        let item = match best {
            Some(m) if m.len as usize > r0 + 1 => Item::new(m.len, m.offset + 2),
            _ if r0 >= MIN_MATCH => Item::new(r0 as u32, 0),
            _ => Item::literal(b.data[p]),
        };
        apply(&mut reps, item);
        i += item.len.max(1) as usize;
        items.push(item);
    }
    count(items, num_main)
}

/// Symbol statistics of a parse.
fn count(items: &[Item], num_main: usize) -> Freqs {
    let mut f = Freqs {
        main: vec![0; num_main],
        len: [0; LEN_SYMS],
        aligned: [0; ALIGNED_SYMS],
    };
    for &it in items {
        if it.is_literal() {
            f.main[it.code as usize] += 1;
            continue;
        }
        let (sym, len_sym, slot) = match_symbols(it);
        f.main[sym] += 1;
        if let Some(l) = len_sym {
            f.len[l] += 1;
        }
        if it.code >= 3 && u32::from(EXTRA_BITS[slot]) >= ALIGNED_BITS {
            f.aligned[(it.code & 7) as usize] += 1;
        }
    }
    f
}

/// Prices from statistics: the Huffman lengths, and a pessimistic price for symbols not seen
/// yet so that the next parse may still use them.
fn costs_from(f: &Freqs) -> Costs {
    let mut main = vec![0u8; f.main.len()];
    make_lengths(&f.main, MAX_CODE_LEN, &mut main);
    let mut len = [0u8; LEN_SYMS];
    make_lengths(&f.len, MAX_CODE_LEN, &mut len);
    let price = |l: u8, unseen: u32| if l == 0 { unseen } else { u32::from(l) };
    let mut lit = [0u32; NUM_CHARS];
    for (c, &l) in lit.iter_mut().zip(&main[..NUM_CHARS]) {
        *c = price(l, 14);
    }
    let slot = main[NUM_CHARS..]
        .chunks_exact(NUM_LEN_HEADERS)
        .map(|h| {
            let mut a = [0u32; NUM_LEN_HEADERS];
            for (c, &l) in a.iter_mut().zip(h) {
                *c = price(l, 14);
            }
            a
        })
        .collect();
    let mut len_part = [0u32; MAX_MATCH + 1];
    for (k, &l) in len.iter().enumerate() {
        len_part[MIN_MATCH + NUM_PRIMARY_LENS + k] = price(l, 12);
    }
    Costs {
        lit,
        slot,
        len_part,
    }
}
