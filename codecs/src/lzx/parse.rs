//! The encoder's parse of one block: a forward shortest-path search over the block's
//! positions, where the edges are literals, repeated-offset matches (R0..R2, carried along the
//! best path to each position, as the decoder will track them) and every length of every
//! cached match, each priced in 1/16 bits from the previous pass's statistics. One more edge
//! after the longest explicit match of a position: the "gap" way of that match, one literal
//! and the same offset again as R0 (what wimlib's parse also weighs).
//!
//! The positions inside a match of `nice` bytes or more have no cached matches (the driver
//! skips them): there the search weighs literals only, as wimlib's does. (Taking such a match
//! as soon as the search reached it, as before, was 0.1-0.15% larger.)
//!
//! Costs per position are what makes a pass expensive (about 400 instructions per position at
//! 32 KiB chunks), so the node is one `u64`, the queues and gap matches live in small rings,
//! and the repeated offsets after R0 are extended only when they can beat what R0 offered.

use super::consts::*;
use super::items::{slot_of, Item};
use super::matchfind::{extend, Match};

/// Bit prices of the symbols, arranged for the parse.
#[derive(Debug)]
pub(super) struct Costs {
    pub(super) lit: [u32; NUM_CHARS],
    /// Price of the main symbol, the length symbol and the verbatim extra offset bits of a
    /// match, by position slot and length (without the aligned bits of slots that have them),
    /// as a search node: `price << 32 | length`. Relaxing a length is then one addition to the
    /// node of the match's start and offset code. [`SLOT_TABLE`] rows, so that a masked slot
    /// needs no bounds check; the rows past the window's slots are unused.
    pub(super) matches: Box<[[u64; MAX_MATCH + 1]; SLOT_TABLE]>,
    /// Price of the low 3 offset bits by position slot and their value: the aligned tree's
    /// lengths (or 3 bits each) in slots with at least 3 extra bits, 0 in the others. One lookup
    /// per match, without a branch.
    pub(super) low: [[u32; ALIGNED_SYMS]; SLOT_TABLE],
}

/// Rows of the price tables by position slot: the power of two above [`MAX_SLOTS`].
pub(super) const SLOT_TABLE: usize = MAX_SLOTS.next_power_of_two();

impl Default for Costs {
    fn default() -> Self {
        Costs {
            lit: [0; NUM_CHARS],
            matches: Box::new([[0; MAX_MATCH + 1]; SLOT_TABLE]),
            low: [[0; ALIGNED_SYMS]; SLOT_TABLE],
        }
    }
}

/// A search node: the cheapest known cost to reach a position in the high 32 bits, the last
/// item of that way in the low 32 (`code << 9 | len`, the item starting `max(len, 1)`
/// positions earlier; [`GAP`] for a gap way). Relaxing an edge is one `min`; of equal costs
/// the smaller item wins (a repeated offset before an explicit one, a closer offset first).
const INF: u64 = u64::MAX;

/// Set in an item packed as `GAP | literal << 9 | len`: a "gap" way, an explicit match, one
/// literal, then an R0 match of `len` bytes, that is the same offset again after one
/// differing byte (common in tables and machine code). The one-step search cannot find it, as
/// the R0 match only exists on the path through the match before.
const GAP: u32 = 1 << 31;

/// Positions kept in the rings of queues and gap matches: a node's queue is looked up at most
/// a gap way (257 + 1 + 257 bytes) later.
const RING: usize = 1024;

/// The search's arrays, reused from block to block: one node per position of the block (plus
/// the end and a match's length of slack, so that each position sees a fixed-size window),
/// and rings of the repeated offsets and of the matches before gap ways.
#[derive(Debug)]
pub(super) struct Search {
    nodes: Vec<u64>,
    queues: Box<[Queue; RING]>,
    /// The explicit match (packed) of the gap way that last improved a position.
    gap_first: Box<[u32; RING]>,
}

