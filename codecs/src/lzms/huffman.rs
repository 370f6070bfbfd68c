//! LZMS's adaptive Huffman codes and their table-driven decoding.
//!
//! No code lengths are transmitted: encoder and decoder both derive each code from symbol
//! frequencies. Every frequency starts at 1; each decoded symbol adds 1 to its own; after
//! `rebuild_freq` symbols the code is rebuilt from the current frequencies, which are then
//! halved (`f = f / 2 + 1`). The code must be the one the classic Huffman algorithm gives when
//! frequency ties between a leaf and an internal node are broken in favor of the leaf, with
//! the codeword lengths then given out longest first to the symbols in order of increasing
//! (frequency, symbol), and the codewords assigned canonically (shorter codes first, then by
//! symbol). Lengths never exceed 15 for LZMS's alphabets; the length limit is still enforced
//! the way wimlib's `make_canonical_huffman_code` does (a non-leaf at depth >= 15 takes the
//! place of the deepest leaf shorter than 15 bits), so even contrived frequencies give the
//! same code as the reference.
//!
//! Decoding looks the next `table_bits` bits up in a primary table; codewords longer than that
//! continue in a second-level table sized to the codes sharing the prefix. Entry (`u32`):
//! `symbol << 16 | length` for a codeword, `start << 16 | SUB | index bits` for a link to a
//! second-level table (whose entries hold the length remaining after the prefix), and `0` for
//! a bit pattern no codeword starts with (only a code of fewer than two symbols has those).

use super::bitstream::BackBits;
use super::tables::MAX_CODEWORD_LEN;

const SUB: u32 = 0x80;
const LEN_MASK: u32 = 0x1f;
/// Symbol values fit in this many bits of a sort key; the frequency takes the rest.
const SYM_BITS: u32 = 10;
const MAX_LEN: usize = MAX_CODEWORD_LEN;

/// One adaptive code with its decode table.
#[derive(Debug)]
pub(super) struct AdaptiveCode {
    table_bits: u32,
    rebuild_freq: u32,
    until_rebuild: u32,
    freqs: Vec<u32>,
    table: Vec<u32>,
    // Scratch space for rebuilding.
    lens: Vec<u8>,
    keys: Vec<u32>,
    counts: Vec<u32>,
    nodes: Vec<u32>,
    sorted: Vec<u16>,
}

impl AdaptiveCode {
    /// A code over `num_syms` (<= 1024) symbols, all of frequency 1.
    pub(super) fn new(num_syms: usize, table_bits: u32, rebuild_freq: u32) -> Self {
        debug_assert!(num_syms <= 1 << SYM_BITS && (1..=12).contains(&table_bits));
        let mut code = AdaptiveCode {
            table_bits,
            rebuild_freq,
            until_rebuild: rebuild_freq,
            freqs: vec![1; num_syms],
            table: Vec::new(),
            lens: vec![0; num_syms],
            keys: Vec::with_capacity(num_syms),
            counts: Vec::new(),
            nodes: Vec::with_capacity(num_syms),
            sorted: vec![0; num_syms],
        };
        code.build();
        code
    }

    /// Decodes one symbol and counts it; `None` for a bit pattern that is no codeword.
    #[inline(always)]
    pub(super) fn decode(&mut self, bits: &mut BackBits<'_>) -> Option<usize> {
        bits.ensure(MAX_LEN as u32);
        let mut entry = *self.table.get(bits.peek(self.table_bits) as usize)?;
        if entry & SUB != 0 {
            bits.consume(self.table_bits);
            let start = (entry >> 16) as usize;
            let sub = bits.peek(entry & LEN_MASK) as usize;
            entry = *self.table.get(start + sub)?;
        }
        let len = entry & LEN_MASK;
        if len == 0 {
            return None;
        }
        bits.consume(len);
        let sym = (entry >> 16) as usize;
        *self.freqs.get_mut(sym)? += 1;
        self.until_rebuild -= 1;
        if self.until_rebuild == 0 {
            self.rebuild();
        }
        Some(sym)
    }

