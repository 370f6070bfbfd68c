//! The backward stream, encoding side: Huffman codewords and extra bits packed into 16-bit
//! units, high bit first, mirroring `bitstream` (the decoder). The decoder reads the chunk's
//! last unit first, so the units are stored in reverse order of writing at the end of the chunk.

/// Collects bits for the end of an LZMS chunk.
#[derive(Debug)]
pub(super) struct BackwardBits {
    /// Pending bits, the oldest highest (`count` of them, below 16 + 32).
    acc: u64,
    count: u32,
    /// Completed units in order of writing.
    units: Vec<u16>,
}

impl BackwardBits {
    pub(super) fn new(capacity_units: usize) -> Self {
        BackwardBits {
            acc: 0,
            count: 0,
            units: Vec::with_capacity(capacity_units),
        }
    }

    /// Appends the low `n` (0..=32) bits of `value`, high bit first.
    #[inline(always)]
    pub(super) fn put(&mut self, value: u32, n: u32) {
        debug_assert!(n <= 32 && (n == 32 || value >> n == 0));
        self.acc = (self.acc << n) | u64::from(value);
        self.count += n;
        while self.count >= 16 {
            self.count -= 16;
            self.units.push((self.acc >> self.count) as u16);
        }
        // Keep only the pending bits, so that the next shift can not overflow.
        self.acc &= (1u64 << self.count) - 1;
    }

    /// Bytes this stream takes so far (a partial unit counts whole).
    pub(super) fn len(&self) -> usize {
        2 * (self.units.len() + usize::from(self.count > 0))
    }

    /// Pads the last unit with zeros and appends the stream, last unit first, to `out`.
    pub(super) fn finish_into(mut self, out: &mut Vec<u8>) {
        if self.count > 0 {
            self.units.push((self.acc << (16 - self.count)) as u16);
        }
        out.reserve(2 * self.units.len());
        for u in self.units.iter().rev() {
            out.extend_from_slice(&u.to_le_bytes());
        }
    }
}
