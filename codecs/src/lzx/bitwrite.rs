//! The LZX output bit stream: bits packed most significant first into 16-bit words written
//! little-endian ([MS-PATCH] §2.2), plus the byte stream of uncompressed blocks.

#[derive(Debug, Default)]
pub(super) struct BitWriter {
    out: Vec<u8>,
    /// Pending bits in the low `n` bits.
    acc: u64,
    n: u32,
}

impl BitWriter {
    pub(super) fn with_capacity(cap: usize) -> Self {
        BitWriter {
            out: Vec::with_capacity(cap),
            acc: 0,
            n: 0,
        }
    }

    /// Appends the low `nbits` (0..=32) bits of `value`, most significant first.
    #[inline(always)]
    pub(super) fn put(&mut self, value: u32, nbits: u32) {
        debug_assert!(nbits <= 32);
        debug_assert!(nbits == 32 || value >> nbits == 0);
        self.acc = (self.acc << nbits) | u64::from(value);
        self.n += nbits;
        while self.n >= 16 {
            self.n -= 16;
            let w = (self.acc >> self.n) as u16;
            self.out.extend_from_slice(&w.to_le_bytes());
        }
    }

    /// Pads to the next 16-bit boundary with zero bits, adding a whole zero word if already
    /// aligned: the padding that precedes an uncompressed block's byte stream (§2.3.2.1).
    pub(super) fn align_for_bytes(&mut self) {
        let pad = 16 - self.n;
        self.put(0, pad);
    }

    /// Appends raw bytes; only valid right after [`Self::align_for_bytes`].
    pub(super) fn put_bytes(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.n, 0);
        self.out.extend_from_slice(bytes);
    }

    /// Output bytes so far, counting a partial word as two bytes.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.out.len() + if self.n > 0 { 2 } else { 0 }
    }

    /// Pads the last word with zeros and returns the stream.
    pub(super) fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            let pad = 16 - self.n;
            self.put(0, pad);
        }
        self.out
    }
}
