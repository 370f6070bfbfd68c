//! The XPRESS encoder's match finder: hash chains over the positions of one chunk, for the
//! lazy parse of [`super::lazy`].
//!
//! Positions are linked into chains by a hash of their first 4 bytes; a second table keeps
//! the latest position of each 3-byte hash, which gives the length-3 matches (a chain walk only
//! finds matches of 4 bytes or more). Chains run from the nearest position to the farthest.
//!
//! The tables are kept per thread and reused from chunk to chunk without clearing: positions
//! are numbered on from one chunk to the next, so an entry below the current chunk's first
//! position is stale; only when the numbers would overflow the u16 entries are the tables
//! cleared (every other chunk of 32 KiB, less often for smaller ones), and then only the
//! buckets used, as many as each chunk's size called for.

use super::{BLOCK_SIZE, MIN_MATCH};

/// Bits of the 4-byte hash (chain heads): four buckets per position of a 32 KiB chunk. Measured
/// with `examples/compress_bench.rs`: 16 bits 2% slower (collisions lengthen the chains), 15
/// bits 5% slower.
const HASH4_BITS: u32 = 17;
/// Bits of the 3-byte hash (latest position only). 16 rather than 15: about 1% faster and
/// 0.01% smaller (fewer length-3 matches lost to collisions).
const HASH3_BITS: u32 = 16;
/// Room for a chunk and the bytes a match test may read past its end. Indexes into the fixed
/// size tables below are masked, which spares their bounds checks.
const DATA_MASK: usize = (1 << 17) - 1;
const DATA_LEN: usize = DATA_MASK + 1 + 8;
/// Positions of a chunk.
const POS_MASK: usize = BLOCK_SIZE - 1;

/// The chunk (zero padded) and the hash tables and chain links, reused from chunk to chunk.
#[derive(Debug)]
pub(super) struct Finder {
    data: Box<[u8; DATA_LEN]>,
    head4: Box<[u16; 1 << HASH4_BITS]>,
    head3: Box<[u16; 1 << HASH3_BITS]>,
    prev: Box<[u16; BLOCK_SIZE]>,
    /// Positions are numbered on from chunk to chunk ([`Finder::reset`]): the current chunk
    /// is at `base..end` (of `data` too), and an entry below `base` is from an earlier chunk,
    /// hence no position: the tables are cleared only when the numbers run out.
    pub(super) base: usize,
    pub(super) end: usize,
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

impl Finder {
    /// Takes a new chunk of at most 64 KiB, numbered on after the previous one while the
    /// positions fit in the u16 entries, else from 1 after clearing the tables.
    pub(super) fn reset(&mut self, chunk: &[u8]) {
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
    pub(super) fn hashes(&self, pos: usize) -> (usize, usize) {
        let v = self.u32_at(pos);
        let h4 = v.wrapping_mul(0x9E37_79B1) >> (32 - HASH4_BITS);
        let h3 = (v << 8).wrapping_mul(0x9E37_79B1) >> (32 - HASH3_BITS);
        (h4 as usize & self.mask4, h3 as usize & self.mask3)
    }

    /// Inserts `pos` (with 4 bytes after it) without looking for matches.
    #[inline(always)]
    pub(super) fn insert(&mut self, pos: usize) {
        let (h4, h3) = self.hashes(pos);
        self.prev[pos & POS_MASK] = self.head4[h4];
        self.head4[h4] = pos as u16;
        self.head3[h3] = pos as u16;
    }

    /// Inserts `pos` and returns the longest match (length, offset) there that is longer
    /// than `min_len`, or `(0, 0)`, following at most `depth` chain links and stopping at a
    /// match of `nice` bytes (its whole length reported). Takes the [`Finder::hashes`] of
    /// `pos` and of `pos + 1` (the parse computes each once).
    #[inline(always)]
    pub(super) fn longest(
        &mut self,
        pos: usize,
        (h4, h3): (usize, usize),
        (n4, n3): (usize, usize),
        min_len: usize,
        depth: u32,
        nice: usize,
    ) -> (usize, usize) {
        let max_len = self.end - pos;
        if max_len < 4 {
            return (0, 0);
        }
        let nice = nice.min(max_len);
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