    #[cold]
    fn rebuild(&mut self) {
        self.build();
        for f in &mut self.freqs {
            *f = (*f >> 1) + 1;
        }
        self.until_rebuild = self.rebuild_freq;
    }

    /// Rebuilds lengths and the decode table from the current frequencies.
    fn build(&mut self) {
        let counts = match self.freqs.len() {
            0 => [0; MAX_LEN + 1],
            1 => {
                // One symbol: codeword "0"; "1" decodes to nothing.
                self.lens[0] = 1;
                let mut c = [0; MAX_LEN + 1];
                c[1] = 1;
                c
            }
            _ => self.code_lengths(),
        };
        self.fill_table(&counts);
    }

    /// Huffman code lengths for `freqs` (at least two symbols) into `lens`; returns how many
    /// codewords have each length.
    fn code_lengths(&mut self) -> [u32; MAX_LEN + 1] {
        let n = self.freqs.len();
        // Symbols by increasing (frequency, symbol).
        self.sort_symbols();

        // Build the tree's n - 1 internal nodes in order of creation (so of nondecreasing
        // weight): two queues, the sorted leaves and the internal nodes not yet given a parent.
        // `nodes[k]` holds node k's weight until it gets a parent, then the parent's index.
        let nodes = &mut self.nodes;
        nodes.clear();
        nodes.resize(n - 1, 0);
        let keys = &self.keys;
        let (mut leaf, mut orphan) = (0usize, 0usize);
        for e in 0..n - 1 {
            let mut weight = 0u32;
            for _ in 0..2 {
                // Prefer a leaf when weights tie. At each step at least two candidates are
                // left, so one of the queues is non-empty.
                let take_leaf =
                    leaf < n && (orphan >= e || keys[leaf] >> SYM_BITS <= nodes[orphan]);
                if take_leaf {
                    weight = weight.saturating_add(keys[leaf] >> SYM_BITS);
                    leaf += 1;
                } else if orphan < e {
                    weight = weight.saturating_add(nodes[orphan]);
                    nodes[orphan] = e as u32;
                    orphan += 1;
                }
            }
            nodes[e] = weight;
        }

        // Depths, root (node n - 2) first: parents have larger indexes than their children.
        // Each internal node turns one codeword of its depth into two one bit longer; a node
        // at depth >= 15 splits the deepest codeword shorter than 15 bits instead.
        let root = n - 2;
        nodes[root] = 0;
        let mut counts = [0u32; MAX_LEN + 1];
        counts[1] = 2;
        for k in (0..root).rev() {
            let parent = nodes[k] as usize;
            let depth = nodes.get(parent).map_or(0, |d| d + 1);
            nodes[k] = depth;
            let mut len = depth as usize;
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

        // Longest codewords to the least frequent symbols.
        let mut idx = 0;
        for len in (1..=MAX_LEN).rev() {
            for _ in 0..counts[len] {
                if let Some(&key) = keys.get(idx) {
                    self.lens[(key & ((1 << SYM_BITS) - 1)) as usize] = len as u8;
                }
                idx += 1;
            }
        }
        counts
    }

    /// Fills `keys` with `frequency << SYM_BITS | symbol` in increasing order: a counting sort
    /// by frequency (which keeps symbols in order within a frequency) with one bucket per
    /// frequency below the alphabet size; the few symbols more frequent than that share the
    /// last bucket, which is then sorted. (Frequencies are halved at every rebuild, so their
    /// sum stays near twice the rebuild frequency plus the alphabet size.)
    fn sort_symbols(&mut self) {
        // Clamped so that a key can never be ambiguous.
        let key = |sym: usize, f: u32| (f.min((1 << (32 - SYM_BITS)) - 1) << SYM_BITS) | sym as u32;
        let n = self.freqs.len();
        let last = n - 1;
        let starts = &mut self.counts;
        starts.clear();
        starts.resize(n + 1, 0);
        for &f in &self.freqs {
            starts[(f as usize).min(last) + 1] += 1;
        }
        for i in 1..=n {
            starts[i] += starts[i - 1];
        }
        let tail = starts[last] as usize;
        self.keys.clear();
        self.keys.resize(n, 0);
        for (sym, &f) in self.freqs.iter().enumerate() {
            let slot = &mut starts[(f as usize).min(last)];
            if let Some(k) = self.keys.get_mut(*slot as usize) {
                *k = key(sym, f);
            }
            *slot += 1;
        }
        if let Some(t) = self.keys.get_mut(tail..) {
            t.sort_unstable();
        }
    }

    /// Fills the decode table for the canonical code with lengths `lens` (`counts[l]` of
    /// length `l`). A length set that is not a prefix code leaves entries out (they stay 0 and
    /// decode as errors) rather than writing out of place.
    fn fill_table(&mut self, counts: &[u32; MAX_LEN + 1]) {
        let tb = self.table_bits as usize;
        // A code of two or more symbols is complete (Huffman codes are, and the length limit
        // keeps Kraft's equality): every primary entry is rewritten below, so only smaller
        // codes need the table cleared. (Should an entry survive from an earlier code anyway,
        // it decodes some symbol of this alphabet or fails the bounds checks: never unsafe.)
        if self.freqs.len() < 2 {
            self.table.clear();
        }
        self.table.resize(1 << tb, 0);
        self.table.truncate(1 << tb);

        // Symbols in canonical order: by length, then symbol.
        let mut next = [0usize; MAX_LEN + 2];
        for len in 1..=MAX_LEN {
            next[len + 1] = next[len] + counts[len] as usize;
        }
        for (sym, &len) in self.lens.iter().enumerate() {
            let len = len as usize;
            if (1..=MAX_LEN).contains(&len) {
                if let Some(slot) = self.sorted.get_mut(next[len]) {
                    *slot = sym as u16;
                }
                next[len] += 1;
            }
        }

        let mut remaining = *counts;
        let mut code = 0usize;
        let mut idx = 0usize;
        let mut prefix_now = usize::MAX;
        let (mut sub_start, mut sub_bits) = (0usize, 0usize);
        for len in 1..=MAX_LEN {
            for _ in 0..counts[len] {
                let sym = u32::from(self.sorted.get(idx).copied().unwrap_or(0));
                idx += 1;
                if len <= tb {
                    let shift = tb - len;
                    let start = code << shift;
                    let entry = (sym << 16) | len as u32;
                    if let Some(s) = self.table.get_mut(start..start + (1 << shift)) {
                        s.fill(entry);
                    }
                } else {
                    let extra = len - tb;
                    let prefix = code >> extra;
                    if prefix != prefix_now && prefix < 1 << tb {
                        // Size the second-level table to cover every remaining codeword that
                        // shares this prefix.
                        let mut bits = extra;
                        let mut left = 1i64 << bits;
                        loop {
                            left -= i64::from(remaining[tb + bits]);
                            if left <= 0 || tb + bits >= MAX_LEN {
                                break;
                            }
                            bits += 1;
                            left <<= 1;
                        }
                        sub_start = self.table.len();
                        sub_bits = bits;
                        self.table.resize(sub_start + (1 << bits), 0);
                        self.table[prefix] = ((sub_start as u32) << 16) | SUB | bits as u32;
                        prefix_now = prefix;
                    }
                    if prefix == prefix_now {
                        let shift = sub_bits - extra;
                        let start = sub_start + ((code & ((1 << extra) - 1)) << shift);
                        let entry = (sym << 16) | extra as u32;
                        if let Some(s) = self.table.get_mut(start..start + (1 << shift)) {
                            s.fill(entry);
                        }
                    }
                }
                remaining[len] = remaining[len].saturating_sub(1);
                code += 1;
            }
            code <<= 1;
        }
    }

    /// The current codeword lengths (for tests).
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
}
