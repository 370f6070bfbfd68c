//! The XPRESS bit stream as the reference decoder of [MS-XCA] 2.2.4 reads it: 16-bit
//! little-endian words, most significant bit first, loaded a word at a time so that the byte
//! position of the extra length bytes (which follow the words already loaded) is exact.

use crate::DecodeError;

/// The bit stream of one block: 16-bit little-endian words, most significant bit first, kept
/// left-aligned in `buf`. Past the end of the input it feeds zero words, counted in `pad`, so
/// the lookahead never fails; consuming any of those bits is an error. It is `Copy` so the hot
/// loop can keep it in registers: out-of-line paths take and return it by value.
#[derive(Clone, Copy)]
pub(super) struct Bits<'a> {
    pub(super) data: &'a [u8],
    /// Next byte not yet loaded into `buf`.
    pub(super) pos: usize,
    pub(super) buf: u64,
    pub(super) nbits: u32,
    /// How many of the lowest valid bits of `buf` are padding past the end of `data`.
    pub(super) pad: u32,
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8], pos: usize) -> Self {
        Self {
            data,
            pos,
            buf: 0,
            nbits: 0,
            pad: 0,
        }
    }

    #[inline(always)]
    pub(super) fn err(&self, reason: &'static str) -> DecodeError {
        DecodeError {
            input_pos: self.pos.min(self.data.len()),
            reason,
        }
    }

    /// Makes at least 49 bits available (called with fewer than 32).
    #[inline(always)]
    pub(super) fn refill(&mut self) -> Result<(), DecodeError> {
        if let Some(bytes) = self.data.get(self.pos..self.pos.wrapping_add(8)) {
            let mut le = [0u8; 8];
            le.copy_from_slice(bytes);
            let v = u64::from_le_bytes(le);
            // Put word 0 in the top 16 bits, word 3 in the lowest.
            let v = v.rotate_left(32);
            let words = ((v >> 16) & 0x0000_FFFF_0000_FFFF) | ((v & 0x0000_FFFF_0000_FFFF) << 16);
            let add = (64 - self.nbits) & !15; // whole words that fit: 48 or 64 bits
            self.buf |= (words & (u64::MAX << (64 - add))) >> self.nbits;
            self.nbits += add;
            self.pos += (add / 8) as usize;
            Ok(())
        } else {
            *self = self.refill_slow()?;
            Ok(())
        }
    }

    #[cold]
    #[inline(never)]
    fn refill_slow(mut self) -> Result<Self, DecodeError> {
        if self.pad > self.nbits {
            return Err(self.err("bit stream ends before the output is complete"));
        }
        while self.nbits <= 48 {
            self.load_word();
        }
        Ok(self)
    }

    #[inline(always)]
    fn load_word(&mut self) {
        let word = match self.data.get(self.pos..self.pos.wrapping_add(2)) {
            Some(&[lo, hi]) => {
                self.pos += 2;
                u16::from_le_bytes([lo, hi])
            }
            _ => {
                self.pad += 16;
                0
            }
        };
        self.buf |= u64::from(word) << (48 - self.nbits);
        self.nbits += 16;
    }

    #[inline(always)]
    pub(super) fn consume(&mut self, n: u32) {
        self.buf <<= n;
        self.nbits -= n;
    }

    /// Takes `n <= 16` bits (`n` may be 0).
    #[inline(always)]
    pub(super) fn pop(&mut self, n: u32) -> u32 {
        let v = ((self.buf >> 32) >> (32 - n)) as u32;
        self.consume(n);
        v
    }

    /// Returns loaded-but-unused words to the input until the buffer holds 16..=31 bits, as the
    /// reference decoder does, so `pos` is where raw bytes (or the next block) start.
    #[inline(always)]
    pub(super) fn sync(&mut self) -> Result<(), DecodeError> {
        while self.nbits >= 32 {
            self.nbits -= 16;
            self.buf &= !(u64::MAX >> self.nbits);
            if self.pad >= 16 {
                self.pad -= 16;
            } else {
                self.pos = self
                    .pos
                    .checked_sub(2)
                    .ok_or_else(|| self.err("bit reader underflow"))?;
            }
        }
        if self.nbits < 16 {
            self.load_word();
        }
        if self.pad > 0 {
            return Err(self.err("bit stream ends before the output is complete"));
        }
        Ok(())
    }

    #[inline(always)]
    pub(super) fn read_bytes<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        let src = self
            .data
            .get(self.pos..self.pos.wrapping_add(N))
            .ok_or_else(|| self.err("match length bytes run past the end of the input"))?;
        out.copy_from_slice(src);
        self.pos += N;
        Ok(out)
    }
}
