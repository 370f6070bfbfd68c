//! Binary-tree match finder for the encoder.
//!
//! Every position of the chunk is inserted, in order, at the root of the tree of earlier
//! positions whose first three bytes hash alike; the tree is ordered by the strings starting
//! at those positions. Walking down from the root while inserting visits the closest
//! candidates first and reports each new longest match, so one walk yields matches of
//! strictly increasing length (and, for each length, the smallest offset seen). The walk
//! stops after `depth` nodes or at a match of `nice` bytes, whose node the new one replaces.

/// No position.
const NIL: u32 = u32::MAX;

/// A match: `len` bytes at distance `offset` back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Match {
    pub(super) len: u32,
    pub(super) offset: u32,
}

#[derive(Debug, Default)]
pub(super) struct MatchFinder {
    /// Match length at which a walk stops.
    nice: usize,
    /// Nodes visited per walk.
    depth: u32,
    hash_bits: u32,
    head: Vec<u32>,
    /// Left (smaller) and right (greater) child of each position.
    child: Vec<u32>,
}

impl MatchFinder {
    /// A finder for a chunk of `n` bytes, stopping at matches of `nice` bytes or after `depth`
    /// candidates.
    #[cfg(test)]
    pub(super) fn new(n: usize, nice: usize, depth: u32) -> Self {
        let mut mf = MatchFinder::default();
        mf.reset(n, nice, depth);
        mf
    }

    /// Prepares the finder for a new chunk of `n` bytes, reusing its buffers.
    pub(super) fn reset(&mut self, n: usize, nice: usize, depth: u32) {
        // About one bucket per two positions: 2^14 for a 32 KiB chunk, 2^17 from 256 KiB.
        self.hash_bits = (usize::BITS - n.max(1).leading_zeros())
            .saturating_sub(2)
            .clamp(10, 17);
        self.nice = nice;
        self.depth = depth;
        self.head.clear();
        self.head.resize(1 << self.hash_bits, NIL);
        // Child links need no clearing: a position's links are written when it is inserted,
        // before any later walk can reach it.
        self.child.resize(2 * n, NIL);
    }

    #[inline(always)]
    fn hash(&self, data: &[u8], pos: usize) -> usize {
        let v =
            u32::from(data[pos]) | u32::from(data[pos + 1]) << 8 | u32::from(data[pos + 2]) << 16;
        (v.wrapping_mul(0x9E37_79B1) >> (32 - self.hash_bits)) as usize
    }

    /// Inserts `pos` and appends to `out` the matches found (lengths 3..=`max_len`, increasing;
    /// offsets at most `max_offset`). `max_len` must not reach past the end of `data`.
    /// Returns the longest match length seen (also counting matches not reported because of
    /// `max_offset`).
    pub(super) fn find(
        &mut self,
        data: &[u8],
        pos: usize,
        max_len: usize,
        max_offset: usize,
        out: &mut Vec<Match>,
    ) -> usize {
        self.walk::<true>(data, pos, max_len, max_offset, out)
    }

    /// Inserts `pos` without reporting matches.
    pub(super) fn skip(&mut self, data: &[u8], pos: usize, max_len: usize) {
        let mut none = Vec::new();
        self.walk::<false>(data, pos, max_len, 0, &mut none);
    }

    #[inline(always)]
    fn walk<const REPORT: bool>(
        &mut self,
        data: &[u8],
        pos: usize,
        max_len: usize,
        max_offset: usize,
        out: &mut Vec<Match>,
    ) -> usize {
        if max_len < 3 {
            // Too close to the end to hash; such positions are never match sources that
            // matter (a later match would be at most 2 bytes long).
            return 0;
        }
        let nice = self.nice.min(max_len);
        let h = self.hash(data, pos);
        let mut cur = self.head[h];
        self.head[h] = pos as u32;
        let mut left_slot = 2 * pos;
        let mut right_slot = 2 * pos + 1;
        let (mut len_left, mut len_right) = (0usize, 0usize);
        let mut best = 2usize;
        let mut d = self.depth;
        loop {
            if cur == NIL || d == 0 {
                self.child[left_slot] = NIL;
                self.child[right_slot] = NIL;
                return best;
            }
            let c = cur as usize;
            let len = extend(data, c, pos, len_left.min(len_right), nice);
            if len > best {
                best = len;
                if REPORT && pos - c <= max_offset {
                    out.push(Match {
                        len: len as u32,
                        offset: (pos - c) as u32,
                    });
                }
            }
            if len >= nice {
                // The new node takes the old one's place (and subtrees).
                self.child[left_slot] = self.child[2 * c];
                self.child[right_slot] = self.child[2 * c + 1];
                return best;
            }
            if data[c + len] < data[pos + len] {
                self.child[left_slot] = cur;
                left_slot = 2 * c + 1;
                cur = self.child[left_slot];
                len_left = len;
            } else {
                self.child[right_slot] = cur;
                right_slot = 2 * c;
                cur = self.child[right_slot];
                len_right = len;
            }
            d -= 1;
        }
    }
}

/// Length of the common prefix of `data[a..]` and `data[b..]` (a < b), starting from `len`
/// known-equal bytes, up to `max` (with `b + max <= data.len()`).
#[inline(always)]
pub(super) fn extend(data: &[u8], a: usize, b: usize, mut len: usize, max: usize) -> usize {
    while len + 8 <= max {
        let mut x = [0u8; 8];
        let mut y = [0u8; 8];
        x.copy_from_slice(&data[a + len..a + len + 8]);
        y.copy_from_slice(&data[b + len..b + len + 8]);
        let diff = u64::from_le_bytes(x) ^ u64::from_le_bytes(y);
        if diff != 0 {
            return len + (diff.trailing_zeros() / 8) as usize;
        }
        len += 8;
    }
    while len < max && data[a + len] == data[b + len] {
        len += 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Longest match at `pos` by brute force.
    fn brute(data: &[u8], pos: usize, max_len: usize) -> usize {
        (0..pos)
            .map(|c| extend(data, c, pos, 0, max_len))
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn finds_the_longest_match_with_unlimited_depth() {
        let mut seed = 7u32;
        let data: Vec<u8> = (0..3000)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                b"abcab"[(seed >> 16) as usize % 5]
            })
            .collect();
        let mut mf = MatchFinder::new(data.len(), 257, u32::MAX);
        let mut out = Vec::new();
        for pos in 0..data.len() {
            out.clear();
            let max_len = (data.len() - pos).min(257);
            mf.find(&data, pos, max_len, usize::MAX, &mut out);
            let want = brute(&data, pos, max_len);
            let got = out.last().map_or(0, |m| m.len as usize);
            if want >= 3 {
                assert_eq!(got, want, "pos {pos}");
            }
            for w in out.windows(2) {
                assert!(w[0].len < w[1].len);
            }
            for m in &out {
                let start = pos - m.offset as usize;
                assert_eq!(
                    &data[start..start + m.len as usize],
                    &data[pos..pos + m.len as usize]
                );
            }
        }
    }
}
