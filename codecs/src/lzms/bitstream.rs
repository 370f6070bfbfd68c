//! The backward stream: Huffman codewords and extra bits, read from the end of the chunk.
//!
//! The chunk is read as 16-bit little-endian units from its last unit towards its first; within
//! a unit the high bit comes first. Bits are kept in a 64-bit buffer, the next bit in bit 63.
//!
//! Like the range decoder, reading past the start of the input yields zero bits (the Huffman
//! decoder peeks up to 15 bits ahead of what it consumes). Consuming such padding bits, though,
//! means the input was too short: no encoder wrote them. [`BackBits::overrun`] reports it and
//! the decoder turns it into an error once the chunk is decoded.

/// Reads bits backwards from the end of an LZMS chunk.
#[derive(Debug, Clone)]
pub(super) struct BackBits<'a> {
    input: &'a [u8],
    /// Bytes not yet loaded: the next unit is `input[pos - 2..pos]`.
    pos: usize,
    buf: u64,
    /// Valid bits in `buf` (at the top).
    avail: u32,
    /// Zero bits appended after the input ran out.
    padded: u32,
}

impl<'a> BackBits<'a> {
    /// Starts at the end of `input` (an odd trailing byte is ignored).
    pub(super) fn new(input: &'a [u8]) -> Self {
        BackBits {
            input,
            pos: input.len() & !1,
            buf: 0,
            avail: 0,
            padded: 0,
        }
    }

    /// Makes at least 49 bits available.
    #[inline(always)]
    fn refill(&mut self) {
        // Units to load: as many as fit whole (at least one: `avail` < 49 here).
        let k = (64 - self.avail) / 16;
        if self.pos >= 8 && k > 0 {
            // The 8 bytes before `pos`, as a little-endian u64, hold the next 4 units in
            // reading order from the top: unit at pos-2 in bits 48..64, pos-4 in 32..48, ...
            let start = self.pos - 8;
            let mut word = [0u8; 8];
            word.copy_from_slice(&self.input[start..self.pos]);
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
            self.pos -= 2 * k as usize;
        } else {
            let (pos, buf, avail, padded) =
                refill_slow(self.input, self.pos, self.buf, self.avail, self.padded, k);
            self.pos = pos;
            self.buf = buf;
            self.avail = avail;
            self.padded = padded;
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

    /// The next `n` bits (1..=32), which must be buffered.
    #[inline(always)]
    pub(super) fn peek(&self, n: u32) -> u32 {
        debug_assert!((1..=32).contains(&n) && n <= self.avail);
        (self.buf >> (64 - n)) as u32
    }

    /// The whole buffer, next bit in bit 63 (zeros below the buffered bits).
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

    /// Reads an `n`-bit number (0..=30 bits), high bit first.
    #[inline(always)]
    pub(super) fn read_bits(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        self.ensure(n);
        let v = self.peek(n);
        self.consume(n);
        v
    }

    /// True if bits past the start of the input have been consumed.
    pub(super) fn overrun(&self) -> bool {
        self.padded > self.avail
    }

    /// Approximate byte position of the next bit (for error reports).
    pub(super) fn position(&self) -> usize {
        self.pos + (self.avail / 8) as usize
    }
}

/// Loads `k` units near the start of the input, padding with zeros past it. (A free function
/// over values, so that the reader's state never has its address taken.)
#[cold]
#[inline(never)]
fn refill_slow(
    input: &[u8],
    mut pos: usize,
    mut buf: u64,
    mut avail: u32,
    mut padded: u32,
    k: u32,
) -> (usize, u64, u32, u32) {
    for _ in 0..k {
        let unit = match input.get(pos.wrapping_sub(2)..pos) {
            Some(&[a, b]) if pos >= 2 => {
                pos -= 2;
                u16::from_le_bytes([a, b])
            }
            _ => {
                padded = padded.saturating_add(16);
                0
            }
        };
        buf |= u64::from(unit) << (48 - avail);
        avail += 16;
    }
    (pos, buf, avail, padded)
}
