//! The encoder's parse of one block: a forward shortest-path search over the block's
//! positions, where the edges are literals, repeated-offset matches (R0..R2, carried along the
//! best path to each position, as the decoder will track them) and every length of every
//! cached match, each priced in 1/16 bits from the previous pass's statistics. One more edge
//! after the longest explicit match of a position: the "gap" way of that match, one literal
//! and the same offset again as R0 (what wimlib's parse also weighs).
//!
//! A match of `nice` bytes or more is taken as soon as the search reaches its position: the
//! best path up to there is final, and the search restarts after the match.

use super::consts::*;
use super::items::{slot_of, Item};
use super::matchfind::{extend, Match};

/// Cost of an unreachable position.
const INF: u32 = i32::MAX as u32;

/// Bit prices of the symbols, arranged for the parse.
#[derive(Debug)]
pub(super) struct Costs {
    pub(super) lit: [u32; NUM_CHARS],
    /// Price of the main symbol, the length symbol and the verbatim extra offset bits of a
    /// match, by position slot and length (without the aligned bits of slots that have them).
    pub(super) matches: Vec<[u32; MAX_MATCH + 1]>,
    /// Price of the low 3 offset bits by position slot and their value: the aligned tree's
    /// lengths (or 3 bits each) in slots with at least 3 extra bits, 0 in the others. One lookup
    /// per match, without a branch.
    pub(super) low: [[u32; ALIGNED_SYMS]; MAX_SLOTS],
}

impl Default for Costs {
    fn default() -> Self {
        Costs {
            lit: [0; NUM_CHARS],
            matches: Vec::new(),
            low: [[0; ALIGNED_SYMS]; MAX_SLOTS],
        }
    }
}

/// The search's arrays, one entry per position of the block (plus the end), reused from block
/// to block: the cheapest known cost to reach each position, and the last item of that way
/// packed as `code << 9 | len` (the item starts `max(len, 1)` positions earlier). Costs and
/// items apart, so that relaxing a run of lengths is a loop the compiler vectorizes.
#[derive(Debug, Default)]
pub(super) struct Search {
    cost: Vec<u32>,
    arrival: Vec<u32>,
    /// For an arrival with [`GAP`] set: the explicit match before the literal, packed.
    gap_first: Vec<u32>,
    queues: Vec<Queue>,
}

/// Set in an arrival packed as `GAP | literal << 9 | len`: a "gap" way, an explicit match
/// (in `gap_first`), one literal, then an R0 match of `len` bytes, that is the same offset
/// again after one differing byte (common in tables and machine code). The one-step search
/// cannot find it, as the R0 match only exists on the path through the match before.
const GAP: u32 = 1 << 31;

#[inline(always)]
fn item_of(packed: u32) -> Item {
    Item::new(packed & 0x1ff, packed >> 9)
}

#[inline(always)]
fn from(packed: u32, j: usize) -> usize {
    j - ((packed & 0x1ff) as usize).max(1)
}

#[inline(always)]
fn pack(len: usize, code: u32) -> u32 {
    code << 9 | len as u32
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

    /// The queue after the item packed in a node (`code << 9 | len`), as the decoder updates
    /// it (items.rs `apply`).
    #[inline(always)]
    fn after(self, item: u32) -> Self {
        let code = u64::from(item >> 9);
        if item & 0x1ff == 0 || code == 0 {
            self
        } else if code >= 3 {
            Queue(((self.0 << 21) | (code - 2)) & (u64::MAX >> 1))
        } else {
            // Swap R0 with R1 or R2.
            let shift = 21 * code;
            let r0 = self.0 & Self::MASK;
            let rk = (self.0 >> shift) & Self::MASK;
            Queue(self.0 & !(Self::MASK | Self::MASK << shift) | rk | r0 << shift)
        }
    }
}

