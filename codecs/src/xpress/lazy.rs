//! The XPRESS encoder's parse ([MS-XCA] 2.1 leaves the parse to the encoder): hash-chain
//! match finding with one position of lazy evaluation.
//!
//! Positions are linked into chains by a hash of their first 4 bytes; a second table keeps
//! the latest position of each 3-byte hash, which gives the length-3 matches (a chain walk only
//! finds matches of 4 bytes or more). At each position the longest match is looked for; if the
//! next position has a match worth more (longer without a much larger offset, or as long
//! with a much smaller one: [`gain`]), a literal is taken instead (and the next position is
//! looked at the same way, with half the search effort), else the match. A length-3 match
//! farther than [`LEN3_FAR`] costs more than its three literals and is not taken.
//!
//! The tables are kept per thread and reused from chunk to chunk without clearing: positions
//! are numbered on from one chunk to the next, so an entry below the current chunk's first
//! position is stale; only when the numbers would overflow the u16 entries are the tables
//! cleared (every other chunk of 32 KiB, less often for smaller ones), and then only the
//! buckets used, as many as each chunk's size called for. The hashes of each position are computed
//! once, one position ahead, and its buckets loaded early, so that their latency overlaps the
//! current position's chain walk.

use std::cell::RefCell;

use super::item::Item;
use super::{BLOCK_SIZE, MAX_OFFSET, MIN_MATCH, NUM_SYMBOLS};

// Every match within a chunk (at most one block) is in reach of an offset.
const _: () = assert!(BLOCK_SIZE - 1 <= MAX_OFFSET);

/// Symbol counts of a parse.
pub(super) type Freqs = [u32; NUM_SYMBOLS];

/// Bits of the 4-byte hash (chain heads): four buckets per position of a 32 KiB chunk. Measured
/// with `examples/compress_bench.rs`: 16 bits 2% slower (collisions lengthen the chains), 15
/// bits 5% slower.
const HASH4_BITS: u32 = 17;
/// Bits of the 3-byte hash (latest position only). 16 rather than 15: about 1% faster and
/// 0.01% smaller (fewer length-3 matches lost to collisions).
const HASH3_BITS: u32 = 16;
/// Chain links followed for the match at a position (half of them at the next position, for
/// the lazy evaluation). Measured on /usr/bin and /usr/libexec chunks
/// (`examples/compress_bench.rs`, against wimlib's default level): 32 gives output 0.43%
/// larger than wimlib's at 0.78x its speed, 16 0.72% larger at 0.87x.
const SEARCH_DEPTH: u32 = 16;
/// A match this long ends the search and is taken at once, without lazy evaluation; it is
/// still extended as far as it goes. (wimlib's default level uses 93 too.)
const NICE_LEN: usize = 93;
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
/// Room for a chunk and the bytes a match test may read past its end. Indexes into the fixed
/// size tables below are masked, which spares their bounds checks.
const DATA_MASK: usize = (1 << 17) - 1;
const DATA_LEN: usize = DATA_MASK + 1 + 8;
/// Positions of a chunk.
const POS_MASK: usize = BLOCK_SIZE - 1;

/// The chunk (zero padded) and the hash tables and chain links, reused from chunk to chunk.
#[derive(Debug)]
struct Finder {
    data: Box<[u8; DATA_LEN]>,
    head4: Box<[u16; 1 << HASH4_BITS]>,
    head3: Box<[u16; 1 << HASH3_BITS]>,
    prev: Box<[u16; BLOCK_SIZE]>,
    /// Positions are numbered on from chunk to chunk ([`Finder::reset`]): the current chunk
    /// is at `base..end` (of `data` too), and an entry below `base` is from an earlier chunk,
    /// hence no position: the tables are cleared only when the numbers run out.
    base: usize,
    end: usize,
    /// Buckets that may hold entries since the tables were last cleared.
    used4: usize,
    used3: usize,
    /// Masks of the hashes' low bits: fewer buckets (fewer to clear) for a small chunk.
    mask4: usize,
    mask3: usize,
}

