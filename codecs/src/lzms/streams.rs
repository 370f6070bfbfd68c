//! The two streams of an LZMS chunk, read towards each other from its two ends: the range
//! decoder's units forwards from the start, the Huffman codewords' and extra bits' units
//! backwards from the end. One `Copy` value holds both (and the input once), so that the
//! decoding loops keep it in registers: they copy it into a local and write it back when
//! they stop.
//!
//! **Forward (range decoder).** 16-bit little-endian units from the front. It starts with
//! `range = 0xFFFF_FFFF` and `code` = the first two units (high unit first). Before each bit,
//! a range of `0xFFFF` or less is renormalized: range and code shift left by 16 and the next
//! unit fills the low half of the code. A bit is decoded against `bound = (range >> 6) * p`,
//! where `p / 64` is the probability of a 0: `code < bound` gives 0 (range becomes `bound`),
//! otherwise 1 (`bound` is subtracted from both range and code). Past the end of the input
//! the decoder shifts in zeros, as the reference decoder does: a valid stream's final
//! renormalizations may look ahead of what its encoder flushed. This is safe: every item
//! decoded writes at least one output byte, so the output size bounds the work.
//!
//! **Backward (bits).** 16-bit little-endian units from the last towards the first; within a
//! unit the high bit comes first. Bits are kept in a 64-bit buffer, the next bit in bit 63.
//! Reading past the start of the input yields zero bits too (the Huffman decoder peeks up to
//! 15 bits ahead of what it consumes), but consuming such padding bits means the input was too
//! short: no encoder wrote them. [`Streams::overrun`] reports it and the decoder turns it
//! into an error.

/// Both streams of a chunk.
#[derive(Debug, Clone, Copy)]
pub(super) struct Streams<'a> {
    input: &'a [u8],
    /// Forward: byte position of the next 16-bit unit.
    rpos: usize,
    range: u32,
    code: u32,
    /// Backward: the next unit is `input[bpos - 2..bpos]`; below 0 once zero units have been
    /// appended past the start of the input (`-bpos` bytes of them).
    bpos: isize,
    buf: u64,
    /// Valid bits in `buf` (at the top).
    avail: u32,
}

impl<'a> Streams<'a> {
    /// Starts both streams on `input`: the forward one needs at least 4 bytes (checked by
    /// the caller; a shorter input reads as zeros); an odd trailing byte is ignored by the
    /// backward one.
    pub(super) fn new(input: &'a [u8]) -> Self {
        let mut s = Streams {
            input,
            rpos: 0,
            range: 0xFFFF_FFFF,
            code: 0,
            // Slices never exceed isize::MAX bytes.
            bpos: (input.len() & !1) as isize,
            buf: 0,
            avail: 0,
        };
        let hi = s.next_unit();
        let lo = s.next_unit();
        s.code = (hi << 16) | lo;
        s
    }

    #[inline(always)]
    fn next_unit(&mut self) -> u32 {
        match self.input.get(self.rpos..self.rpos.wrapping_add(2)) {
            Some(&[a, b]) => {
                self.rpos += 2;
                u32::from(u16::from_le_bytes([a, b]))
            }
            _ => 0,
        }
    }

    /// Decodes one bit of the forward stream whose probability of being 0 is `prob / 64`
    /// (`prob` in 1..=63).
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

    /// Makes at least 49 bits of the backward stream available.
    #[inline(always)]
    fn refill(&mut self) {
        // Units to load: as many as fit whole (at least one: `avail` < 49 here).
        let k = (64 - self.avail) / 16;
        let p = self.bpos as usize;
        match self.input.get(p.wrapping_sub(8)..p) {
            // (None below 8 bytes, and once padding: the range is then out of the input.)
            Some(bytes) => {
                // The 8 bytes before `bpos`, as a little-endian u64, hold the next 4 units in
                // reading order from the top: unit at bpos-2 in bits 48..64, bpos-4 in 32..48.
                let mut word = [0u8; 8];
                word.copy_from_slice(bytes);
                let word = u64::from_le_bytes(word);
                let take = 16 * k; // 16..=64
                let bits = if take == 64 {
                    word
                } else {
                    word >> (64 - take)
                };
                // 64 - avail - take is in 0..16.
                self.buf |= bits << (64 - self.avail - take);
                self.avail += take;
                self.bpos -= 2 * k as isize;
            }
            _ => {
                (self.bpos, self.buf, self.avail) =
                    refill_slow(self.input, self.bpos, self.buf, self.avail, k);
            }
        }
    }

    /// Ensures at least `n` (<= 49) bits are buffered; false if bits past the start of the
    /// input have been consumed (checked only when refilling: the hot paths' cheap way of
    /// noticing a truncated chunk early).
    #[inline(always)]
    pub(super) fn ensure_checked(&mut self, n: u32) -> bool {
        if self.avail < n {
            self.refill();
            // (Padding and `avail` grow together: refilling does not change the answer.)
            return !self.overrun();
        }
        true
    }

    /// Ensures at least `n` (<= 49) bits are buffered.
    #[inline(always)]
    pub(super) fn ensure(&mut self, n: u32) {
        if self.avail < n {
            self.refill();
        }
    }

    /// The whole bit buffer, next bit in bit 63 (zeros below the buffered bits).
    #[inline(always)]
    pub(super) fn peek_all(&self) -> u64 {
        self.buf
    }

    /// Drops `n` (< 64, <= buffered) bits.
    #[inline(always)]
    pub(super) fn consume(&mut self, n: u32) {
        debug_assert!(n < 64 && n <= self.avail);
        self.buf <<= n;
        self.avail -= n;
    }

    /// Reads an `n`-bit number (0..=30 bits) from the backward stream, high bit first.
    #[inline(always)]
    pub(super) fn read_bits(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        self.ensure(n);
        let v = (self.buf >> (64 - n)) as u32;
        self.consume(n);
        v
    }

    /// True if bits of the backward stream past the start of the input have been consumed.
    pub(super) fn overrun(&self) -> bool {
        // -bpos bytes of padding were appended, the last `avail` bits are still buffered.
        self.bpos < 0 && (self.bpos.unsigned_abs() as u64) * 8 > u64::from(self.avail)
    }

    /// Byte position reached by the forward stream (for error reports).
    pub(super) fn forward_position(&self) -> usize {
        self.rpos
    }

    /// Approximate byte position of the backward stream's next bit (for error reports).
    pub(super) fn backward_position(&self) -> usize {
        (self.bpos.max(0) as usize) + (self.avail / 8) as usize
    }
}

/// Loads `k` units near the start of the input, padding with zeros past it. (A free function
/// over values, so that the reader's state never has its address taken.)
#[cold]
#[inline(never)]
fn refill_slow(
    input: &[u8],
    mut bpos: isize,
    mut buf: u64,
    mut avail: u32,
    k: u32,
) -> (isize, u64, u32) {
    for _ in 0..k {
        let unit = match usize::try_from(bpos) {
            Ok(p) if p >= 2 => match input.get(p - 2..p) {
                Some(&[a, b]) => u16::from_le_bytes([a, b]),
                _ => 0,
            },
            _ => 0,
        };
        // Bounded: the decoder stops long before 2^62 bytes of padding.
        bpos = bpos.saturating_sub(2);
        buf |= u64::from(unit) << (48 - avail);
        avail += 16;
    }
    (bpos, buf, avail)
}
