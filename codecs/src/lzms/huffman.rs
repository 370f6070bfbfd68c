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
//! Decoding goes through the shared two-level tables of [`crate::huffman::decode`], rebuilt
//! with each code. A new chunk starts from the code of all-equal frequencies, which is the
//! same for every chunk of the same alphabet: its table is kept and copied back instead of
//! being rebuilt.

use super::bitstream::BackBits;
use super::tables::MAX_CODEWORD_LEN;
use crate::huffman::decode::{entry_len, entry_sym, DecodeTable};

/// Symbol values fit in this many bits of a sort key; the frequency takes the rest.
const SYM_BITS: u32 = 10;
/// Buckets of the counting sort by frequency: one per frequency below `BUCKETS - 1`, the last
/// for all higher ones (few: frequencies are halved at every rebuild), sorted afterwards.
const BUCKETS: usize = 64;
const MAX_LEN: usize = MAX_CODEWORD_LEN;

/// One adaptive code with its decode table (`TB` bits of primary table).
#[derive(Debug)]
pub(super) struct AdaptiveCode<const TB: u32> {
    rebuild_freq: u32,
    until_rebuild: u32,
    freqs: Vec<u32>,
    table: DecodeTable<TB>,
    /// The table of the initial code (every frequency 1) of `freqs.len()` symbols, if made.
    initial: Option<DecodeTable<TB>>,
    // Scratch space for rebuilding.
    lens: Vec<u8>,
    keys: Vec<u32>,
    nodes: Vec<u32>,
}

impl<const TB: u32> AdaptiveCode<TB> {
    /// A code over `num_syms` (<= 1024) symbols, all of frequency 1.
    pub(super) fn new(num_syms: usize, rebuild_freq: u32) -> Self {
        let mut code = AdaptiveCode {
            rebuild_freq,
            until_rebuild: rebuild_freq,
            freqs: Vec::new(),
            table: DecodeTable::new(),
            initial: None,
            lens: Vec::new(),
            keys: Vec::new(),
            nodes: Vec::new(),
        };
        code.reset(num_syms);
        code
    }

    /// Starts over with `num_syms` (<= 1024) symbols, all of frequency 1.
    pub(super) fn reset(&mut self, num_syms: usize) {
        debug_assert!(num_syms <= 1 << SYM_BITS);
        self.until_rebuild = self.rebuild_freq;
        let same = self.freqs.len() == num_syms;
        self.freqs.clear();
        self.freqs.resize(num_syms, 1);
        match &self.initial {
            Some(initial) if same => self.table.copy_from(initial),
            _ => {
                self.build();
                let mut initial = self.initial.take().unwrap_or_else(DecodeTable::new);
                initial.copy_from(&self.table);
                self.initial = Some(initial);
            }
        }
    }

    /// Decodes one symbol and counts it; `None` for a bit pattern that is no codeword.
    #[inline(always)]
    pub(super) fn decode(&mut self, bits: &mut BackBits<'_>) -> Option<usize> {
        bits.ensure(MAX_LEN as u32);
        let e = self.table.lookup(bits.peek_all());
        bits.consume(entry_len(e));
        let sym = entry_sym(e);
        // No codeword (only codes of fewer than two symbols have gaps): out of range.
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
        // (Every length is rewritten below: no clearing needed.)
        self.lens.resize(self.freqs.len(), 0);
        match self.freqs.len() {
            0 => {}
            // One symbol: codeword "0"; "1" decodes to nothing.
            1 => self.lens[0] = 1,
            _ => self.code_lengths(),
        }
        // Huffman lengths (limited to 15 bits) always make a prefix code, so this does not
        // fail; if it did, the table would still only hold symbols of this alphabet.
        let _ = self.table.build(&self.lens, MAX_LEN as u32);
    }

    /// Huffman code lengths for `freqs` (at least two symbols) into `lens`.
    fn code_lengths(&mut self) {
        let n = self.freqs.len();
        // Symbols by increasing (frequency, symbol).
        self.sort_symbols();

        // Build the tree's n - 1 internal nodes in order of creation (so of nondecreasing
        // weight): two queues, the sorted leaves and the internal nodes not yet given a parent.
        // `nodes[k]` holds node k's weight until it gets a parent, then the parent's index.
        // Every node is written before it is read: no clearing needed.
        self.nodes.resize(n - 1, 0);
        let nodes = &mut self.nodes[..n - 1];
        let keys = &self.keys[..n];
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
    }

    /// Fills `keys` with `frequency << SYM_BITS | symbol` in increasing order: a counting sort
    /// by frequency (which keeps symbols in order within a frequency) with one bucket per
    /// frequency below [`BUCKETS`] - 1; the few symbols more frequent than that share the last
    /// bucket, which is then sorted. (Frequencies are halved at every rebuild, so their sum
    /// stays near twice the rebuild frequency plus the alphabet size.)
    fn sort_symbols(&mut self) {
        // Clamped so that a key can never be ambiguous.
        let key = |sym: usize, f: u32| (f.min((1 << (32 - SYM_BITS)) - 1) << SYM_BITS) | sym as u32;
        let n = self.freqs.len();
        let mut starts = [0u32; BUCKETS + 1];
        for &f in &self.freqs {
            starts[(f as usize).min(BUCKETS - 1) + 1] += 1;
        }
        for i in 1..=BUCKETS {
            starts[i] += starts[i - 1];
        }
        let tail = starts[BUCKETS - 1] as usize;
        // Every key is written below: no clearing needed.
        self.keys.resize(n, 0);
        let keys = &mut self.keys[..n];
        for (sym, &f) in self.freqs.iter().enumerate() {
            let slot = &mut starts[(f as usize).min(BUCKETS - 1)];
            if let Some(k) = keys.get_mut(*slot as usize) {
                *k = key(sym, f);
            }
            *slot += 1;
        }
        if let Some(t) = keys.get_mut(tail..) {
            t.sort_unstable();
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
