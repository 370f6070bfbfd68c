//! The XPRESS Huffman decoder ([MS-XCA] 2.2.4): a two-level decoding table and a 64-bit bit
//! buffer, refilled four words at a time; every failure is a [`DecodeError`].

use super::{BLOCK_SIZE, MAX_CODE_LEN, MIN_MATCH, NUM_SYMBOLS, TABLE_BYTES};
use crate::DecodeError;

/// Bits resolved by the first-level table; longer codes go through a second-level table.
const TABLE_BITS: u32 = 12;
const PRIMARY: usize = 1 << TABLE_BITS;
/// Room for second-level tables. A complete code whose longest codeword is `TABLE_BITS + d`
/// under some prefix has at least `d + 1` codewords under it, so 512 symbols need at most
/// `512 / 4` tables of 8 entries (1024) with `d <= 3`. (12 bits measured ~4 % faster than 11
/// or 13 on binaries and text.)
const SECONDARY: usize = 1024;
/// Entry flag: the entry points to a second-level table.
const SUBTABLE: u32 = 0x80;

/// Entries are `symbol << 8 | length`, or `start << 8 | SUBTABLE | extra_bits` for pointers.
struct DecodeTable {
    entries: [u32; PRIMARY + SECONDARY],
}

impl DecodeTable {
    fn new() -> Self {
        Self {
            entries: [0; PRIMARY + SECONDARY],
        }
    }

    /// Builds the table for the canonical code with the given packed lengths; the lengths
    /// must form a complete prefix code (2.2.4: anything else is invalid data).
    fn build(&mut self, packed: &[u8]) -> Result<(), &'static str> {
        let mut lens = [0u8; NUM_SYMBOLS];
        for (pair, &b) in lens.chunks_exact_mut(2).zip(packed) {
            pair[0] = b & 0xF;
            pair[1] = b >> 4;
        }
        let mut count = [0u32; 16];
        for &l in &lens {
            count[usize::from(l)] += 1;
        }
        count[0] = 0;
        // Kraft sum in units of 2^-15: it must be exactly 1 (complete code).
        let mut used: u32 = 0;
        for len in 1..=MAX_CODE_LEN {
            used += count[len as usize] << (MAX_CODE_LEN - len);
        }
        if used > 1 << MAX_CODE_LEN {
            return Err("Huffman code lengths are over-subscribed");
        }
        if used < 1 << MAX_CODE_LEN {
            return Err("Huffman code lengths are incomplete");
        }
        // First canonical codeword of each length.
        let mut next_code = [0u32; 16];
        let mut code = 0u32;
        for len in 1..16 {
            code = (code + count[len - 1]) << 1;
            next_code[len] = code;
        }
        let mut codes = [0u32; NUM_SYMBOLS];
        let mut sub_len = [0u8; PRIMARY]; // longest codeword under each long prefix
        for (sym, &len) in lens.iter().enumerate() {
            if len == 0 {
                continue;
            }
            let l = u32::from(len);
            let c = next_code[usize::from(len)];
            next_code[usize::from(len)] += 1;
            codes[sym] = c;
            if l <= TABLE_BITS {
                let start = (c << (TABLE_BITS - l)) as usize;
                let entry = (sym as u32) << 8 | l;
                self.entries[start..start + (1 << (TABLE_BITS - l))].fill(entry);
            } else {
                let prefix = (c >> (l - TABLE_BITS)) as usize;
                sub_len[prefix] = sub_len[prefix].max(len);
            }
        }
        // Lay out the second-level tables and point the first level at them.
        let mut sub_start = [0u32; PRIMARY];
        let mut next = PRIMARY;
        for (prefix, &max) in sub_len.iter().enumerate() {
            if max == 0 {
                continue;
            }
            let bits = u32::from(max) - TABLE_BITS;
            if next + (1 << bits) > self.entries.len() {
                return Err("Huffman code needs too many second-level tables");
            }
            sub_start[prefix] = next as u32;
            self.entries[prefix] = (next as u32) << 8 | SUBTABLE | bits;
            next += 1 << bits;
        }
        for (sym, &len) in lens.iter().enumerate() {
            let l = u32::from(len);
            if l <= TABLE_BITS {
                continue;
            }
            let c = codes[sym];
            let prefix = (c >> (l - TABLE_BITS)) as usize;
            let max = u32::from(sub_len[prefix]);
            let low = c & ((1 << (l - TABLE_BITS)) - 1);
            let start = (sub_start[prefix] + (low << (max - l))) as usize;
            self.entries[start..start + (1 << (max - l))].fill((sym as u32) << 8 | l);
        }
        Ok(())
    }
}

