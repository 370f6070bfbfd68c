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
//! The lengths are computed by `code_lengths`; decoding goes through the shared two-level
//! tables of [`crate::huffman::decode`], rebuilt with each code (from the length counts the
//! length computation already has). A new chunk starts from the code of all-equal frequencies, which is the
//! same for every chunk of the same alphabet: its table is kept and copied back instead of
//! being rebuilt.

use super::code_lengths::{LengthBuilder, MAX_SYMS};
use super::streams::Streams;
use super::tables::MAX_CODEWORD_LEN;
use crate::huffman::decode::{entry_len, entry_sym, DecodeTable};

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
    /// The current codeword lengths.
    lens: Vec<u8>,
    /// Scratch space for rebuilding.
    lengths: LengthBuilder,
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
            lengths: LengthBuilder::new(),
        };
        code.reset(num_syms);
        code
    }

    /// Starts over with `num_syms` (<= 1024) symbols, all of frequency 1.
    pub(super) fn reset(&mut self, num_syms: usize) {
        debug_assert!(num_syms <= MAX_SYMS);
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
    /// Also `None` when the stream turns out to have run past the start of the input.
    #[inline(always)]
    pub(super) fn decode(&mut self, bits: &mut Streams<'_>) -> Option<usize> {
        let mut until = self.until_rebuild;
        let sym = self.decode_counting(bits, &mut until);
        self.until_rebuild = until;
        sym
    }

    /// [`AdaptiveCode::decode`] with the countdown to the next rebuild kept by the caller (in
    /// a register, for the literal loop: not a read-modify-write of memory per symbol);
    /// [`AdaptiveCode::countdown`] and [`AdaptiveCode::set_countdown`] move it.
    #[inline(always)]
    pub(super) fn decode_counting(
        &mut self,
        bits: &mut Streams<'_>,
        until: &mut u32,
    ) -> Option<usize> {
        if !bits.ensure_checked(MAX_LEN as u32) {
            return None;
        }
        let e = self.table.lookup(bits.peek_all());
        bits.consume(entry_len(e));
        let sym = entry_sym(e);
        // No codeword (only codes of fewer than two symbols have gaps): out of range.
        *self.freqs.get_mut(sym)? += 1;
        *until -= 1;
        if *until == 0 {
            self.rebuild();
            *until = self.rebuild_freq;
        }
        Some(sym)
    }

    /// [`AdaptiveCode::decode_counting`] that leaves the rebuild to the caller: once `*until`
    /// has reached 0, [`AdaptiveCode::rebuild_due`] must run before the next symbol. (Keeps
    /// the rebuild's call, around which the loop's state would be saved, out of the literal
    /// loop: measured 2-4% faster on literal-heavy chunks.)
    #[inline(always)]
    pub(super) fn decode_deferred(
        &mut self,
        bits: &mut Streams<'_>,
        until: &mut u32,
    ) -> Option<usize> {
        if !bits.ensure_checked(MAX_LEN as u32) {
            return None;
        }
        let e = self.table.lookup(bits.peek_all());
        bits.consume(entry_len(e));
        let sym = entry_sym(e);
        *self.freqs.get_mut(sym)? += 1;
        *until -= 1;
        Some(sym)
    }

    /// The rebuild that [`AdaptiveCode::decode_deferred`] leaves due; returns the new countdown.
    #[inline(never)]
    pub(super) fn rebuild_due(&mut self) -> u32 {
        self.rebuild();
        self.rebuild_freq
    }

    pub(super) fn countdown(&self) -> u32 {
        self.until_rebuild
    }

    pub(super) fn set_countdown(&mut self, until: u32) {
        self.until_rebuild = until;
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
        let mut counts = [0u16; MAX_LEN + 1];
        match self.freqs.len() {
            0 => {}
            // One symbol: codeword "0"; "1" decodes to nothing.
            1 => {
                self.lens[0] = 1;
                counts[1] = 1;
            }
            _ => counts = self.lengths.build(&self.freqs, &mut self.lens),
        }
        // Huffman lengths (limited to 15 bits) always make a prefix code, so this does not
        // fail; if it did, the table would still only hold symbols of this alphabet.
        let _ = self
            .table
            .build_counted(&self.lens, &counts, MAX_LEN as u32);
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