impl Default for Search {
    fn default() -> Self {
        Search {
            nodes: Vec::new(),
            queues: Box::new([Queue(0); RING]),
            gap_first: Box::new([0; RING]),
        }
    }
}

/// The repeated offsets R0, R1, R2 packed in 21 bits each (offsets are below 2^21): one
/// register per position of the search.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Queue(u64);

impl Queue {
    const MASK: u64 = (1 << 21) - 1;

    fn new(r: [u32; 3]) -> Self {
        Queue(u64::from(r[0]) | u64::from(r[1]) << 21 | u64::from(r[2]) << 42)
    }

    #[inline(always)]
    fn get(self, k: usize) -> usize {
        ((self.0 >> (21 * k)) & Self::MASK) as usize
    }

    /// After an explicit match of offset `off`.
    #[inline(always)]
    fn push(self, off: u32) -> Self {
        Queue(((self.0 << 21) | u64::from(off)) & (u64::MAX >> 1))
    }

    /// After a match with repeated offset `k` (swaps R0 with Rk).
    #[inline(always)]
    fn swap(self, k: u32) -> Self {
        let shift = 21 * u64::from(k);
        let r0 = self.0 & Self::MASK;
        let rk = (self.0 >> shift) & Self::MASK;
        Queue(self.0 & !(Self::MASK | Self::MASK << shift) | rk | r0 << shift)
    }

    /// After a match item packed as `code << 9 | len`, as the decoder updates it (items.rs
    /// `apply`): both updates computed and one picked, without a branch (which kind of match
    /// wins is unpredictable).
    #[inline(always)]
    fn after_match(self, code: u32) -> Self {
        // `code & 3` keeps the unused swap's shift below 64.
        let swapped = self.swap(code & 3);
        let pushed = self.push(code.wrapping_sub(2));
        std::hint::select_unpredictable(code >= 3, pushed, swapped)
    }
}

/// The block being parsed and what the parse needs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Block<'a> {
    /// The whole (E8-translated) chunk.
    pub(super) data: &'a [u8],
    pub(super) start: usize,
    pub(super) end: usize,
    /// Matches of block position i: `cache[cache_at[i]..cache_at[i + 1]]`.
    pub(super) cache: &'a [Match],
    pub(super) cache_at: &'a [u32],
}

/// The lengths a node can be reached by from one position.
type Window = [u64; MAX_MATCH + 1];

/// Parses `b` under `costs` starting with repeated offsets `reps_in`; the items go to `items`.
pub(super) fn parse(
    b: &Block<'_>,
    costs: &Costs,
    reps_in: [u32; 3],
    search: &mut Search,
    items: &mut Vec<Item>,
) {
    let n = b.end - b.start;
    let data = b.data;
    let Search {
        nodes,
        queues,
        gap_first,
    } = search;
    if nodes.len() < n + MAX_MATCH + 1 {
        nodes.resize(n + MAX_MATCH + 1, INF);
    }
    // Slices of known lengths, so that the loop's indexes need no bounds checks.
    let nodes = &mut nodes[..n + MAX_MATCH + 1];
    let cache_at = &b.cache_at[..=n];
    let block = &data[b.start..b.end];
    nodes[..=n].fill(INF);
    nodes[0] = 0;
    queues[0] = Queue::new(reps_in);
    for i in 0..n {
        let base = (nodes[i] >> 32) as u32;
        let q = queues[i % RING];
        let p = b.start + i;
        let (s, e) = (cache_at[i] as usize, cache_at[i + 1] as usize);
        let max = (b.end - p).min(MAX_MATCH);
        if s < e && max >= MIN_MATCH {
            let w: &mut Window = (&mut nodes[i..i + MAX_MATCH + 1])
                .try_into()
                .expect("the node array has a window's slack");
            let last = relax_matches(data, p, max, &b.cache[s..e], q, base, costs, w);
            if let Some((len, f, c)) = last {
                relax_gap(b, p, i, len, f, c, costs, nodes, gap_first);
            }
        }
        // The literal, and the queue of the next position, whose best way is now known (a
        // literal wins a tie).
        let lit = block[i];
        let v = u64::from(base + costs.lit[usize::from(lit)]) << 32 | u64::from(lit) << 9;
        // Which way wins is unpredictable: the node and the queue are picked without a
        // branch (a literal's "source" queue is this position's, `q`).
        let best = v.min(nodes[i + 1]);
        nodes[i + 1] = best;
        let item = best as u32;
        let len = (item & 0x1ff) as usize;
        let next_q = if item & GAP == 0 {
            let src = queues[(i + 1 - len.max(1)) % RING];
            let matched = src.after_match((item >> 9) & 0x3f_ffff);
            std::hint::select_unpredictable(len == 0, src, matched)
        } else {
            // Keep the match before the gap in the cost half of the node before, which the
            // search no longer needs (the way back reads it there).
            let first = gap_first[(i + 1) % RING];
            nodes[i] = u64::from(first) << 32 | (nodes[i] & 0xffff_ffff);
            let from = i - len - (first & 0x1ff) as usize;
            queues[from % RING].push((first >> 9) - 2)
        };
        queues[(i + 1) % RING] = next_q;
    }
    backtrack(nodes, n, items);
}