/// The block being parsed and what the parse needs.
#[derive(Debug)]
pub(super) struct Block<'a> {
    /// The whole (E8-translated) chunk.
    pub(super) data: &'a [u8],
    pub(super) start: usize,
    pub(super) end: usize,
    /// Matches of block position i: `cache[cache_at[i]..cache_at[i + 1]]`.
    pub(super) cache: &'a [Match],
    pub(super) cache_at: &'a [u32],
    pub(super) nice: usize,
}

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
    items.clear();
    let Search {
        cost,
        arrival,
        gap_first,
        queues,
    } = search;
    // Only the costs need a value up front: a position's arrival (and gap match) is written
    // with its first finite cost, and its queue when the search reaches it.
    for v in [&mut *cost, &mut *arrival, &mut *gap_first] {
        if v.len() < n + 1 {
            v.resize(n + 1, 0);
        }
    }
    if queues.len() < n + 1 {
        queues.resize(n + 1, Queue::default());
    }
    cost[..=n].fill(INF);
    let mut seg = 0usize;
    let mut reach = 0usize;
    cost[0] = 0;
    queues[0] = Queue::new(reps_in);
    let mut i = 0usize;
    while i < n {
        let here = arrival[i];
        let q = if i > seg {
            let q = if here & GAP == 0 {
                queues[from(here, i)].after(here)
            } else {
                // The R0 match and the literal leave the queue as the first match left it.
                let first = gap_first[i];
                let span = (here & 0x1ff) as usize + 1 + (first & 0x1ff) as usize;
                queues[i - span].after(first)
            };
            queues[i] = q;
            q
        } else {
            queues[i]
        };
        let base = cost[i];
        let p = b.start + i;
        let lit = data[p];
        let lc = base + costs.lit[usize::from(lit)];
        if lc < cost[i + 1] {
            cost[i + 1] = lc;
            arrival[i + 1] = u32::from(lit) << 9;
        }
        let matches = &b.cache[b.cache_at[i] as usize..b.cache_at[i + 1] as usize];
        let Some(last) = matches.last() else {
            // The match finder reports every match of 2 bytes or more it sees; where it saw
            // none, a repeated offset rarely matches either (the heuristic of wimlib's parse).
            reach = reach.max(i + 1);
            i += 1;
            continue;
        };
        let max = (b.end - p).min(MAX_MATCH);
        let mut rep_lens = [0usize; 3];
        let (r0, r1, r2) = (q.get(0), q.get(1), q.get(2));
        for (k, off) in [r0, r1, r2].into_iter().enumerate() {
            let dup = (k >= 1 && off == r0) || (k == 2 && off == r1);
            if !dup && off <= p && max >= MIN_MATCH && data[p - off..p - off + 2] == data[p..p + 2]
            {
                rep_lens[k] = extend(data, p - off, p, 2, max);
            }
        }
        let mut best_rep = 0;
        for k in 1..3 {
            if rep_lens[k] > rep_lens[best_rep] {
                best_rep = k;
            }
        }
        let longest = last.len as usize;
        if rep_lens[best_rep] >= b.nice || longest >= b.nice {
            // Take the long match: the path up to here is final.
            let item = if longest > rep_lens[best_rep] + 2 {
                Item::new(last.len, last.offset + 2)
            } else {
                Item::new(rep_lens[best_rep] as u32, best_rep as u32)
            };
            backtrack(arrival, gap_first, seg, i, items);
            items.push(item);
            let q = q.after(item.code << 9 | item.len);
            i += item.len as usize;
            // Forget what was relaxed past the new start from before it.
            cost[i + 1..=reach.max(i).min(n)].fill(INF);
            seg = i;
            cost[i] = 0;
            queues[i] = q;
            continue;
        }

        // Each length once, with the cheapest kind of offset that reaches it (R0, R1, R2,
        // then explicit offsets from the closest).
        let mut next = MIN_MATCH;
        for (k, &rl) in rep_lens.iter().enumerate() {
            if rl < next {
                continue;
            }
            relax_run(
                &mut cost[i + next..=i + rl],
                &mut arrival[i + next..=i + rl],
                &costs.matches[k][next..=rl],
                base,
                pack(next, k as u32),
            );
            next = rl + 1;
        }
        let mut longest_explicit = None;
        for m in matches {
            let hi = m.len as usize;
            if hi < next {
                continue;
            }
            let f = m.offset + 2;
            let slot = slot_of(f);
            let add = base + costs.low[slot][(f & 7) as usize];
            let price = &costs.matches[slot];
            relax_run(
                &mut cost[i + next..=i + hi],
                &mut arrival[i + next..=i + hi],
                &price[next..=hi],
                add,
                pack(next, f),
            );
            next = hi + 1;
            longest_explicit = Some((hi, f, add + price[hi]));
        }
        reach = reach.max(i + next - 1);
        if let Some((len, f, c)) = longest_explicit {
            // The gap way after the longest explicit match: one literal, then R0 again.
            let off = (f - 2) as usize;
            let s = p + len + 1;
            if s + MIN_MATCH <= b.end && data[s - off..s - off + 2] == data[s..s + 2] {
                let r = extend(data, s - off, s, 2, (b.end - s).min(MAX_MATCH));
                let lit = data[s - 1];
                let gc = c + costs.lit[usize::from(lit)] + costs.matches[0][r];
                let j = i + len + 1 + r;
                if gc < cost[j] {
                    cost[j] = gc;
                    arrival[j] = GAP | u32::from(lit) << 9 | r as u32;
                    gap_first[j] = pack(len, f);
                }
                reach = reach.max(j);
            }
        }
        i += 1;
    }
    backtrack(arrival, gap_first, seg, n, items);
}

