//! Hash-chain match finder for the LZMS encoder.
//!
//! Positions are inserted in order; each 4-byte prefix hashes to the head of a chain linking
//! every earlier position with the same hash, newest first. A search walks at most `depth`
//! links and reports each match longer than all before it, so the matches come out with
//! strictly increasing lengths and, for each length, the smallest offset. A second table
//! remembers the last position of each 8-byte hash, a candidate for far repeats beyond the
//! depth limit (checked last, reported only if longer). Memory: 4 bytes per input byte for the
//! links plus two tables of at most 2^22 entries (16 MiB each), so about 288 MiB for a 64 MiB
//! solid chunk.

use crate::prefetch::prefetch;

/// No position (chains end here).
const NIL: u32 = u32::MAX;

/// A match: `len` bytes at distance `offset` back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Match {
    pub(super) len: u32,
    pub(super) offset: u32,
}

/// What the parsers need of an LZ match finder: positions are inserted or searched in
/// order, each exactly once.
pub(super) trait LzFinder {
    /// Inserts `pos` (no search).
    fn insert(&mut self, data: &[u8], pos: usize);

    /// Inserts `pos` and fills `out` with its matches of at least `min_len` bytes, by
    /// strictly increasing length, each with the smallest offset the finder saw for it
    /// (none longer than the end of `data`).
    fn find(&mut self, data: &[u8], pos: usize, min_len: usize, out: &mut Vec<Match>);
}

#[derive(Debug)]
pub(super) struct MatchFinder {
    hash_bits: u32,
    head: Vec<u32>,
    prev: Vec<u32>,
    /// The last position of each hash of 8 bytes: far repeats that the chains' depth limit
    /// would not reach.
    long_head: Vec<u32>,
    depth: u32,
    nice: usize,
    /// The table indices of position `next_pos` (`head`, `long_head`: `usize::MAX` when it
    /// has none), computed and prefetched while the position before it is inserted.
    next_pos: usize,
    next_h: (usize, usize),
}

/// Length of the common prefix of `data[a..]` and `data[b..]` (a < b), at most `max` bytes
/// (`b + max <= data.len()`).
#[inline(always)]
pub(super) fn match_len(data: &[u8], a: usize, b: usize, max: usize) -> usize {
    let mut n = 0;
    while n + 8 <= max {
        let x = u64::from_le_bytes(data[a + n..a + n + 8].try_into().unwrap_or_default());
        let y = u64::from_le_bytes(data[b + n..b + n + 8].try_into().unwrap_or_default());
        let d = x ^ y;
        if d != 0 {
            return n + (d.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    while n < max && data[a + n] == data[b + n] {
        n += 1;
    }
    n
}

/// Weighs candidate `c` for position `pos`: compared only if it agrees at the byte after the
/// `best` length so far (else it cannot beat it); a longer match becomes `best` and is pushed
/// to `out`. True when the search can stop: the match reached `nice` or `max` bytes.
#[inline(always)]
pub(super) fn try_candidate(
    data: &[u8],
    (c, pos): (usize, usize),
    (max, nice): (usize, usize),
    best: &mut usize,
    out: &mut Vec<Match>,
) -> bool {
    if data[c + *best] != data[pos + *best] {
        return false;
    }
    let len = match_len(data, c, pos, max);
    if len <= *best {
        return false;
    }
    *best = len;
    out.push(Match {
        len: len as u32,
        offset: (pos - c) as u32,
    });
    len >= nice || len == max
}

impl MatchFinder {
    /// A finder for `n` bytes that follows at most `depth` links per search and stops at a
    /// match of `nice` bytes.
    pub(super) fn new(n: usize, depth: u32, nice: usize) -> Self {
        let hash_bits = (usize::BITS - n.max(1).leading_zeros()).clamp(12, 22);
        MatchFinder {
            hash_bits,
            head: vec![NIL; 1 << hash_bits],
            prev: vec![NIL; n],
            long_head: vec![NIL; 1 << hash_bits],
            depth,
            nice,
            next_pos: usize::MAX,
            next_h: (usize::MAX, usize::MAX),
        }
    }

    #[inline(always)]
    fn hash(&self, data: &[u8], pos: usize) -> usize {
        let v = u32::from_le_bytes(data[pos..pos + 4].try_into().unwrap_or_default());
        (v.wrapping_mul(0x9E37_79B1) >> (32 - self.hash_bits)) as usize
    }

    #[inline(always)]
    fn long_hash(&self, data: &[u8], pos: usize) -> Option<usize> {
        let v = u64::from_le_bytes(data.get(pos..pos + 8)?.try_into().ok()?);
        Some((v.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - self.hash_bits)) as usize)
    }

    /// The table indices of `pos` (from the look-ahead if it has them); computes and
    /// prefetches those of `pos + 1`.
    #[inline(always)]
    fn indices(&mut self, data: &[u8], pos: usize) -> (usize, usize) {
        let here = if self.next_pos == pos {
            self.next_h
        } else {
            self.indices_of(data, pos)
        };
        self.next_h = self.indices_of(data, pos + 1);
        self.next_pos = pos + 1;
        prefetch(&self.head, self.next_h.0);
        prefetch(&self.long_head, self.next_h.1);
        here
    }

    #[inline(always)]
    fn indices_of(&self, data: &[u8], pos: usize) -> (usize, usize) {
        if pos + 4 > data.len() {
            return (usize::MAX, usize::MAX);
        }
        let long = self.long_hash(data, pos).unwrap_or(usize::MAX);
        (self.hash(data, pos), long)
    }
}

impl LzFinder for MatchFinder {
    /// Inserts `pos` (no search). Positions within 4 bytes of the end are not indexed.
    #[inline(always)]
    fn insert(&mut self, data: &[u8], pos: usize) {
        if pos + 4 <= data.len() {
            let (h, lh) = self.indices(data, pos);
            self.prev[pos] = self.head[h];
            self.head[h] = pos as u32;
            if let Some(e) = self.long_head.get_mut(lh) {
                *e = pos as u32;
            }
        }
    }

    /// Inserts `pos` and fills `out` with its matches of at least `min_len` bytes, by
    /// increasing length (none longer than the end of `data`).
    fn find(&mut self, data: &[u8], pos: usize, min_len: usize, out: &mut Vec<Match>) {
        out.clear();
        if pos + 4 > data.len() {
            return;
        }
        let (h, lh) = self.indices(data, pos);
        let mut cand = self.head[h];
        self.prev[pos] = cand;
        self.head[h] = pos as u32;
        let long = self
            .long_head
            .get_mut(lh)
            .map(|e| std::mem::replace(e, pos as u32));
        let max = data.len() - pos;
        let mut best = min_len.max(4) - 1;
        if best >= max {
            return;
        }
        let mut steps = self.depth;
        while cand != NIL && steps > 0 {
            let c = cand as usize;
            if try_candidate(data, (c, pos), (max, self.nice), &mut best, out) {
                break;
            }
            cand = self.prev[c];
            steps -= 1;
        }
        if let Some(c) = long.filter(|&c| c != NIL).map(|c| c as usize) {
            if best < self.nice && best < max {
                try_candidate(data, (c, pos), (max, self.nice), &mut best, out);
            }
        }
    }
}
