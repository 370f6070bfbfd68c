//! Huffman codeword lengths for LZMS's adaptive codes, as the reference computes them (wimlib's
//! `make_canonical_huffman_code`, described in `src/compress_common.c`): symbols sorted by
//! increasing (frequency, symbol); the tree built by the two-queue method, a leaf taken before
//! an internal node of equal weight; lengths limited to 15 bits by letting a node at depth 15
//! or more split the deepest codeword shorter than 15 bits instead; then the lengths handed
//! out longest first in sorted order.
//!
//! Built several times per kilobyte of output, so kept cheap: a counting sort, sentinels
//! instead of queue-end tests, and fixed-size scratch arrays indexed through masks (no bounds
//! checks). The queue picks stay branches: they come in predictable runs, and a branch-free
//! select makes every pick wait for the one before (measured slower).

use super::tables::MAX_CODEWORD_LEN;

const MAX_LEN: usize = MAX_CODEWORD_LEN;
/// Largest alphabet (a power of two, above LZMS's largest, 799).
pub(super) const MAX_SYMS: usize = 1024;
/// Frequencies are clamped below this, so that the weights of up to [`MAX_SYMS`] symbols add up
/// without overflowing a `u32` (adaptation never comes near: frequencies stay below 2^12).
const MAX_FREQ: u32 = (1 << 22) - 1;
/// Buckets of the counting sort: one per frequency below `BUCKETS - 1`, the last for all higher
/// ones (few), sorted afterwards.
const BUCKETS: usize = 128;

/// Scratch space, reused from build to build.
#[derive(Debug)]
pub(super) struct LengthBuilder {
    /// `frequency << 32 | symbol`, sorted, then a sentinel above every weight.
    keys: Box<[u64; 2 * MAX_SYMS]>,
    /// Internal node `k` (in order of creation): its weight until it has a parent, then its
    /// depth.
    nodes: Box<[u32; MAX_SYMS]>,
    /// The parent of internal node `k`.
    parents: Box<[u32; MAX_SYMS]>,
}

impl LengthBuilder {
    pub(super) fn new() -> Self {
        LengthBuilder {
            keys: Box::new([0; 2 * MAX_SYMS]),
            nodes: Box::new([0; MAX_SYMS]),
            parents: Box::new([0; MAX_SYMS]),
        }
    }

    /// Writes the codeword length of every symbol of `freqs` (2..=[`MAX_SYMS`] of them) into
    /// `lens` (as long as `freqs`) and returns the number of codewords of each length.
    pub(super) fn build(&mut self, freqs: &[u32], lens: &mut [u8]) -> [u16; MAX_LEN + 1] {
        let n = freqs.len();
        debug_assert!((2..=MAX_SYMS).contains(&n) && lens.len() == n);
        self.sort(freqs);
        self.tree(n);
        let counts = self.length_counts(n);
        // Longest codewords to the least frequent symbols.
        let keys = &self.keys;
        let mut idx = 0;
        for len in (1..=MAX_LEN).rev() {
            for _ in 0..counts[len] {
                let sym = keys[idx & (2 * MAX_SYMS - 1)] as u32 as usize;
                if let Some(l) = lens.get_mut(sym) {
                    *l = len as u8;
                }
                idx += 1;
            }
        }
        counts
    }

    /// Fills `keys[..n]` in increasing order, and `keys[n]` with the sentinel: a counting sort by
    /// frequency (which keeps symbols in order within a frequency), the symbols more frequent
    /// than the buckets sorted afterwards. The two halves of the alphabet are counted and placed
    /// side by side, each with its own positions (a bucket's first-half symbols, then its
    /// second-half ones: still in symbol order): two independent chains of counter updates
    /// instead of one twice as long.
    fn sort(&mut self, freqs: &[u32]) {
        const MASK: usize = 2 * MAX_SYMS - 1;
        let n = freqs.len();
        let bucket = |f: u32| (f as usize).min(BUCKETS - 1);
        let key = |sym: usize, f: u32| u64::from(f.min(MAX_FREQ)) << 32 | sym as u64;
        let half = n / 2;
        let (first, second) = freqs.split_at(half);
        let mut counts = [[0u32; BUCKETS]; 2];
        for (&a, &b) in first.iter().zip(second) {
            counts[0][bucket(a)] += 1;
            counts[1][bucket(b)] += 1;
        }
        if let Some(&last) = second.get(half) {
            counts[1][bucket(last)] += 1;
        }
        let mut starts = [[0u32; BUCKETS]; 2];
        let mut total = 0;
        for b in 0..BUCKETS {
            starts[0][b] = total;
            starts[1][b] = total + counts[0][b];
            total += counts[0][b] + counts[1][b];
        }
        let tail = starts[0][BUCKETS - 1] as usize;
        let keys = &mut self.keys;
        for (sym, (&a, &b)) in first.iter().zip(second).enumerate() {
            let slot = &mut starts[0][bucket(a)];
            keys[*slot as usize & MASK] = key(sym, a);
            *slot += 1;
            let slot = &mut starts[1][bucket(b)];
            keys[*slot as usize & MASK] = key(half + sym, b);
            *slot += 1;
        }
        if let Some(&last) = second.get(half) {
            let slot = &mut starts[1][bucket(last)];
            keys[*slot as usize & MASK] = key(n - 1, last);
        }
        if let Some(t) = keys.get_mut(tail..n) {
            t.sort_unstable();
        }
        keys[n & MASK] = u64::MAX;
    }

