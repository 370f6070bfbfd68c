//! The XPRESS encoder's parse ([MS-XCA] 2.1 leaves the parse to the encoder): hash-chain
//! match finding with one position of lazy evaluation.
//!
//! Matches come from the hash chains of [`super::finder`]. At each position the longest match
//! is looked for; if the next position has a match worth more (longer without a much larger
//! offset, or as long with a much smaller one: [`gain`]), a literal is taken instead (and the
//! next position is looked at the same way, with the lazy search depth of the
//! [`super::Effort`]), else the match. A length-3 match farther than [`LEN3_FAR`] costs more
//! than its three literals and is not taken.
//!
//! The hashes of each position are computed once, one position ahead, and the next chain head
//! loaded early, so that its latency overlaps the current position's chain walk.

use std::cell::RefCell;

use super::finder::Finder;
use super::item::Item;
use super::{BLOCK_SIZE, MAX_OFFSET, MIN_MATCH, NUM_SYMBOLS};

// Every match within a chunk (at most one block) is in reach of an offset.
const _: () = assert!(BLOCK_SIZE - 1 <= MAX_OFFSET);

/// Symbol counts of a parse.
pub(super) type Freqs = [u32; NUM_SYMBOLS];

/// How hard the parse searches: chain links followed for the match at a position, and at the
/// next position for the lazy evaluation; a match of `nice` bytes or more is taken at once,
/// without looking further or ahead (it is still extended as far as it goes).
#[derive(Debug, Clone, Copy)]
pub(super) struct Params {
    pub(super) depth: u32,
    pub(super) lazy_depth: u32,
    pub(super) nice: usize,
}
/// The lazy evaluation takes the match at the next position (after a literal) when its
/// [`gain`] exceeds the current match's by more than [`LAZY_MARGIN`]: a longer match unless its
/// offset has two or more bits more, a match as long when its offset has two or more bits
/// fewer. Measured on 16 MB of each corpus of `codecs/bench/bench-compressors.sh` against
/// "longer wins" (wimlib's rule): 0.37% / 0.38% smaller output; weights (per byte, margin) of
/// (4, 1) gave 0.36% / 0.37%, (4, 0) 0.34% / 0.35%, (8, 2) 0.29% / 0.31%, (2, 1) 0.36% / 0.42%.
const GAIN_PER_BYTE: usize = 3;
const LAZY_MARGIN: isize = 1;
/// Length-3 matches at least this far cost more than three literals.
const LEN3_FAR: usize = 4096;
thread_local! {
    static SCRATCH: RefCell<(Finder, Vec<Item>)> = RefCell::new(Default::default());
}

/// Parses `data` (at most 64 KiB) into literals and matches and hands them to `f` with the
/// count of each symbol (without the end symbol).
/// The parse is compiled once per set of parameters (`DEPTH`, `LAZY_DEPTH`, `NICE`: the
/// fields of a [`Params`]), with them constant.
pub(super) fn with_items<const DEPTH: u32, const LAZY_DEPTH: u32, const NICE: usize, R>(
    data: &[u8],
    f: impl FnOnce(&[Item], &Freqs) -> R,
) -> R {
    let params = Params {
        depth: DEPTH,
        lazy_depth: LAZY_DEPTH,
        nice: NICE,
    };
    let mut freq = [0u32; NUM_SYMBOLS];
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => {
            let (finder, items) = &mut *s;
            parse(data, params, finder, items, &mut freq);
            f(items, &freq)
        }
        Err(_) => {
            let (mut finder, mut items) = <(Finder, Vec<Item>)>::default();
            parse(data, params, &mut finder, &mut items, &mut freq);
            f(&items, &freq)
        }
    })
}

/// What a match saves, in the units of the lazy evaluation's comparison: [`GAIN_PER_BYTE`] per
/// byte it covers, less one per offset bit.
#[inline(always)]
fn gain(len: usize, off: usize) -> isize {
    (len * GAIN_PER_BYTE) as isize - off.ilog2() as isize
}

fn parse(data: &[u8], p: Params, mf: &mut Finder, items: &mut Vec<Item>, freq: &mut Freqs) {
    let n = data.len().min(BLOCK_SIZE);
    mf.reset(data);
    items.clear();
    let (depth, nice) = (p.depth, p.nice);
    let far3 = if n <= 8192 { LEN3_FAR / 2 } else { LEN3_FAR };
    // Positions are the finder's: the chunk is at `base..end`.
    let (base, end) = (mf.base, mf.end);
    let literal = |p: usize, freq: &mut Freqs| {
        let b = data[p - base];
        freq[usize::from(b)] += 1;
        Item::literal(b)
    };
    let mut pos = base;
    let mut h = mf.hashes(pos);
    while pos < end {
        let mut h_next = mf.hashes(pos + 1);
        let (mut len, mut off) = mf.longest(pos, h, h_next, 2, depth, nice);
        if len < MIN_MATCH || (len == MIN_MATCH && off >= far3) {
            items.push(literal(pos, freq));
            pos += 1;
            h = h_next;
            continue;
        }
        // A match at `pos`: try the next position while this one is not long enough.
        let mut looked_ahead = false;
        while len < nice {
            let h_after = mf.hashes(pos + 2);
            // Matches as long as this one count too: a nearer one can be worth the literal.
            let (next_len, next_off) =
                mf.longest(pos + 1, h_next, h_after, len - 1, p.lazy_depth, nice);
            if next_len < MIN_MATCH || gain(next_len, next_off) <= gain(len, off) + LAZY_MARGIN {
                looked_ahead = true;
                break;
            }
            items.push(literal(pos, freq));
            pos += 1;
            (len, off) = (next_len, next_off);
            h_next = h_after;
        }
        let item = Item::new_match(len as u32, off as u32);
        freq[item.symbol()] += 1;
        items.push(item);
        // Insert the positions the match covers (the first one, or two, already are).
        let inserted = if looked_ahead { pos + 2 } else { pos + 1 };
        for p in inserted..(pos + len).min(end.saturating_sub(3)) {
            mf.insert(p);
        }
        pos += len;
        h = mf.hashes(pos);
    }
}