/// Offers the positions `cost.len()` bytes from here a match of consecutive lengths: the
/// `d`-th costs `add + price[d]` and is packed as `first + d` (`first` packs the shortest
/// length). Of equal costs the later offer wins (measured on /usr/bin chunks: 0.03% smaller
/// than keeping the first, and as small as keeping the smaller packed item, which costs two
/// more comparisons per lane). Written
/// without branches over equal-length slices, so that the compiler vectorizes it.
#[inline(always)]
fn relax_run(cost: &mut [u32], arrival: &mut [u32], price: &[u32], add: u32, first: u32) {
    let k = cost.len().min(arrival.len()).min(price.len());
    let (cost, arrival, price) = (&mut cost[..k], &mut arrival[..k], &price[..k]);
    for d in 0..k {
        // Costs stay below 2^31: a signed comparison (SSE2 has it), and a mask of all ones
        // where the new way is as cheap or cheaper (the form the compiler vectorizes).
        let c = (add + price[d]) as i32;
        let old = cost[d] as i32;
        let better = -i32::from(c <= old);
        cost[d] = ((c & better) | (old & !better)) as u32;
        arrival[d] = (((first + d as u32) as i32 & better) | (arrival[d] as i32 & !better)) as u32;
    }
}

/// Appends the items of the best path from `seg` to `to`.
fn backtrack(arrival: &[u32], gap_first: &[u32], seg: usize, to: usize, items: &mut Vec<Item>) {
    let first = items.len();
    let mut j = to;
    while j > seg {
        let a = arrival[j];
        if a & GAP == 0 {
            items.push(item_of(a));
            j = from(a, j);
        } else {
            // Backwards: the R0 match, the literal, the explicit match.
            let before = gap_first[j];
            items.push(Item::new(a & 0x1ff, 0));
            items.push(Item::literal((a >> 9) as u8));
            items.push(item_of(before));
            j -= (a & 0x1ff) as usize + 1 + (before & 0x1ff) as usize;
        }
    }
    items[first..].reverse();
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
            q = q.after(code << 9 | len);
            assert_eq!([q.get(0), q.get(1), q.get(2)], r.map(|x| x as usize));
        }
    }
}