/// A zeroed boxed array, made on the heap.
fn boxed<T: Copy + Default, const N: usize>() -> Box<[T; N]> {
    match vec![T::default(); N].into_boxed_slice().try_into() {
        Ok(b) => b,
        Err(_) => unreachable!("a vector of N elements"),
    }
}

impl Default for Finder {
    fn default() -> Self {
        Finder {
            data: boxed(),
            head4: boxed(),
            head3: boxed(),
            prev: boxed(),
            // (Zeroed tables: no entry is at or above 1.)
            base: 1,
            end: 1,
            used4: 0,
            used3: 0,
            mask4: (1 << HASH4_BITS) - 1,
            mask3: (1 << HASH3_BITS) - 1,
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<(Finder, Vec<Item>)> = RefCell::new(Default::default());
}

/// Parses `data` (at most 64 KiB) into literals and matches and hands them to `f` with the
/// count of each symbol (without the end symbol).
pub(super) fn with_items<R>(data: &[u8], f: impl FnOnce(&[Item], &Freqs) -> R) -> R {
    let mut freq = [0u32; NUM_SYMBOLS];
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => {
            let (finder, items) = &mut *s;
            parse(data, finder, items, &mut freq);
            f(items, &freq)
        }
        Err(_) => {
            let (mut finder, mut items) = <(Finder, Vec<Item>)>::default();
            parse(data, &mut finder, &mut items, &mut freq);
            f(&items, &freq)
        }
    })
}

impl Finder {
    /// Takes a new chunk of at most 64 KiB, numbered on after the previous one while the
    /// positions fit in the u16 entries, else from 1 after clearing the tables.
    fn reset(&mut self, chunk: &[u8]) {
        let n = chunk.len().min(BLOCK_SIZE);
        // The largest entry is `end - 4` (an inserted position has 4 bytes after it).
        if self.end + n > 1 << 16 {
            self.head4[..self.used4].fill(0);
            self.head3[..self.used3].fill(0);
            (self.used4, self.used3) = (0, 0);
            self.end = 1;
        }
        let base = self.end;
        self.base = base;
        self.end = base + n;
        self.data[base..base + n].copy_from_slice(&chunk[..n]);
        // Zeros after it, for the 8-byte compares near the end.
        self.data[base + n..base + n + 16].fill(0);
        // Four chain buckets per position (two for the 3-byte table), within the table sizes.
        let log2 = n.max(1).next_power_of_two().ilog2();
        let bits4 = (log2 + 2).clamp(10, HASH4_BITS);
        let bits3 = (log2 + 1).clamp(10, HASH3_BITS);
        self.mask4 = (1 << bits4) - 1;
        self.mask3 = (1 << bits3) - 1;
        self.used4 = self.used4.max(1 << bits4);
        self.used3 = self.used3.max(1 << bits3);
        // Links need no clearing: each is written when its position is inserted.
    }

    #[inline(always)]
    fn u32_at(&self, i: usize) -> u32 {
        let j = i & DATA_MASK;
        let mut x = [0u8; 4];
        x.copy_from_slice(&self.data[j..j + 4]);
        u32::from_le_bytes(x)
    }

    #[inline(always)]
    fn u64_at(&self, i: usize) -> u64 {
        let j = i & DATA_MASK;
        let mut x = [0u8; 8];
        x.copy_from_slice(&self.data[j..j + 8]);
        u64::from_le_bytes(x)
    }

    #[inline(always)]
    fn hashes(&self, pos: usize) -> (usize, usize) {
        let v = self.u32_at(pos);
        let h4 = v.wrapping_mul(0x9E37_79B1) >> (32 - HASH4_BITS);
        let h3 = (v << 8).wrapping_mul(0x9E37_79B1) >> (32 - HASH3_BITS);
        (h4 as usize & self.mask4, h3 as usize & self.mask3)
    }

    /// Inserts `pos` (with 4 bytes after it) without looking for matches.
    #[inline(always)]
    fn insert(&mut self, pos: usize) {
        let (h4, h3) = self.hashes(pos);
        self.prev[pos & POS_MASK] = self.head4[h4];
        self.head4[h4] = pos as u16;
        self.head3[h3] = pos as u16;
    }

