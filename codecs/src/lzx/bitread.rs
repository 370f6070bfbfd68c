//! The LZX input bit stream: 16-bit little-endian words, each read from its most significant bit
//! down ([MS-PATCH] §2.2, "bitstream of byte-swapped 16-bit integers").
//!
//! Bits sit left-aligned in a 64-bit buffer that is topped up a whole word at a time, four words
//! at once while at least 8 input bytes remain. Past the end of the input the reader supplies
//! zero words and counts them (`pad`): peeking a few bits beyond the last codeword is normal
//! (table lookups look ahead), but *consuming* them means the input was truncated, which
//! [`BitReader::overrun`] reports.

use crate::huffman::decode::{entry_len, entry_sym, DecodeTable};

#[derive(Debug, Clone)]
pub(super) struct BitReader<'a> {
    data: &'a [u8],
    /// Next input byte to load into the buffer.
    pos: usize,
    /// Unconsumed bits, most significant first; the bits below `count` are zero.
    buf: u64,
    /// Number of valid bits in `buf`, at most 63.
    count: u32,
    /// Zero bits appended after the end of the input.
    pad: u64,
    /// `pos < fast_end` means 8 input bytes are left at `pos`.
    fast_end: usize,
}

impl<'a> BitReader<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        BitReader {
            data,
            pos: 0,
            buf: 0,
            count: 0,
            pad: 0,
            fast_end: data.len().saturating_sub(7),
        }
    }

    /// Tops the buffer up to at least 48 bits (whole words only, so at most 63).
    #[inline(always)]
    pub(super) fn refill(&mut self) {
        if self.pos < self.fast_end {
            let mut w = [0u8; 8];
            w.copy_from_slice(&self.data[self.pos..self.pos + 8]);
            // Little-endian words w0..w3 become w0 w1 w2 w3 from the top bit down.
            let v = u64::from_le_bytes(w).rotate_left(32);
            let v = ((v & 0xFFFF_0000_FFFF_0000) >> 16) | ((v & 0x0000_FFFF_0000_FFFF) << 16);
            // Branch-free: 0..=3 words, none when 48 or more bits are buffered.
            let words = (63 - self.count) >> 4;
            let take = v & !(u64::MAX >> (16 * words));
            self.buf |= take >> self.count;
            self.count += 16 * words;
            self.pos += 2 * words as usize;
        } else {
            // By value, so that the reader's address never escapes and it can stay in
            // registers in the decoding loops.
            (self.buf, self.count, self.pos, self.pad) =
                refill_slow(self.data, self.buf, self.count, self.pos, self.pad);
        }
    }

    /// Makes sure at least `n` (<= 48) bits are buffered.
    #[inline(always)]
    pub(super) fn ensure(&mut self, n: u32) {
        if self.count < n {
            self.refill();
        }
    }

    /// Number of buffered bits.
    #[inline(always)]
    pub(super) fn available(&self) -> u32 {
        self.count
    }

    /// Decodes one Huffman symbol with `table`; `None` for a bit pattern that is no codeword.
    /// The caller has buffered at least the longest codeword's length of bits.
    #[inline(always)]
    pub(super) fn decode<const TB: u32>(&mut self, table: &DecodeTable<TB>) -> Option<u32> {
        let e = table.lookup(self.buf);
        let len = entry_len(e);
        if len == 0 {
            return None;
        }
        self.consume(len);
        Some(entry_sym(e) as u32)
    }

    /// Drops `n` bits; the caller made sure they are buffered.
    #[inline(always)]
    pub(super) fn consume(&mut self, n: u32) {
        debug_assert!(n <= self.count);
        self.buf <<= n;
        self.count -= n;
    }

    /// Takes `n` (0..=32) buffered bits as an integer, first bit most significant.
    #[inline(always)]
    pub(super) fn bits(&mut self, n: u32) -> u32 {
        // Two shifts so that n == 0 yields 0 without shifting by 64.
        let v = ((self.buf >> 1) >> (63 - n)) as u32;
        self.consume(n);
        v
    }

    /// Reads `n` (0..=32) bits, refilling first if needed.
    #[inline(always)]
    pub(super) fn read_bits(&mut self, n: u32) -> u32 {
        self.ensure(n);
        self.bits(n)
    }

    /// Bits consumed since the start of the input (zero padding included).
    fn consumed_bits(&self) -> u64 {
        (self.pos as u64) * 8 + self.pad - u64::from(self.count)
    }

    /// True once bits past the end of the input have been consumed.
    pub(super) fn overrun(&self) -> bool {
        u64::from(self.count) < self.pad
    }

    /// Approximate input byte position, for error reports.
    pub(super) fn input_pos(&self) -> usize {
        usize::try_from(self.consumed_bits() / 8)
            .unwrap_or(usize::MAX)
            .min(self.data.len())
    }

    /// Skips the 1..=16 padding bits that align the stream to a 16-bit boundary before the byte
    /// stream of an uncompressed block (a full word when it is already aligned, [MS-PATCH]
    /// §2.3.2.1) and returns the byte position that follows. `None` if the bits already consumed
    /// overran the input.
    pub(super) fn align_to_bytes(&self) -> Option<usize> {
        if self.overrun() {
            return None;
        }
        let consumed = self.consumed_bits();
        let aligned = (consumed / 16 + 1) * 16;
        usize::try_from(aligned / 8).ok()
    }

    /// Restarts the bit stream at byte `pos` (after the byte stream of an uncompressed block).
    pub(super) fn restart_at(&mut self, pos: usize) {
        self.pos = pos;
        self.buf = 0;
        self.count = 0;
        self.pad = 0;
    }

    /// The input bytes.
    pub(super) fn data(&self) -> &'a [u8] {
        self.data
    }
}

