//! LZMS's adaptive Huffman codes, encoding side: the same codes as the decoder's `huffman`
//! derives, from the same frequencies, at the same moments.
//!
//! Every frequency starts at 1 and each coded symbol adds 1 to its own; after `rebuild_freq`
//! symbols the code is rebuilt from the frequencies, which are then halved (`f / 2 + 1`). The
//! lengths are the classic Huffman algorithm's with ties between a leaf and an internal node
//! going to the leaf, handed out longest first to the symbols by increasing (frequency,
//! symbol), limited to 15 bits the way `huffman` (and wimlib) limit them; codewords are
//! canonical (`crate::huffman::encode::make_codes`). The unit tests compare the lengths with
//! the decoder's for random frequencies.

use super::backward_bits::BackwardBits;
use super::range_encoder::COST_SHIFT;
use super::tables::MAX_CODEWORD_LEN;
use crate::huffman::encode::make_codes;

const MAX_LEN: usize = MAX_CODEWORD_LEN;

/// One adaptive code.
#[derive(Debug)]
pub(super) struct AdaptiveHuffman {
    rebuild_freq: u32,
    until_rebuild: u32,
    freqs: Vec<u32>,
    lens: Vec<u8>,
    codes: Vec<u32>,
    /// Per symbol: `lens << COST_SHIFT` (what the parser asks for).
    costs: Vec<u32>,
    // Scratch space for rebuilding.
    order: Vec<u64>,
    nodes: Vec<u32>,
}

impl AdaptiveHuffman {
    /// A code over `num_syms` symbols, all of frequency 1.
    pub(super) fn new(num_syms: usize, rebuild_freq: u32) -> Self {
        let mut code = AdaptiveHuffman {
            rebuild_freq,
            until_rebuild: rebuild_freq,
            freqs: vec![1; num_syms],
            lens: vec![0; num_syms],
            codes: vec![0; num_syms],
            costs: vec![0; num_syms],
            order: Vec::with_capacity(num_syms),
            nodes: Vec::with_capacity(num_syms),
        };
        code.build();
        code
    }

    /// Writes `sym`'s codeword and counts it.
    #[inline(always)]
    pub(super) fn encode(&mut self, sym: usize, out: &mut BackwardBits) {
        out.put(self.codes[sym], u32::from(self.lens[sym]));
        self.freqs[sym] += 1;
        self.until_rebuild -= 1;
        if self.until_rebuild == 0 {
            self.build();
            for f in &mut self.freqs {
                *f = (*f >> 1) + 1;
            }
            self.until_rebuild = self.rebuild_freq;
        }
    }

    /// The current cost of `sym` (in 1/16 bits).
    #[inline(always)]
    pub(super) fn cost(&self, sym: usize) -> u32 {
        self.costs[sym]
    }

    /// The current codeword lengths.
    #[cfg(test)]
    pub(super) fn lens(&self) -> &[u8] {
        &self.lens
    }

    /// Sets the frequencies and rebuilds (for tests).
    #[cfg(test)]
    pub(super) fn rebuild_from(&mut self, freqs: &[u32]) {
        self.freqs.copy_from_slice(freqs);
        self.build();
    }

    /// Rebuilds lengths, codewords and costs from the current frequencies.
    fn build(&mut self) {
        match self.freqs.len() {
            0 => {}
            1 => self.lens[0] = 1,
            _ => self.make_lengths(),
        }
        make_codes(&self.lens, &mut self.codes);
        for (c, &l) in self.costs.iter_mut().zip(&self.lens) {
            *c = u32::from(l) << COST_SHIFT;
        }
    }

    /// Huffman lengths for two or more symbols.
    fn make_lengths(&mut self) {
        let n = self.freqs.len();
        self.order.clear();
        self.order.extend(
            self.freqs
                .iter()
                .enumerate()
                .map(|(s, &f)| (u64::from(f) << 32) | s as u64),
        );
        self.order.sort_unstable();
        let weight = |key: u64| key >> 32;

        // Internal nodes in order of creation; `nodes[k]` is node k's weight until a parent
        // takes it, then the parent's index.
        let nodes = &mut self.nodes;
        nodes.clear();
        let mut weights: Vec<u64> = Vec::with_capacity(n - 1);
        let (mut next_leaf, mut next_node) = (0usize, 0usize);
        for k in 0..n - 1 {
            let mut sum = 0u64;
            for _ in 0..2 {
                let leaf_ok = next_leaf < n;
                let node_ok = next_node < k;
                if leaf_ok && (!node_ok || weight(self.order[next_leaf]) <= weights[next_node]) {
                    sum += weight(self.order[next_leaf]);
                    next_leaf += 1;
                } else {
                    sum += weights[next_node];
                    nodes[next_node] = k as u32;
                    next_node += 1;
                }
            }
            weights.push(sum);
            nodes.push(u32::MAX);
        }

        // Depths from the root (the last node) down; each internal node splits one codeword of
        // its depth into two one longer, or, at depth 15 or more, the deepest shorter one.
        let root = n - 2;
        let mut depth = vec![0u32; n - 1];
        let mut counts = [0u32; MAX_LEN + 2];
        counts[1] = 2;
        for k in (0..root).rev() {
            depth[k] = depth[nodes[k] as usize] + 1;
            let mut len = depth[k] as usize;
            if len >= MAX_LEN {
                len = MAX_LEN - 1;
                while len > 1 && counts[len] == 0 {
                    len -= 1;
                }
            }
            counts[len] -= 1;
            counts[len + 1] += 2;
        }

        // Longest codewords to the least frequent symbols.
        let mut i = 0;
        for len in (1..=MAX_LEN).rev() {
            for _ in 0..counts[len] {
                self.lens[(self.order[i] & 0xFFFF_FFFF) as usize] = len as u8;
                i += 1;
            }
        }
    }
}
