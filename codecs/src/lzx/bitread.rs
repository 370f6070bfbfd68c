//! The LZX input bit stream: 16-bit little-endian words, each read from its most significant bit
//! down ([MS-PATCH] §2.2, "bitstream of byte-swapped 16-bit integers").
//!
//! The decoder first copies the input with the two bytes of every word swapped ([`swap_words`],
//! see [`crate::words`]), which turns the stream into plain big-endian bytes read most
//! significant bit first. Bits
//! then sit left-aligned in a 64-bit buffer topped up with whole bytes, 56..=63 bits at a time
//! from one unaligned 8-byte load while 8 bytes are left (the bits below the count are the
//! next bytes' bits, which the next load ORs in again unchanged). Past the end of the input
//! the reader supplies zero bytes: peeking beyond the last codeword is normal (table lookups
//! look ahead), but *consuming* those bits means the input was truncated, which
//! [`BitReader::overrun`] reports. (A trailing odd byte is no whole word: it is not part of
//! the bit stream.)

use crate::huffman::decode::{entry_len, entry_shift, entry_sym, DecodeTable};

/// Fills `out` with `input`'s whole 16-bit words, the bytes of each swapped, then 8 zero bytes.
pub(super) fn swap_words(input: &[u8], out: &mut Vec<u8>) {
    let even = input.len() & !1;
    // Every byte is overwritten below: only a grown tail gets zeroed first.
    out.resize(even + 8, 0);
    crate::words::swap_pairs(&input[..even], &mut out[..even]);
    out[even..].fill(0);
}

#[derive(Debug, Clone)]
pub(super) struct BitReader<'a> {
    /// The input as given (for the byte stream of uncompressed blocks).
    data: &'a [u8],
    /// [`swap_words`] of `data`.
    swapped: &'a [u8],
    /// Next byte of `swapped` to load; may run past its end (zeros are loaded there).
    pos: usize,
    /// Unconsumed bits, most significant first.
    buf: u64,
    /// Number of valid bits in `buf`, at most 63.
    count: u32,
    /// Bits of the stream: twice the number of whole words of `data`.
    end_bits: u64,
}

impl<'a> BitReader<'a> {
    /// A reader of `data`, whose [`swap_words`] copy is `swapped`.
    pub(super) fn new(data: &'a [u8], swapped: &'a [u8]) -> Self {
        BitReader {
            data,
            swapped,
            pos: 0,
            buf: 0,
            count: 0,
            end_bits: (data.len() as u64 & !1) * 8,
        }
    }

    /// The fast refill's load, while 8 bytes of `swapped` are left: the bits that top the
    /// buffer up to 56..=63 (to be ORed into it, then `count |= 56`), with `pos` moved past
    /// the whole bytes they take. `None` near the end (the careful [`refill_slow`]).
    #[inline(always)]
    fn fast_fill(&mut self) -> Option<u64> {
        let bytes = self.swapped.get(self.pos..self.pos.wrapping_add(8))?;
        let mut w = [0u8; 8];
        w.copy_from_slice(bytes);
        let fill = u64::from_be_bytes(w) >> self.count;
        self.pos += ((63 - self.count) >> 3) as usize;
        Some(fill)
    }

    /// Tops the buffer up to at least 56 bits (whole bytes only, so at most 63).
    #[inline(always)]
    pub(super) fn refill(&mut self) {
        if let Some(fill) = self.fast_fill() {
            self.buf |= fill;
            self.count |= 56;
        } else {
            // By value, so that the reader's address never escapes and it can stay in
            // registers in the decoding loops.
            (self.buf, self.count, self.pos) =
                refill_slow(self.swapped, self.buf, self.count, self.pos);
        }
    }

