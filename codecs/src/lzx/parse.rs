//! The encoder's parse of one block: a forward shortest-path search over the block's
//! positions, where the edges are literals, repeated-offset matches (R0..R2, carried along the
//! best path to each position, as the decoder will track them) and every length of every
//! cached match, each priced in bits with the previous pass's Huffman lengths.
//!
//! A match of `nice` bytes or more is taken as soon as the search reaches its position: the
//! best path up to there is final, and the search restarts after the match.

use super::consts::*;
use super::items::{apply, slot_of, Item};
use super::matchfind::{extend, Match};

/// Cost of an unreachable position.
const INF: u32 = u32::MAX;

/// Bit prices of the symbols, arranged for the parse.
#[derive(Debug)]
pub(super) struct Costs {
    pub(super) lit: [u32; NUM_CHARS],
    /// Main-symbol price of each (position slot, length header).
    pub(super) slot: Vec<[u32; NUM_LEN_HEADERS]>,
    /// Length-tree price by match length (0 below 9).
    pub(super) len_part: [u32; MAX_MATCH + 1],
}

/// Length header of a match length (the low 3 bits of its main symbol).
#[inline(always)]
fn header(len: usize) -> usize {
    (len - MIN_MATCH).min(NUM_PRIMARY_LENS)
}

/// One position of the search: the cheapest known way to get there, as its cost and the
/// last item packed as `code << 9 | len` (the item starts `max(len, 1)` positions earlier).
#[derive(Debug, Clone, Copy)]
pub(super) struct Node {
    cost: u32,
    item: u32,
}

impl Node {
    #[inline(always)]
    fn item(self) -> Item {
        Item::new(self.item & 0x1ff, self.item >> 9)
    }

    #[inline(always)]
    fn from(self, j: usize) -> usize {
        j - ((self.item & 0x1ff) as usize).max(1)
    }
}

#[inline(always)]
fn pack(len: usize, code: u32) -> u32 {
    code << 9 | len as u32
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
    reps_at: &mut Vec<[u32; 3]>,
    items: &mut Vec<Item>,
) {
    let n = b.end - b.start;
    items.clear();
    nodes.clear();
    nodes.resize(n + 1, Node { cost: INF, item: 0 });
    reps_at.resize(n + 1, [1; 3]);
    let mut seg = 0usize;
    let mut reach = 0usize;
    nodes[0].cost = 0;
    reps_at[0] = reps_in;
    let mut i = 0usize;
    while i < n {
        let here = nodes[i];
        if i > seg {
            let mut r = reps_at[here.from(i)];
            apply(&mut r, here.item());
            reps_at[i] = r;
        }
        let base = here.cost;
        let reps = reps_at[i];
        let p = b.start + i;
        let max = (b.end - p).min(MAX_MATCH);
        let matches = &b.cache[b.cache_at[i] as usize..b.cache_at[i + 1] as usize];

        let mut rep_lens = [0usize; 3];
        for k in 0..3 {
            let dup = (k >= 1 && reps[k] == reps[0]) || (k == 2 && reps[2] == reps[1]);
            let off = reps[k] as usize;
            if !dup && off != 0 && off <= p && max >= MIN_MATCH {
                rep_lens[k] = extend(b.data, p - off, p, 0, max);
            }
        }
        let mut best_rep = 0;
        for k in 1..3 {
            if rep_lens[k] > rep_lens[best_rep] {
                best_rep = k;
            }
        }
        let longest = matches.last().map_or(0, |m| m.len as usize);

        if rep_lens[best_rep] >= b.nice || longest >= b.nice {
            // Take the long match: the path up to here is final.
            let item = match matches.last() {
                Some(m) if longest > rep_lens[best_rep] + 2 => Item::new(m.len, m.offset + 2),
                _ => Item::new(rep_lens[best_rep] as u32, best_rep as u32),
            };
            backtrack(nodes, seg, i, items);
            items.push(item);
            let mut r = reps;
            apply(&mut r, item);
            i += item.len as usize;
            // Forget what was relaxed past the new start from before it.
            for node in &mut nodes[i + 1..=reach.max(i).min(n)] {
                node.cost = INF;
            }
            seg = i;
            nodes[i].cost = 0;
            reps_at[i] = r;
            continue;
        }

        // Literal.
        let lit = b.data[p];
        relax(
            &mut nodes[i + 1],
            base + costs.lit[usize::from(lit)],
            u32::from(lit) << 9,
        );
        let mut far = i + 1;
        // Repeated offsets, every length.
        for (k, &rl) in rep_lens.iter().enumerate() {
            if rl < MIN_MATCH {
                continue;
            }
            let sc = costs.slot[k];
            let targets = &mut nodes[i + MIN_MATCH..=i + rl];
            let lens = &costs.len_part[MIN_MATCH..=rl];
            for (d, (node, &lp)) in targets.iter_mut().zip(lens).enumerate() {
                let l = MIN_MATCH + d;
                relax(node, base + sc[header(l)] + lp, pack(l, k as u32));
            }
            far = far.max(i + rl);
        }
        // Explicit offsets: each length once, with the closest match that reaches it.
        let mut lo = MIN_MATCH + 1;
        for m in matches {
            let hi = m.len as usize;
            if hi < lo {
                continue;
            }
            if reps.contains(&m.offset) {
                // Priced above as a repeated offset.
                lo = hi + 1;
                continue;
            }
            let f = m.offset + 2;
            let slot = slot_of(f);
            let add = base + u32::from(EXTRA_BITS[slot]);
            let sc = costs.slot[slot];
            let targets = &mut nodes[i + lo..=i + hi];
            let lens = &costs.len_part[lo..=hi];
            for (d, (node, &lp)) in targets.iter_mut().zip(lens).enumerate() {
                let l = lo + d;
                relax(node, add + sc[header(l)] + lp, pack(l, f));
            }
            far = far.max(i + hi);
            lo = hi + 1;
        }
        reach = reach.max(far);
        i += 1;
    }
    backtrack(nodes, seg, n, items);
}

#[inline(always)]
fn relax(node: &mut Node, cost: u32, item: u32) {
    if cost < node.cost {
        *node = Node { cost, item };
    }
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