/// Word-at-a-time refill near the end of the input, with zero words past it.
#[cold]
#[inline(never)]
fn refill_slow(
    data: &[u8],
    mut buf: u64,
    mut count: u32,
    mut pos: usize,
    mut pad: u64,
) -> (u64, u32, usize, u64) {
    while count < 48 {
        let word = match data.get(pos..pos.wrapping_add(2)) {
            Some(b) => {
                pos += 2;
                u16::from_le_bytes([b[0], b[1]])
            }
            None => {
                pad = pad.saturating_add(16);
                0
            }
        };
        buf |= u64::from(word) << (48 - count);
        count += 16;
    }
    (buf, count, pos, pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_read_msb_first() {
        // Words 0x8001 and 0x00ff, stored little-endian.
        let data = [0x01, 0x80, 0xff, 0x00];
        let mut br = BitReader::new(&data);
        assert_eq!(br.read_bits(1), 1);
        assert_eq!(br.read_bits(14), 0);
        assert_eq!(br.read_bits(1), 1);
        assert_eq!(br.read_bits(8), 0);
        assert_eq!(br.read_bits(0), 0);
        assert_eq!(br.read_bits(8), 0xff);
        assert!(!br.overrun());
        assert_eq!(br.read_bits(1), 0);
        assert!(br.overrun());
    }

    #[test]
    fn fast_and_slow_refill_agree() {
        let data: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        for step in 1..=17u32 {
            let mut a = BitReader::new(&data);
            let mut bits = Vec::new();
            for _ in 0..(data.len() as u32 * 8 / step) {
                bits.push(a.read_bits(step));
            }
            // Reference: a plain per-bit walk over the words.
            let mut i = 0usize;
            for (k, v) in bits.iter().enumerate() {
                let mut want = 0u32;
                for _ in 0..step {
                    let word = u16::from_le_bytes([data[i / 16 * 2], data[i / 16 * 2 + 1]]);
                    want = (want << 1) | u32::from((word >> (15 - i % 16)) & 1);
                    i += 1;
                }
                assert_eq!(*v, want, "step {step} read {k}");
            }
        }
    }

    #[test]
    fn alignment_skips_a_full_word_when_aligned() {
        let data = [0u8; 8];
        let mut br = BitReader::new(&data);
        assert_eq!(br.align_to_bytes(), Some(2));
        br.read_bits(3);
        assert_eq!(br.align_to_bytes(), Some(2));
        br.read_bits(13);
        assert_eq!(br.align_to_bytes(), Some(4));
    }
}
