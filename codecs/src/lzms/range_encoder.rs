//! The forward stream, encoding side: LZMS's binary range encoder and the adaptive
//! probabilities of its decisions, mirroring `range` (the decoder).
//!
//! A bit with probability `p / 64` of being 0 splits the range at `bound = (range >> 6) * p`: a
//! 0 keeps `[low, low + bound)`, a 1 keeps `[low + bound, low + range)`. When the range drops to
//! `0xFFFF` or less, it is scaled up by 16 bits and the top 16-bit unit of `low` leaves for the
//! output. `low` has one bit more than the range (a carry); a unit of `0xFFFF` is held back
//! until it is known whether a later carry turns it (and the units held with it) into `0x0000`
//! and increments the unit before. The output is the number the decoder's `code` walks
//! through, in 16-bit little-endian units, from the start of the chunk. (The construction is
//! the classic carry-less "cache" range encoder; wimlib's `lzms_compress.c` describes the
//! LZMS instance.)
//!
//! Each decision class keeps the same state as the decoder's: its last bits select an entry
//! remembering its last 64 bits, whose number of zeros (clamped to 1..=63) is the probability.

/// Cost unit: 1/16 bit.
pub(super) const COST_SHIFT: u32 = 4;

/// Encodes bits into 16-bit units.
#[derive(Debug)]
pub(super) struct RangeEncoder {
    /// Low end of the interval: 32 bits and a carry (bit 32).
    low: u64,
    range: u32,
    /// The last unit shifted out of `low`, not yet written (it may still take a carry).
    cache: u16,
    /// `cache` plus the `0xFFFF` units held behind it.
    held: u64,
    /// The first unit shifted out is the always-zero unit above the 32-bit window: dropped.
    started: bool,
    out: Vec<u8>,
}

impl RangeEncoder {
    pub(super) fn new(capacity: usize) -> Self {
        RangeEncoder {
            low: 0,
            range: 0xFFFF_FFFF,
            cache: 0,
            held: 1,
            started: false,
            out: Vec::with_capacity(capacity),
        }
    }

    fn put(&mut self, unit: u16) {
        if self.started {
            self.out.extend_from_slice(&unit.to_le_bytes());
        }
        self.started = true;
    }

    fn shift_low(&mut self) {
        let carry = (self.low >> 32) as u16;
        if (self.low as u32) < 0xFFFF_0000 || carry != 0 {
            // The held units are final now: the cache with the carry, then the 0xFFFF units
            // (which become 0x0000 on a carry).
            self.put(self.cache.wrapping_add(carry));
            for _ in 1..self.held {
                self.put(0xFFFFu16.wrapping_add(carry));
            }
            self.held = 0;
            self.cache = (self.low >> 16) as u16;
        }
        self.held += 1;
        self.low = (self.low & 0xFFFF) << 16;
    }

    /// Encodes `bit` with probability `prob / 64` (1..=63) of a 0.
    #[inline(always)]
    pub(super) fn encode_bit(&mut self, bit: u32, prob: u32) {
        let bound = (self.range >> 6) * prob;
        if bit == 0 {
            self.range = bound;
        } else {
            self.low += u64::from(bound);
            self.range -= bound;
        }
        if self.range <= 0xFFFF {
            self.range <<= 16;
            self.shift_low();
        }
    }

    /// Writes out the rest of `low` and returns the stream (a whole number of units).
    pub(super) fn finish(mut self) -> Vec<u8> {
        // The cache and the two units of `low`: after them every bit of the final interval's
        // low end is out, and whatever follows in the chunk keeps the decoder's code inside it.
        for _ in 0..3 {
            self.shift_low();
        }
        self.out
    }

    /// Bytes written so far.
    pub(super) fn len(&self) -> usize {
        self.out.len()
    }
}

/// The cost of a bit, indexed by its probability (in 64ths) of being the value it has.
#[derive(Debug, Clone)]
pub(super) struct BitCosts([u32; 65]);

impl BitCosts {
    pub(super) fn new() -> Self {
        let mut t = [0u32; 65];
        for (p, c) in t.iter_mut().enumerate().skip(1) {
            *c = ((64.0 / p as f64).log2() * f64::from(1u32 << COST_SHIFT)).round() as u32;
        }
        t[0] = t[1];
        BitCosts(t)
    }
}

/// A binary decision class with `N` states (16, 32 or 64), as in the decoder.
#[derive(Debug, Clone)]
pub(super) struct Decision<const N: usize> {
    state: usize,
    /// Per state: the last 64 bits coded with the entry (newest lowest) and its zero count.
    recent: [u64; N],
    zeros: [u32; N],
}

impl<const N: usize> Decision<N> {
    pub(super) fn new() -> Self {
        const { assert!(N.is_power_of_two()) };
        Decision {
            state: 0,
            recent: [0x0000_0000_5555_5555; N],
            zeros: [48; N],
        }
    }

    /// Probability (in 64ths) that the next bit is 0.
    #[inline(always)]
    fn prob(&self) -> u32 {
        self.zeros[self.state].clamp(1, 63)
    }

    /// Encodes `bit` (0 or 1) and adapts.
    #[inline(always)]
    pub(super) fn encode(&mut self, rc: &mut RangeEncoder, bit: u32) {
        let s = self.state;
        rc.encode_bit(bit, self.prob());
        let oldest = (self.recent[s] >> 63) as u32;
        self.zeros[s] = self.zeros[s] + oldest - bit;
        self.recent[s] = (self.recent[s] << 1) | u64::from(bit);
        self.state = ((s << 1) | bit as usize) & (N - 1);
    }

    /// The cost of coding `bit` next (without adapting).
    #[inline(always)]
    pub(super) fn cost(&self, bit: u32, costs: &BitCosts) -> u32 {
        let p0 = self.prob();
        costs.0[(if bit == 0 { p0 } else { 64 - p0 }) as usize]
    }
}
