//! The encoder's parse of one block: a forward shortest-path search over the block's
//! positions, where the edges are literals, repeated-offset matches (R0..R2, carried along the
//! best path to each position, as the decoder will track them) and every length of every
//! cached match, each priced in bits with the previous pass's Huffman lengths.
//!
//! A match of `nice` bytes or more is taken as soon as the search reaches its position: the
//! best path up to there is final, and the search restarts after the match.

use super::consts::*;
use super::items::{slot_of, Item};
use super::matchfind::{extend, Match};

/// Cost of an unreachable position.
const INF: u32 = u32::MAX;

/// Bit prices of the symbols, arranged for the parse.
#[derive(Debug)]
pub(super) struct Costs {
    pub(super) lit: [u32; NUM_CHARS],
    /// Price of the main symbol and length symbol of a match, by position slot and length
    /// (without the offset's extra bits).
    pub(super) matches: Vec<[u32; MAX_MATCH + 1]>,
    /// Verbatim extra bits of each position slot, less the aligned bits when those are
    /// priced by `aligned`.
    pub(super) extra: [u32; MAX_SLOTS],
    /// Price of the low 3 offset bits in slots with at least 3 extra bits: the aligned
    /// tree's lengths, or 3 each.
    pub(super) aligned: [u32; ALIGNED_SYMS],
}

impl Default for Costs {
    fn default() -> Self {
        Costs {
            lit: [0; NUM_CHARS],
            matches: Vec::new(),
            extra: [0; MAX_SLOTS],
            aligned: [0; ALIGNED_SYMS],
        }
    }
}

impl Costs {
    /// The aligned part of a formatted offset's price (0 in slots that have none).
    #[inline(always)]
    fn aligned_cost(&self, f: u32, slot: usize) -> u32 {
        if u32::from(EXTRA_BITS[slot]) >= ALIGNED_BITS {
            self.aligned[(f & 7) as usize]
        } else {
            0
        }
    }
}

/// One position of the search: the cheapest known way to get there, as its cost (high 32
/// bits) and the last item packed as `code << 9 | len` (low 32 bits; the item starts
/// `max(len, 1)` positions earlier). One integer, so that keeping the cheaper of two is a
/// `min` without a branch (of equal costs, the smaller packed item stays).
#[derive(Debug, Clone, Copy)]
pub(super) struct Node(u64);

impl Node {
    #[inline(always)]
    fn new(cost: u32, item: u32) -> Self {
        Node(u64::from(cost) << 32 | u64::from(item))
    }

    #[inline(always)]
    fn cost(self) -> u32 {
        (self.0 >> 32) as u32
    }

    #[inline(always)]
    fn packed(self) -> u32 {
        self.0 as u32
    }

    #[inline(always)]
    fn item(self) -> Item {
        Item::new(self.packed() & 0x1ff, self.packed() >> 9)
    }

    #[inline(always)]
    fn from(self, j: usize) -> usize {
        j - ((self.packed() & 0x1ff) as usize).max(1)
    }
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
    nodes: &mut Vec<Node>,
    queues: &mut Vec<Queue>,
    items: &mut Vec<Item>,
) {
    let n = b.end - b.start;
    let data = b.data;
    items.clear();
    nodes.clear();
    nodes.resize(n + 1, Node::new(INF, 0));
    queues.clear();
    queues.resize(n + 1, Queue::default());
    let mut seg = 0usize;
    let mut reach = 0usize;
    nodes[0] = Node::new(0, 0);
    queues[0] = Queue::new(reps_in);
    let mut i = 0usize;
    while i < n {
        let here = nodes[i];
        let q = if i > seg {
            let q = queues[here.from(i)].after(here.packed());
            queues[i] = q;
            q
        } else {
            queues[i]
        };
        let base = here.cost();
        let p = b.start + i;
        let lit = data[p];
        relax(
            &mut nodes[i + 1],
            base + costs.lit[usize::from(lit)],
            u32::from(lit) << 9,
        );
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
            backtrack(nodes, seg, i, items);
            items.push(item);
            let q = q.after(item.code << 9 | item.len);
            i += item.len as usize;
            // Forget what was relaxed past the new start from before it.
            for node in &mut nodes[i + 1..=reach.max(i).min(n)] {
                *node = Node::new(INF, 0);
            }
            seg = i;
            nodes[i] = Node::new(0, 0);
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
            let mc = &costs.matches[k];
            let targets = &mut nodes[i + next..=i + rl];
            for (d, (node, &c)) in targets.iter_mut().zip(&mc[next..=rl]).enumerate() {
                relax(node, base + c, pack(next + d, k as u32));
            }
            next = rl + 1;
        }
        for m in matches {
            let hi = m.len as usize;
            if hi < next {
                continue;
            }
            let f = m.offset + 2;
            let slot = slot_of(f);
            let add = base + costs.extra[slot] + costs.aligned_cost(f, slot);
            let mc = &costs.matches[slot];
            let targets = &mut nodes[i + next..=i + hi];
            for (d, (node, &c)) in targets.iter_mut().zip(&mc[next..=hi]).enumerate() {
                relax(node, add + c, pack(next + d, f));
            }
            next = hi + 1;
        }
        reach = reach.max(i + next - 1);
        i += 1;
    }
    backtrack(nodes, seg, n, items);
}

#[inline(always)]
fn relax(node: &mut Node, cost: u32, item: u32) {
    node.0 = node.0.min(Node::new(cost, item).0);
}

/// Appends the items of the best path from `seg` to `to`.
fn backtrack(nodes: &[Node], seg: usize, to: usize, items: &mut Vec<Item>) {
    let first = items.len();
    let mut j = to;
    while j > seg {
        items.push(nodes[j].item());
        j = nodes[j].from(j);
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