/// Offers the repeated offsets and the cached `matches` at block position `p` (absolute), each
/// length once with the cheapest kind of offset that reaches it (R0, R1, R2, then explicit
/// offsets from the closest). Returns the longest explicit match offered (length, formatted
/// offset, cost), for the gap way.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn relax_matches(
    data: &[u8],
    p: usize,
    max: usize,
    matches: &[Match],
    q: Queue,
    base: u32,
    costs: &Costs,
    w: &mut Window,
) -> Option<(usize, u32, u32)> {
    let mut next = MIN_MATCH;
    // R0, then R1 and R2 where they differ from the ones before and match the byte that would
    // make them longer than what is offered already.
    let (r0, r1, r2) = (q.get(0), q.get(1), q.get(2));
    let at = u64::from(base) << 32;
    if r0 <= p {
        let len = rep_len(data, p - r0, p, max);
        if len >= MIN_MATCH {
            relax_range(w, &costs.matches[0], at, MIN_MATCH, len);
            next = len + 1;
        }
    }
    if r1 != r0 && r1 <= p && next <= max && data[p - r1 + next - 1] == data[p + next - 1] {
        let len = rep_len(data, p - r1, p, max);
        if len >= next {
            relax_range(w, &costs.matches[1], at | 1 << 9, next, len);
            next = len + 1;
        }
    }
    if r2 != r0
        && r2 != r1
        && r2 <= p
        && next <= max
        && data[p - r2 + next - 1] == data[p + next - 1]
    {
        let len = rep_len(data, p - r2, p, max);
        if len >= next {
            relax_range(w, &costs.matches[2], at | 2 << 9, next, len);
            next = len + 1;
        }
    }
    let mut last = None;
    for m in matches {
        let hi = (m.len as usize).min(max);
        if hi < next {
            continue;
        }
        let f = m.offset + 2;
        let slot = slot_of(f) & (SLOT_TABLE - 1);
        let add = base + costs.low[slot][(f & 7) as usize];
        let price = &costs.matches[slot];
        relax_range(w, price, u64::from(add) << 32 | u64::from(f << 9), next, hi);
        next = hi + 1;
        last = Some((hi, f, add + (price[hi] >> 32) as u32));
    }
    last
}