/// The bit stream of one block: 16-bit little-endian words, most significant bit first, kept
/// left-aligned in `buf`. Past the end of the input it feeds zero words, counted in `pad`, so
/// the lookahead never fails; consuming any of those bits is an error. It is `Copy` so the hot
/// loop can keep it in registers: out-of-line paths take and return it by value.
#[derive(Clone, Copy)]
struct Bits<'a> {
    data: &'a [u8],
    /// Next byte not yet loaded into `buf`.
    pos: usize,
    buf: u64,
    nbits: u32,
    /// How many of the lowest valid bits of `buf` are padding past the end of `data`.
    pad: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], pos: usize) -> Self {
        Self {
            data,
            pos,
            buf: 0,
            nbits: 0,
            pad: 0,
        }
    }

    #[inline(always)]
    fn err(&self, reason: &'static str) -> DecodeError {
        DecodeError {
            input_pos: self.pos.min(self.data.len()),
            reason,
        }
    }

    /// Makes at least 49 bits available (called with fewer than 32).
    #[inline(always)]
    fn refill(&mut self) -> Result<(), DecodeError> {
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

    /// The next 15 bits, without consuming them.
    #[inline(always)]
    fn peek15(&self) -> usize {
        (self.buf >> (64 - MAX_CODE_LEN)) as usize
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.buf <<= n;
        self.nbits -= n;
    }

    /// Takes `n <= 16` bits (`n` may be 0).
    #[inline(always)]
    fn pop(&mut self, n: u32) -> u32 {
        let v = ((self.buf >> 32) >> (32 - n)) as u32;
        self.consume(n);
        v
    }

    /// Returns loaded-but-unused words to the input until the buffer holds 16..=31 bits, as the
    /// reference decoder does, so `pos` is where raw bytes (or the next block) start.
    #[inline(always)]
    fn sync(&mut self) -> Result<(), DecodeError> {
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
    fn read_bytes<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
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

/// Decodes one XPRESS-Huffman chunk into `output`, which must be filled exactly.
///
/// Decoding stops once `output` is full; the end-of-data symbol that encoders append is not
/// required. Consuming bits past the end of `input` is an error.
pub fn decompress(input: &[u8], output: &mut [u8]) -> Result<(), DecodeError> {
    if output.is_empty() {
        return Ok(());
    }
    let mut table = Box::new(DecodeTable::new());
    let mut out_pos = 0usize;
    let mut block_start = 0usize; // input offset of the current block's table
    loop {
        let packed = input
            .get(block_start..block_start.saturating_add(TABLE_BYTES))
            .ok_or(DecodeError {
                input_pos: block_start.min(input.len()),
                reason: "input too short for the Huffman code length table",
            })?;
        table.build(packed).map_err(|reason| DecodeError {
            input_pos: block_start,
            reason,
        })?;
        let mut bits = Bits::new(input, block_start + TABLE_BYTES);
        let block_end = output.len().min(out_pos.saturating_add(BLOCK_SIZE));
        out_pos = decode_block(&table, &mut bits, output, out_pos, block_end)?;
        if out_pos >= output.len() {
            if bits.pad > bits.nbits {
                return Err(bits.err("bit stream ends before the output is complete"));
            }
            return Ok(());
        }
        bits.sync()?;
        block_start = bits.pos;
    }
}

/// Decodes symbols until `out_pos >= block_end` (a match may run past `block_end`, but never
/// past the end of `output`). Returns the new output position.
fn decode_block(
    table: &DecodeTable,
    bits_state: &mut Bits<'_>,
    output: &mut [u8],
    mut out_pos: usize,
    block_end: usize,
) -> Result<usize, DecodeError> {
    let entries = &table.entries;
    let mut local = *bits_state; // a local copy the optimizer can keep in registers
    let bits = &mut local;
    while out_pos < block_end {
        if bits.nbits < 32 {
            bits.refill()?;
        }
        let peek = bits.peek15();
        let mut entry = entries[peek >> (MAX_CODE_LEN - TABLE_BITS)];
        if entry & SUBTABLE != 0 {
            let extra = entry & 0xF;
            let low = (peek >> (MAX_CODE_LEN - TABLE_BITS - extra)) & ((1 << extra) - 1);
            entry = *entries
                .get((entry >> 8) as usize + low)
                .ok_or_else(|| bits.err("bad decode table"))?;
        }
        bits.consume(entry & 0xF);
        let sym = (entry >> 8) as usize;
        if sym < 256 {
            // `out_pos < block_end <= output.len()`.
            if let Some(b) = output.get_mut(out_pos) {
                *b = sym as u8;
            }
            out_pos += 1;
            continue;
        }
        let header = sym - 256;
        let log2_offset = (header >> 4) as u32;
        let mut length = header & 0xF;
        if length == 0xF {
            bits.sync()?;
            let [b] = bits.read_bytes::<1>()?;
            length += usize::from(b);
            if b == 0xFF {
                let v = usize::from(u16::from_le_bytes(bits.read_bytes::<2>()?));
                let v = if v == 0 {
                    // Newer revisions of 2.2.4: a zero u16 is followed by a 32-bit length.
                    u32::from_le_bytes(bits.read_bytes::<4>()?) as usize
                } else {
                    v
                };
                if v < 0xF {
                    return Err(bits.err("extended match length below 15"));
                }
                length = v;
            }
        }
        let length = length
            .checked_add(MIN_MATCH)
            .ok_or_else(|| bits.err("match length overflows"))?;
        let offset = (1usize << log2_offset) | bits.pop(log2_offset) as usize;
        if offset > out_pos {
            return Err(bits.err("match offset points before the start of the output"));
        }
        if length > output.len() - out_pos {
            return Err(bits.err("match runs past the end of the output"));
        }
        copy_match(output, out_pos, offset, length);
        out_pos += length;
    }
    *bits_state = local;
    Ok(out_pos)
}

/// Copies `length` bytes from `offset` bytes back, LZ77-style (the source may overlap the
/// destination). The caller has checked `offset <= dst` and `dst + length <= out.len()`.
#[inline(always)]
fn copy_match(out: &mut [u8], dst: usize, offset: usize, length: usize) {
    let src = dst - offset;
    let room = out.len() - dst;
    // Short matches, the common case, avoid a memmove call: fixed-size copies may write past
    // `dst + length`, which is harmless (those bytes are written later), as long as they stay
    // inside `out`. Each piece reads only bytes that are already final (offset >= piece size).
    if offset >= 16 && length <= 32 && room >= 32 {
        out.copy_within(src..src + 16, dst);
        if length > 16 {
            out.copy_within(src + 16..src + 32, dst + 16);
        }
    } else if offset >= 8 && length <= 16 && room >= 16 {
        out.copy_within(src..src + 8, dst);
        out.copy_within(src + 8..src + 16, dst + 8);
    } else if offset >= length {
        out.copy_within(src..src + length, dst);
    } else if offset == 1 {
        let b = out[src];
        out[dst..dst + length].fill(b);
    } else {
        // The pattern of `offset` bytes before `dst` repeats; copy it in doubling pieces, each a
        // whole number of periods so the next piece can start from `src` again.
        let mut done = 0;
        while done < length {
            let n = (done + offset).min(length - done);
            out.copy_within(src..src + n, dst + done);
            done += n;
        }
    }
}
