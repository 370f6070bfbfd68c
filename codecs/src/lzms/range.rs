//! LZMS's adaptive binary decisions: the probabilities the range decoder (`streams`) decodes
//! each item-kind bit with.
//!
//! Each binary decision class keeps a state (its last 4, 5 or 6 decoded bits, newest lowest)
//! that selects one of its probability entries. An entry remembers the last 64 bits decoded
//! with it; its probability of a 0 is the number of zeros among them, clamped to 1..=63. Every
//! entry starts as if it had seen the bits `0x0000_0000_5555_5555` (48 zeros).

use super::streams::Streams;

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
    pub(super) fn decode(&mut self, s: &mut Streams<'_>) -> u32 {
        // (Compares rather than a table: when the same entry decodes bit after bit, as in a
        // run of literals, this is on the chain from one decision to the next.)
        let prob = self.zeros.clamp(1, 63);
        self.decode_with(prob, s)
    }

    /// [`ProbEntry::decode`] with the probability looked up in a table: fewer instructions,
    /// for entries that were last updated long enough ago for the load not to wait.
    #[inline(always)]
    pub(super) fn decode_looked_up(&mut self, s: &mut Streams<'_>) -> u32 {
        let prob = u32::from(PROBABILITY[self.zeros as usize & 127]);
        self.decode_with(prob, s)
    }

    #[inline(always)]
    fn decode_with(&mut self, prob: u32, s: &mut Streams<'_>) -> u32 {
        let bit = s.decode_bit(prob);
        // The oldest bit leaves the window and the new one enters. If the oldest is a 0, then
        // `zeros >= 1`, so this never underflows.
        let oldest = (self.recent >> 63) as u32;
        self.zeros = self.zeros + oldest - bit;
        self.recent = (self.recent << 1) | u64::from(bit);
        bit
    }
}

/// The probability of a 0 for each count of zeros (0..=64): the count clamped to 1..=63.
/// (128 entries: indexes masked to 127 need no bounds check.)
static PROBABILITY: [u8; 128] = {
    let mut t = [63u8; 128];
    let mut zeros = 0;
    while zeros < 64 {
        t[zeros] = if zeros == 0 { 1 } else { zeros as u8 };
        zeros += 1;
    }
    t
};

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
    pub(super) fn decode(&mut self, s: &mut Streams<'_>) -> u32 {
        let mut state = self.state;
        let bit = self.decode_in(&mut state, s);
        self.state = state;
        bit
    }

    /// [`Decision::decode`] with the state kept by the caller (in a register, for the class
    /// decoded for every item); [`Decision::state`] and [`Decision::set_state`] move it.
    #[inline(always)]
    pub(super) fn decode_in(&mut self, state: &mut usize, s: &mut Streams<'_>) -> u32 {
        let bit = self.probs[*state & (N - 1)].decode_looked_up(s);
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