    /// Builds the tree's `n - 1` internal nodes in order of creation (so of nondecreasing
    /// weight) from two queues: the sorted leaves and the internal nodes without a parent yet.
    fn tree(&mut self, n: usize) {
        const KMASK: usize = 2 * MAX_SYMS - 1;
        const NMASK: usize = MAX_SYMS - 1;
        let keys = &self.keys;
        let nodes = &mut self.nodes;
        let parents = &mut self.parents;
        let (mut leaf, mut orphan) = (0usize, 0usize);
        for e in 0..n - 1 {
            // Sentinels: the leaf after the last (`keys[n]`) and the node being made weigh
            // more than any real node. At least two real candidates are left at each step.
            nodes[e & NMASK] = u32::MAX;
            let mut weight = 0u32;
            for _ in 0..2 {
                let lw = (keys[leaf & KMASK] >> 32) as u32;
                let nw = nodes[orphan & NMASK];
                if lw <= nw {
                    weight = weight.wrapping_add(lw);
                    leaf += 1;
                } else {
                    weight = weight.wrapping_add(nw);
                    parents[orphan & NMASK] = e as u32;
                    orphan += 1;
                }
            }
            nodes[e & NMASK] = weight;
        }
    }

    /// Counts the codewords of each length: depths from the root (node `n - 2`) down, parents
    /// having larger indexes than their children. Each internal node turns one codeword of its
    /// depth into two one bit longer; a node at depth >= 15 splits the deepest codeword shorter
    /// than 15 bits instead.
    fn length_counts(&mut self, n: usize) -> [u16; MAX_LEN + 1] {
        const NMASK: usize = MAX_SYMS - 1;
        let nodes = &mut self.nodes;
        let parents = &self.parents;
        let root = n - 2;
        nodes[root & NMASK] = 0;
        // Internal nodes per depth, counted in two halves (each count then waits for the
        // one before it only every other node).
        let mut internal = [[0u16; 32]; 2];
        internal[0][0] = 1;
        let mut deepest = 0;
        for k in (0..root).rev() {
            let depth = nodes[parents[k & NMASK] as usize & NMASK] + 1;
            nodes[k & NMASK] = depth;
            deepest = deepest.max(depth);
            internal[k & 1][depth as usize & 31] += 1;
        }
        if (deepest as usize) < MAX_LEN {
            // No length limit to apply: the codewords at depth d are the two children of each
            // internal node at depth d - 1 that are not internal nodes themselves.
            let mut counts = [0u16; MAX_LEN + 1];
            for d in 1..=MAX_LEN {
                let above = internal[0][d - 1] + internal[1][d - 1];
                let here = internal[0][d] + internal[1][d];
                counts[d] = (2 * above).wrapping_sub(here);
            }
            return counts;
        }
        Self::limited_counts(nodes, root)
    }

    /// [`LengthBuilder::length_counts`] for a tree with internal nodes at depth 15 or more,
    /// from their depths (in `nodes`): node by node, from the root down.
    #[cold]
    fn limited_counts(nodes: &[u32; MAX_SYMS], root: usize) -> [u16; MAX_LEN + 1] {
        const NMASK: usize = MAX_SYMS - 1;
        let mut counts = [0u16; MAX_LEN + 1];
        counts[1] = 2;
        for k in (0..root).rev() {
            let mut len = nodes[k & NMASK] as usize;
            if len >= MAX_LEN {
                len = MAX_LEN - 1;
                while len > 1 && counts[len] == 0 {
                    len -= 1;
                }
            }
            // (Kraft's equality holds throughout, so a codeword shorter than 15 bits exists.)
            counts[len] = counts[len].saturating_sub(1);
            counts[len + 1] += 2;
        }
        counts
    }
}
