//! Binary-tree match finder for the encoder.
//!
//! Every position of the chunk is inserted, in order, at the root of the tree of earlier
//! positions whose first four bytes hash alike; the tree is ordered by the strings starting
//! at those positions. Walking down from the root while inserting visits the closest
//! candidates first and reports each new longest match, so one walk yields matches of
//! strictly increasing length (and, for each length, the smallest offset seen). The walk
//! stops after `depth` nodes or at a match of `nice` bytes, whose node the new one replaces.
//! Matches of 2 and 3 bytes (LZX's shortest are 2) come first, from two tables that keep the
//! latest position of each 2-byte and 3-byte hash.
//!
//! The finder works on its own zero-padded copy of the chunk, and its tables have power of
//! two sizes: indexes are masked, which spares the bounds checks of the inner loop. While a
//! position is inserted, the hashes of the next one are computed and their table buckets
//! prefetched ([`crate::prefetch`]), so that their loads overlap the walk.

use crate::prefetch::prefetch;

/// No position.
const NIL: u32 = u32::MAX;
/// Bits of the hash of the 2-byte table. Measured on /usr/bin chunks: 12 bits lose length-2
/// matches to collisions (+0.02% size, 1% slower); 16 (exact) gain nothing more.
const HASH2_BITS: u32 = 14;
/// Most matches one search can report: their lengths strictly increase from 2 to at most
/// `MAX_MATCH` (257).
pub(super) const MAX_FOUND: usize = 256;
/// Zero bytes after the copy of the chunk, so that 8-byte compares near its end stay in it.
const PAD: usize = 16;

/// A match: `len` bytes at distance `offset` back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Match {
    pub(super) len: u32,
    pub(super) offset: u32,
}

/// The tables, sized to powers of two so that masked indexes need no bounds checks.
#[derive(Debug, Default)]
pub(super) struct MatchFinder {
    /// Match length at which a walk stops.
    nice: usize,
    /// Nodes visited per walk.
    depth: u32,
    /// Log2 of the padded chunk size (`data` holds `2^order + PAD` bytes); the walk is
    /// compiled once per order, so that its masks and table sizes are constants and the
    /// compiler drops the bounds checks of the inner loop.
    order: u32,
    /// A copy of the chunk, zero padded.
    data: Vec<u8>,
    /// Root of the tree of each 4-byte hash: `2^hash_bits(order)` entries.
    head: Vec<u32>,
    /// Latest position of each 3-byte hash (length-3 matches), as many as `head`.
    head3: Vec<u32>,
    /// Latest position of each 2-byte hash (length-2 matches): `2^HASH2_BITS` entries.
    head2: Vec<u32>,
    /// Left (smaller) and right (greater) child of each position: `2^(order + 1)` entries.
    child: Vec<u32>,
    /// The position after the last one inserted and its 2-, 3- and 4-byte hashes, computed
    /// (and their buckets prefetched) during that insertion.
    ahead: [usize; 4],
}

/// Smallest and largest data order: chunks of up to 4 KiB share the order-12 tables; LZX
/// windows go up to 2 MiB.
const MIN_ORDER: u32 = 12;
const MAX_ORDER: u32 = 21;

/// Bits of the 4-byte and 3-byte hashes for a data order: about two buckets per position
/// (2^16 for a 32 KiB chunk), at most 2^17. Measured on /usr/bin chunks
/// (`examples/compress_bench.rs`): one per two positions was 4% slower and 0.1% larger
/// (collisions make longer walks), one per position in between.
const fn hash_bits(order: u32) -> u32 {
    if order + 1 > 17 {
        17
    } else {
        order + 1
    }
}

impl MatchFinder {
    /// A finder for `data`, stopping at matches of `nice` bytes or after `depth` candidates.
    #[cfg(test)]
    pub(super) fn new(data: &[u8], nice: usize, depth: u32) -> Self {
        let mut mf = MatchFinder::default();
        mf.reset(data, nice, depth);
        mf
    }

    /// Prepares the finder for a new chunk (at most 2 MiB), reusing its buffers.
    pub(super) fn reset(&mut self, chunk: &[u8], nice: usize, depth: u32) {
        let n = chunk.len();
        self.order = n
            .max(1)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(MIN_ORDER, MAX_ORDER);
        self.nice = nice;
        self.depth = depth;
        let size = 1usize << self.order;
        self.data.clear();
        self.data.extend_from_slice(chunk);
        self.data.resize(size + PAD, 0);
        let hb = hash_bits(self.order);
        self.head.clear();
        self.head.resize(1 << hb, NIL);
        self.head3.clear();
        self.head3.resize(1 << hb, NIL);
        self.head2.clear();
        self.head2.resize(1 << HASH2_BITS, NIL);
        // Child links need no clearing: a position's links are written when it is inserted,
        // before any later walk can reach it.
        self.child.resize(2 * size, NIL);
        self.ahead = [usize::MAX; 4];
    }