    /// [`BitReader::refill`] then [`BitReader::decode`], with the lookup made before the
    /// refill's bits are merged in when a whole codeword (16 bits) is still buffered: the
    /// lookup then does not wait for the refill's load, whose address waits for the lengths
    /// of the symbols before it.
    #[inline(always)]
    pub(super) fn refill_decode<const TB: u32>(&mut self, table: &DecodeTable<TB>) -> u32 {
        let Some(fill) = self.fast_fill() else {
            self.refill();
            return self.decode(table);
        };
        let e;
        if self.count >= 16 {
            e = table.lookup(self.buf);
            self.buf |= fill;
        } else {
            self.buf |= fill;
            e = table.lookup(self.buf);
        }
        self.count |= 56;
        self.buf = self.buf.wrapping_shl(entry_shift(e));
        self.count -= entry_len(e);
        entry_sym(e) as u32
    }

    /// [`BitReader::refill`] then [`BitReader::bits`]`(n)` (`n` <= 32), the bits taken before
    /// the refill's are merged in when they are already buffered (as in
    /// [`BitReader::refill_decode`]).
    #[inline(always)]
    pub(super) fn refill_bits(&mut self, n: u32) -> u32 {
        let Some(fill) = self.fast_fill() else {
            self.refill();
            return self.bits(n);
        };
        let v;
        if self.count >= n {
            v = ((self.buf >> 1) >> (63 - n)) as u32;
            self.buf |= fill;
        } else {
            self.buf |= fill;
            v = ((self.buf >> 1) >> (63 - n)) as u32;
        }
        self.count |= 56;
        self.consume(n);
        v
    }

    /// Makes sure at least `n` (<= 56) bits are buffered.
    #[inline(always)]
    pub(super) fn ensure(&mut self, n: u32) {
        if self.count < n {
            self.refill();
        }
    }

    /// Decodes one Huffman symbol with `table`: a symbol above the alphabet for a bit pattern
    /// that is no codeword ([`crate::huffman::decode::INVALID`]), which the caller's range
    /// check rejects. The caller has buffered at least the longest codeword's length of bits.
    #[inline(always)]
    pub(super) fn decode<const TB: u32>(&mut self, table: &DecodeTable<TB>) -> u32 {
        let e = table.lookup(self.buf);
        debug_assert!(entry_len(e) <= self.count);
        // The entry's low 6 bits are its length: no mask on the chain from one lookup to the
        // next (`entry_shift`).
        self.buf = self.buf.wrapping_shl(entry_shift(e));
        self.count -= entry_len(e);
        entry_sym(e) as u32
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
        (self.pos as u64) * 8 - u64::from(self.count)
    }

    /// True once bits past the end of the input have been consumed.
    pub(super) fn overrun(&self) -> bool {
        self.consumed_bits() > self.end_bits
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

    /// Restarts the bit stream at byte `pos` (even: after the byte stream of an uncompressed
    /// block and its padding byte).
    pub(super) fn restart_at(&mut self, pos: usize) {
        self.pos = pos;
        self.buf = 0;
        self.count = 0;
    }

    /// The input bytes.
    pub(super) fn data(&self) -> &'a [u8] {
        self.data
    }
}

/// Byte-at-a-time refill near the end of the input, with zero bytes past it.
#[cold]
#[inline(never)]
fn refill_slow(swapped: &[u8], mut buf: u64, mut count: u32, mut pos: usize) -> (u64, u32, usize) {
    while count < 56 {
        let byte = swapped.get(pos).copied().unwrap_or(0);
        buf |= u64::from(byte) << (56 - count);
        count += 8;
        pos = pos.saturating_add(1);
    }
    (buf, count, pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader<'a>(data: &'a [u8], sw: &'a mut Vec<u8>) -> BitReader<'a> {
        swap_words(data, sw);
        BitReader::new(data, sw)
    }

    #[test]
    fn words_are_read_msb_first() {
        // Words 0x8001 and 0x00ff, stored little-endian.
        let data = [0x01, 0x80, 0xff, 0x00];
        let mut sw = Vec::new();
        let mut br = reader(&data, &mut sw);
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
            let mut sw = Vec::new();
            let mut a = reader(&data, &mut sw);
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
        let mut sw = Vec::new();
        let mut br = reader(&data, &mut sw);
        assert_eq!(br.align_to_bytes(), Some(2));
        br.read_bits(3);
        assert_eq!(br.align_to_bytes(), Some(2));
        br.read_bits(13);
        assert_eq!(br.align_to_bytes(), Some(4));
    }
}
