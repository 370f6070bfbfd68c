//! The forward stream: LZMS's binary range decoder and its adaptive probabilities.
//!
//! The range decoder reads 16-bit little-endian units from the front of the chunk. It starts with
//! `range = 0xFFFF_FFFF` and `code` = the first two units (high unit first). Before each bit, a
//! range of `0xFFFF` or less is renormalized: range and code shift left by 16 and the next unit
//! fills the low half of the code. A bit is decoded against `bound = (range >> 6) * p`, where
//! `p / 64` is the probability of a 0: `code < bound` gives 0 (range becomes `bound`), otherwise
//! 1 (`bound` is subtracted from both range and code).
//!
//! Past the end of the input the decoder shifts in zeros, as the reference decoder does: a valid
//! stream's final renormalizations may look ahead of what its encoder flushed. This is safe:
//! every item decoded writes at least one output byte, so the output size bounds the work.
//!
//! Each binary decision class keeps a state (its last 4, 5 or 6 decoded bits, newest lowest)
//! that selects one of its probability entries. An entry remembers the last 64 bits decoded
//! with it; its probability of a 0 is the number of zeros among them, clamped to 1..=63. Every
//! entry starts as if it had seen the bits `0x0000_0000_5555_5555` (48 zeros).

/// Decodes bits from the front of an LZMS chunk.
#[derive(Debug, Clone)]
pub(super) struct RangeDecoder<'a> {
    input: &'a [u8],
    /// Byte position of the next 16-bit unit.
    pos: usize,
    range: u32,
    code: u32,
}

impl<'a> RangeDecoder<'a> {
    /// Starts decoding `input`, which must hold at least 4 bytes (checked by the caller; a
    /// shorter input reads as zeros).
    pub(super) fn new(input: &'a [u8]) -> Self {
        let mut rd = RangeDecoder {
            input,
            pos: 0,
            range: 0xFFFF_FFFF,
            code: 0,
        };
        let hi = rd.next_unit();
        let lo = rd.next_unit();
        rd.code = (hi << 16) | lo;
        rd
    }

    #[inline(always)]
    fn next_unit(&mut self) -> u32 {
        match self.input.get(self.pos..self.pos.wrapping_add(2)) {
            Some(&[a, b]) => {
                self.pos += 2;
                u32::from(u16::from_le_bytes([a, b]))
            }
            _ => 0,
        }
    }

    /// Decodes one bit whose probability of being 0 is `prob / 64` (`prob` in 1..=63).
    #[inline(always)]
    pub(super) fn decode_bit(&mut self, prob: u32) -> u32 {
        if self.range <= 0xFFFF {
            // `range` is at least 1 here, so one shift restores it above 0xFFFF. (`<<` on u32
            // discards high bits; only a corrupt stream has code > range.)
            self.range <<= 16;
            self.code = (self.code << 16) | self.next_unit();
        }
        // range >> 6 < 2^26 and prob < 64: no overflow; bound < range.
        let bound = (self.range >> 6) * prob;
        if self.code < bound {
            self.range = bound;
            0
        } else {
            self.range -= bound;
            self.code -= bound;
            1
        }
    }

    /// Byte position reached in the input (for error reports).
    pub(super) fn position(&self) -> usize {
        self.pos
    }
}

/// One adaptive probability entry.
#[derive(Debug, Clone, Copy)]
pub(super) struct ProbEntry {
    /// The last 64 bits decoded with this entry, newest in bit 0.
    recent: u64,
    /// Number of zeros in `recent` (0..=64). (A `u32`, not a `u8`: no partial-register
    /// updates on the chain from one decision to the next; measured faster.)
    zeros: u32,
}

impl ProbEntry {
    const INITIAL: ProbEntry = ProbEntry {
        recent: 0x0000_0000_5555_5555,
        zeros: 48,
    };

    /// Decodes one bit with this entry and updates it.
    #[inline(always)]
    pub(super) fn decode(&mut self, rd: &mut RangeDecoder<'_>) -> u32 {
        // (Compares rather than a table: this is on the chain from one decision to the next.)
        let prob = self.zeros.clamp(1, 63);
        let bit = rd.decode_bit(prob);
        // The oldest bit leaves the window and the new one enters. If the oldest is a 0, then
        // `zeros >= 1`, so this never underflows.
        let oldest = (self.recent >> 63) as u32;
        self.zeros = self.zeros + oldest - bit;
        self.recent = (self.recent << 1) | u64::from(bit);
        bit
    }
}

/// A binary decision class with `N` states (N = 16, 32 or 64).
#[derive(Debug, Clone)]
pub(super) struct Decision<const N: usize> {
    state: usize,
    probs: [ProbEntry; N],
}

impl<const N: usize> Decision<N> {
    pub(super) fn new() -> Self {
        const { assert!(N.is_power_of_two()) };
        Decision {
            state: 0,
            probs: [ProbEntry::INITIAL; N],
        }
    }

    /// Decodes one bit of this class and updates its state and probability entry.
    #[inline(always)]
    pub(super) fn decode(&mut self, rd: &mut RangeDecoder<'_>) -> u32 {
        let mut state = self.state;
        let bit = self.decode_in(&mut state, rd);
        self.state = state;
        bit
    }

    /// [`Decision::decode`] with the state kept by the caller (in a register, for the class
    /// decoded for every item); [`Decision::state`] and [`Decision::set_state`] move it.
    #[inline(always)]
    pub(super) fn decode_in(&mut self, state: &mut usize, rd: &mut RangeDecoder<'_>) -> u32 {
        let bit = self.probs[*state & (N - 1)].decode(rd);
        *state = ((*state << 1) | bit as usize) & (N - 1);
        bit
    }

    /// The entry of state 0, for a caller that decodes a run of decisions in state 0 (literals
    /// after literals) with a copy of it in registers, sparing each decision the wait for the
    /// previous one's store; [`Decision::set_entry0`] puts it back.
    pub(super) fn entry0(&self) -> ProbEntry {
        self.probs[0]
    }

    pub(super) fn set_entry0(&mut self, entry: ProbEntry) {
        self.probs[0] = entry;
    }

    pub(super) fn state(&self) -> usize {
        self.state
    }

    pub(super) fn set_state(&mut self, state: usize) {
        self.state = state;
    }
}