    /// Inserts `pos` and writes to `found` the matches seen (lengths 2..=`max_len`,
    /// strictly increasing, so at most [`MAX_FOUND`]); `max_len` must not reach past the end
    /// of the chunk. Returns how many, and the longest match length seen. Offsets are not
    /// limited: the caller drops those beyond the window (rare; a longer match is then kept
    /// only if its offset fits).
    pub(super) fn find(
        &mut self,
        pos: usize,
        max_len: usize,
        found: &mut [Match; MAX_FOUND],
    ) -> (usize, usize) {
        self.dispatch::<true>(pos, max_len, found)
    }

    /// Inserts `pos` without reporting matches.
    pub(super) fn skip(&mut self, pos: usize, max_len: usize) {
        let mut none = [Match { len: 0, offset: 0 }; MAX_FOUND];
        self.dispatch::<false>(pos, max_len, &mut none);
    }

    #[inline(always)]
    fn dispatch<const REPORT: bool>(
        &mut self,
        pos: usize,
        max_len: usize,
        found: &mut [Match; MAX_FOUND],
    ) -> (usize, usize) {
        match self.order {
            12 => self.walk::<REPORT, 12>(pos, max_len, found),
            13 => self.walk::<REPORT, 13>(pos, max_len, found),
            14 => self.walk::<REPORT, 14>(pos, max_len, found),
            15 => self.walk::<REPORT, 15>(pos, max_len, found),
            16 => self.walk::<REPORT, 16>(pos, max_len, found),
            17 => self.walk::<REPORT, 17>(pos, max_len, found),
            18 => self.walk::<REPORT, 18>(pos, max_len, found),
            19 => self.walk::<REPORT, 19>(pos, max_len, found),
            20 => self.walk::<REPORT, 20>(pos, max_len, found),
            _ => self.walk::<REPORT, MAX_ORDER>(pos, max_len, found),
        }
    }