/// Offers the nodes `lo..=hi` positions ahead the lengths `lo..=hi` of one match: `at` is
/// the node of its start (cost and offset code), `price` the node each length adds.
#[inline(always)]
fn relax_range(w: &mut Window, price: &[u64; MAX_MATCH + 1], at: u64, lo: usize, hi: usize) {
    // An exclusive range: `lo..=hi` compiles to a slower loop. A branchless `min` (measured:
    // 4-5% faster than a conditional store, whose branch is unpredictable).
    for l in lo..hi.min(MAX_MATCH) + 1 {
        let v = at + price[l];
        w[l] = w[l].min(v);
    }
}

/// Length of the match at `p` with the earlier position `a`, up to `max`; 0 when shorter than
/// two bytes.
#[inline(always)]
fn rep_len(data: &[u8], a: usize, p: usize, max: usize) -> usize {
    if data[a..a + 2] != data[p..p + 2] {
        return 0;
    }
    extend(data, a, p, 2, max)
}

/// The gap way after the longest explicit match at block position `i` (absolute `p`): that
/// match (`len` bytes, formatted offset `f`, reaching its end at cost `c`), one literal, then
/// R0 again.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn relax_gap(
    b: &Block<'_>,
    p: usize,
    i: usize,
    len: usize,
    f: u32,
    c: u32,
    costs: &Costs,
    nodes: &mut [u64],
    gap_first: &mut [u32; RING],
) {
    let data = b.data;
    let off = (f - 2) as usize;
    let s = p + len + 1;
    if s + MIN_MATCH > b.end || data[s - off..s - off + 2] != data[s..s + 2] {
        return;
    }
    let r = extend(data, s - off, s, 2, (b.end - s).min(MAX_MATCH));
    let lit = data[s - 1];
    let gc = c + costs.lit[usize::from(lit)] + (costs.matches[0][r] >> 32) as u32;
    let j = i + len + 1 + r;
    let v = u64::from(gc) << 32 | u64::from(GAP | u32::from(lit) << 9 | r as u32);
    if v < nodes[j] {
        nodes[j] = v;
        gap_first[j % RING] = f << 9 | len as u32;
    }
}

/// Appends the items of the best way to the end of the block (`n`), in order.
fn backtrack(nodes: &[u64], n: usize, items: &mut Vec<Item>) {
    items.clear();
    let mut j = n;
    while j > 0 {
        let item = nodes[j] as u32;
        let len = item & 0x1ff;
        if item & GAP == 0 {
            items.push(Item::new(len, item >> 9));
            j -= (len as usize).max(1);
        } else {
            // Backwards: the R0 match, the literal, the explicit match (kept in the node
            // before).
            let first = (nodes[j - 1] >> 32) as u32;
            items.push(Item::new(len, 0));
            items.push(Item::literal((item >> 9) as u8));
            items.push(Item::new(first & 0x1ff, first >> 9));
            j -= len as usize + 1 + (first & 0x1ff) as usize;
        }
    }
    items.reverse();
}

#[cfg(test)]
impl Search {
    /// Gap ways on the best path to block position `n` after a parse (for tests).
    pub(super) fn gap_ways(&self, n: usize) -> usize {
        let (mut j, mut gaps) = (n, 0);
        while j > 0 {
            let item = self.nodes[j] as u32;
            let len = (item & 0x1ff) as usize;
            if item & GAP == 0 {
                j -= len.max(1);
            } else {
                gaps += 1;
                j -= len + 1 + ((self.nodes[j - 1] >> 32) as usize & 0x1ff);
            }
        }
        gaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lzx::items::apply;

    #[test]
    fn queue_updates_like_the_decoder() {
        let mut r = [1u32, 7, 300_000];
        let mut q = Queue::new(r);
        for (len, code) in [
            (0, 65),
            (4, 1),
            (3, 2),
            (5, 0),
            (9, 1_000_002),
            (2, 2),
            (7, 12),
        ] {
            let item = Item::new(len, code);
            apply(&mut r, item);
            if len != 0 {
                q = q.after_match(code);
            }
            assert_eq!([q.get(0), q.get(1), q.get(2)], r.map(|x| x as usize));
        }
    }
}