    /// Inserts `pos` and returns the longest match (length, offset) there that is longer
    /// than `min_len`, or `(0, 0)`. Takes the [`Finder::hashes`] of `pos` and of `pos + 1`
    /// (the parse computes each once).
    #[inline(always)]
    fn longest(
        &mut self,
        pos: usize,
        (h4, h3): (usize, usize),
        (n4, n3): (usize, usize),
        min_len: usize,
        depth: u32,
    ) -> (usize, usize) {
        let max_len = self.end - pos;
        if max_len < 4 {
            return (0, 0);
        }
        let nice = NICE_LEN.min(max_len);
        // Start loading the next position's buckets now: their latency overlaps this walk.
        std::hint::black_box(self.head4[n4]);
        let _ = n3;
        let c3 = std::mem::replace(&mut self.head3[h3], pos as u16);
        let mut cur = std::mem::replace(&mut self.head4[h4], pos as u16);
        self.prev[pos & POS_MASK] = cur;
        let head = self.u32_at(pos);
        let (mut best_len, mut best_off) = (min_len, 0);
        if best_len < MIN_MATCH
            && usize::from(c3) >= self.base
            && (self.u32_at(usize::from(c3)) ^ head) & 0xFF_FFFF == 0
        {
            (best_len, best_off) = (MIN_MATCH, pos - usize::from(c3));
        }
        // Only a candidate that matches at `best_len` (the 4 bytes ending there) and in its
        // first 4 bytes can be longer.
        let mut probe = best_len.max(3) - 3;
        let mut want = self.u32_at(pos + probe);
        let mut d = depth;
        while usize::from(cur) >= self.base && d > 0 {
            let c = usize::from(cur);
            if self.u32_at(c + probe) == want && self.u32_at(c) == head {
                let len = self.match_len(c, pos, 4, max_len);
                if len > best_len {
                    (best_len, best_off) = (len, pos - c);
                    if len >= nice {
                        break;
                    }
                    probe = len - 3;
                    want = self.u32_at(pos + probe);
                }
            }
            cur = self.prev[c & POS_MASK];
            d -= 1;
        }
        if best_off == 0 {
            (0, 0)
        } else {
            (best_len, best_off)
        }
    }

    /// Length of the common prefix at `a < b`, from `len` known equal bytes, at most `max`
    /// (`b + max <= n`).
    #[inline(always)]
    fn match_len(&self, a: usize, b: usize, mut len: usize, max: usize) -> usize {
        while len < max {
            let diff = self.u64_at(a + len) ^ self.u64_at(b + len);
            if diff != 0 {
                return (len + (diff.trailing_zeros() / 8) as usize).min(max);
            }
            len += 8;
        }
        max
    }
}

/// What a match saves, in the units of the lazy evaluation's comparison: [`GAIN_PER_BYTE`] per
/// byte it covers, less one per offset bit.
#[inline(always)]
fn gain(len: usize, off: usize) -> isize {
    (len * GAIN_PER_BYTE) as isize - off.ilog2() as isize
}

fn parse(data: &[u8], mf: &mut Finder, items: &mut Vec<Item>, freq: &mut Freqs) {
    let n = data.len().min(BLOCK_SIZE);
    mf.reset(data);
    items.clear();
    let depth = SEARCH_DEPTH;
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
        let (mut len, mut off) = mf.longest(pos, h, h_next, 2, depth);
        if len < MIN_MATCH || (len == MIN_MATCH && off >= far3) {
            items.push(literal(pos, freq));
            pos += 1;
            h = h_next;
            continue;
        }
        // A match at `pos`: try the next position while this one is not long enough.
        let mut looked_ahead = false;
        while len < NICE_LEN {
            let h_after = mf.hashes(pos + 2);
            // Matches as long as this one count too: a nearer one can be worth the literal.
            let (next_len, next_off) = mf.longest(pos + 1, h_next, h_after, len - 1, depth / 2);
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