    #[inline(always)]
    fn walk<const REPORT: bool, const ORDER: u32>(
        &mut self,
        pos: usize,
        max_len: usize,
        found: &mut [Match; MAX_FOUND],
    ) -> (usize, usize) {
        if max_len < 4 {
            // Too close to the end to hash; such positions are never match sources that
            // matter (a later match would be at most 3 bytes long).
            return (0, 0);
        }
        let mut k = 0usize;
        let push = |found: &mut [Match; MAX_FOUND], k: &mut usize, len: usize, c: usize| {
            found[*k % MAX_FOUND] = Match {
                len: len as u32,
                offset: (pos - c) as u32,
            };
            *k += 1;
        };
        let dm = (1usize << ORDER) - 1;
        let hb = hash_bits(ORDER);
        let Some(data) = self.data.get(..dm + 1 + PAD) else {
            return (0, 0);
        };
        let at4 = |i: usize| {
            let j = i & dm;
            let mut x = [0u8; 4];
            x.copy_from_slice(&data[j..j + 4]);
            u32::from_le_bytes(x)
        };
        let v = at4(pos);
        let shift = 32 - hb;
        let hashes = |v: u32| {
            [
                ((v & 0xFFFF).wrapping_mul(0x9E37_79B1) >> (32 - HASH2_BITS)) as usize,
                ((v << 8).wrapping_mul(0x9E37_79B1) >> shift) as usize,
                (v.wrapping_mul(0x9E37_79B1) >> shift) as usize,
            ]
        };
        let [h2, h3, h4] = if self.ahead[0] == pos {
            [self.ahead[1], self.ahead[2], self.ahead[3]]
        } else {
            hashes(v)
        };
        // The next position's hashes, and a hint to load their buckets while this walk runs
        // (positions are inserted in order; a stale look-ahead would only cost matches, as
        // every match is compared byte by byte). Measured (docs/benchmarks.md, session 8):
        // +0.02-0.04 of wimlib's speed; the prefetch without carrying the hashes over was
        // 0.01 slower.
        let next = hashes(at4(pos + 1));
        self.ahead = [pos + 1, next[0], next[1], next[2]];
        prefetch(&self.head2, next[0]);
        prefetch(&self.head3, next[1]);
        prefetch(&self.head, next[2]);
        let mut best = 1usize;
        let (Some(head2), Some(head3)) = (
            self.head2.get_mut(..1 << HASH2_BITS),
            self.head3.get_mut(..1 << hb),
        ) else {
            return (0, 0);
        };
        let c2 = std::mem::replace(&mut head2[h2], pos as u32);
        let c3 = std::mem::replace(&mut head3[h3], pos as u32);
        if REPORT {
            // The latest position with the same 2 and 3 first bytes (no tree walk).
            let c2 = c2 as usize;
            if c2 != NIL as usize && (at4(c2) ^ v) & 0xFFFF == 0 {
                best = 2;
                push(found, &mut k, 2, c2);
            }
            let c3 = c3 as usize;
            if c3 != NIL as usize && (at4(c3) ^ v) & 0xFF_FFFF == 0 {
                best = 3;
                push(found, &mut k, 3, c3);
            }
        }
        let nice = self.nice.min(max_len);
        let Some(head) = self.head.get_mut(..1 << hb) else {
            return (0, 0);
        };
        let mut cur = std::mem::replace(&mut head[h4], pos as u32);
        let cm = (2usize << ORDER) - 1;
        let Some(child) = self.child.get_mut(..cm + 1) else {
            return (0, 0);
        };
        let mut left_slot = (2 * pos) & cm;
        let mut right_slot = (2 * pos + 1) & cm;
        let (mut len_left, mut len_right) = (0usize, 0usize);
        let mut d = self.depth;
        loop {
            if cur == NIL || d == 0 {
                child[left_slot] = NIL;
                child[right_slot] = NIL;
                return (k, best);
            }
            let c = cur as usize;
            let mut len = len_left.min(len_right);
            // Common prefix, 8 bytes at a time (the zero padding stops it at the end).
            while len < nice {
                let (a, b) = ((c + len) & dm, (pos + len) & dm);
                let mut x = [0u8; 8];
                let mut y = [0u8; 8];
                x.copy_from_slice(&data[a..a + 8]);
                y.copy_from_slice(&data[b..b + 8]);
                let diff = u64::from_le_bytes(x) ^ u64::from_le_bytes(y);
                if diff != 0 {
                    len += (diff.trailing_zeros() / 8) as usize;
                    break;
                }
                len += 8;
            }
            let len = len.min(nice);
            if len > best {
                best = len;
                if REPORT {
                    push(found, &mut k, len, c);
                }
            }
            if len >= nice {
                // The new node takes the old one's place (and subtrees).
                child[left_slot] = child[(2 * c) & cm];
                child[right_slot] = child[(2 * c + 1) & cm];
                if REPORT && nice < max_len {
                    // Report the whole length of the match that ended the walk.
                    let full = extend(data, c, pos, nice, max_len);
                    let last = &mut found[k.wrapping_sub(1) % MAX_FOUND];
                    if k > 0 && last.offset == (pos - c) as u32 {
                        last.len = full as u32;
                    }
                    best = full;
                }
                return (k, best);
            }
            // Smaller strings go left: the node and its left subtree are all smaller, so the
            // walk goes on in its right subtree (and the other way round). Written without
            // branches: the comparison is unpredictable.
            let less = data[(c + len) & dm] < data[(pos + len) & dm];
            let slot = if less { left_slot } else { right_slot };
            child[slot] = cur;
            let next = (2 * c + usize::from(less)) & cm;
            if less {
                (left_slot, len_left) = (next, len);
            } else {
                (right_slot, len_right) = (next, len);
            }
            cur = child[next];
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

    /// The matches `find` reports at `pos`, and the longest length it saw.
    fn find_vec(mf: &mut MatchFinder, pos: usize, max_len: usize) -> (Vec<Match>, usize) {
        let mut found = [Match { len: 0, offset: 0 }; MAX_FOUND];
        let (k, best) = mf.find(pos, max_len, &mut found);
        (found[..k].to_vec(), best)
    }

    /// Longest match at `pos` by brute force.
    fn brute(data: &[u8], pos: usize, max_len: usize) -> usize {
        (0..pos)
            .map(|c| extend(data, c, pos, 0, max_len))
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_walk_ended_by_nice_reports_the_whole_match() {
        let mut seed = 11u32;
        let mut data: Vec<u8> = (0..4000)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                b"ab"[(seed >> 16) as usize % 2]
            })
            .collect();
        data.extend_from_within(100..1100);
        let mut mf = MatchFinder::new(&data, 16, 64);
        let mut long = 0;
        for pos in 0..data.len() {
            let max_len = (data.len() - pos).min(257);
            let (out, best) = find_vec(&mut mf, pos, max_len);
            let want = brute(&data, pos, max_len);
            if max_len >= 4 {
                assert!(best >= want.min(16), "pos {pos}: {best} < {}", want.min(16));
            }
            for m in &out {
                let start = pos - m.offset as usize;
                assert_eq!(
                    &data[start..start + m.len as usize],
                    &data[pos..pos + m.len as usize]
                );
            }
            if pos == 4000 {
                long = out.last().map_or(0, |m| m.len);
            }
        }
        assert_eq!(
            long, 257,
            "the copied kilobyte is found whole, past the nice length"
        );
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
        let mut mf = MatchFinder::new(&data, 257, u32::MAX);
        for pos in 0..data.len() {
            let max_len = (data.len() - pos).min(257);
            let (out, _) = find_vec(&mut mf, pos, max_len);
            let want = brute(&data, pos, max_len);
            let got = out.last().map_or(0, |m| m.len as usize);
            if want >= 4 {
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
