//! The XPRESS Huffman decoder ([MS-XCA] 2.2.4): a two-level decoding table and a 64-bit bit
//! buffer, refilled four words at a time; every failure is a [`DecodeError`].

use std::cell::RefCell;

use super::{BLOCK_SIZE, MAX_CODE_LEN, MIN_MATCH, NUM_SYMBOLS, TABLE_BYTES};
use crate::huffman::decode::{entry_len, entry_sym};
use crate::huffman::DecodeTable;
use crate::lzcopy::copy_match;
use crate::DecodeError;

/// Bits resolved by the first-level table; longer codes go through a second-level table.
const TABLE_BITS: u32 = 11;

type Table = DecodeTable<TABLE_BITS>;

thread_local! {
    /// The decode table, reused from chunk to chunk (rebuilt entirely for each block).
    static TABLE: RefCell<Table> = RefCell::new(Table::new());
}

/// Builds `table` for a block's packed code lengths (two 4-bit lengths per byte, low nibble
/// first). The lengths must form a complete prefix code (2.2.4: anything else is invalid).
fn build_table(table: &mut Table, packed: &[u8]) -> Result<(), &'static str> {
    let mut lens = [0u8; NUM_SYMBOLS];
    for (pair, &b) in lens.chunks_exact_mut(2).zip(packed) {
        pair[0] = b & 0xF;
        pair[1] = b >> 4;
    }
    match table.build(&lens, MAX_CODE_LEN)? {
        true => Ok(()),
        false => Err("Huffman code lengths are incomplete"),
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
    TABLE.with(|t| match t.try_borrow_mut() {
        Ok(mut table) => decode_chunk(&mut table, input, output),
        Err(_) => decode_chunk(&mut Table::new(), input, output),
    })
}

/// [`decompress`] with a decode table to (re)build.
fn decode_chunk(table: &mut Table, input: &[u8], output: &mut [u8]) -> Result<(), DecodeError> {
    let mut out_pos = 0usize;
    let mut block_start = 0usize; // input offset of the current block's table
    loop {
        let packed = input
            .get(block_start..block_start.saturating_add(TABLE_BYTES))
            .ok_or(DecodeError {
                input_pos: block_start.min(input.len()),
                reason: "input too short for the Huffman code length table",
            })?;
        build_table(table, packed).map_err(|reason| DecodeError {
            input_pos: block_start,
            reason,
        })?;
        let mut bits = Bits::new(input, block_start + TABLE_BYTES);
        let block_end = output.len().min(out_pos.saturating_add(BLOCK_SIZE));
        out_pos = decode_block(table, &mut bits, output, out_pos, block_end)?;
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
    table: &Table,
    bits_state: &mut Bits<'_>,
    output: &mut [u8],
    out_pos: usize,
    block_end: usize,
) -> Result<usize, DecodeError> {
    let (mut bits, mut out_pos) = fast_loop(table, *bits_state, output, out_pos, block_end)?;
    while out_pos < block_end {
        if bits.nbits < 32 {
            bits.refill()?;
        }
        let entry = table.lookup(bits.buf);
        bits.consume(entry_len(entry));
        let sym = entry_sym(entry);
        if sym < 256 {
            // `out_pos < block_end <= output.len()`.
            if let Some(b) = output.get_mut(out_pos) {
                *b = sym as u8;
            }
            out_pos += 1;
            continue;
        }
        (bits, out_pos) = decode_match(bits, output, out_pos, sym)?;
    }
    *bits_state = bits;
    Ok(out_pos)
}

/// The symbol loop while at least 8 input bytes are left: every iteration refills the bit
/// buffer to 48..=63 bits without a branch, then decodes one or two literals or a match
/// (two symbols of at most 15 bits and 15 offset bits fit). Stops at `block_end` or near the
/// end of the input, leaving the rest to the careful loop of [`decode_block`].
#[inline(always)]
fn fast_loop<'a>(
    table: &Table,
    bits: Bits<'a>,
    output: &mut [u8],
    mut out_pos: usize,
    block_end: usize,
) -> Result<(Bits<'a>, usize), DecodeError> {
    let data = bits.data;
    if bits.pad != 0 {
        return Ok((bits, out_pos));
    }
    let (mut pos, mut buf, mut nbits) = (bits.pos, bits.buf, bits.nbits);
    // (A no-op that tells the optimizer that `out_pos < block_end` bounds the literal writes.)
    let block_end = block_end.min(output.len());
    let state = |pos, buf, nbits| Bits {
        data,
        pos,
        buf,
        nbits,
        pad: 0,
    };
    while out_pos < block_end {
        let Some(bytes) = data.get(pos..pos.wrapping_add(8)) else {
            break;
        };
        let mut le = [0u8; 8];
        le.copy_from_slice(bytes);
        // Word 0 to the top 16 bits, word 3 to the lowest; then 0..=3 whole words, as many as
        // fit, so that 48..=63 bits are buffered (branch-free).
        let v = u64::from_le_bytes(le).rotate_left(32);
        let words = ((v >> 16) & 0x0000_FFFF_0000_FFFF) | ((v & 0x0000_FFFF_0000_FFFF) << 16);
        let add = ((63 - nbits) >> 4) * 16;
        buf |= (words & !(u64::MAX >> add)) >> nbits;
        nbits += add;
        pos += (add / 8) as usize;

        let mut entry = table.lookup(buf);
        let mut len = entry_len(entry);
        buf <<= len;
        nbits -= len;
        if entry_sym(entry) < 256 {
            // `out_pos < block_end <= output.len()`.
            if let Some(b) = output.get_mut(out_pos) {
                *b = entry_sym(entry) as u8;
            }
            out_pos += 1;
            if out_pos >= block_end {
                break;
            }
            entry = table.lookup(buf);
            len = entry_len(entry);
            buf <<= len;
            nbits -= len;
            if entry_sym(entry) < 256 {
                if let Some(b) = output.get_mut(out_pos) {
                    *b = entry_sym(entry) as u8;
                }
                out_pos += 1;
                continue;
            }
        }
        let header = entry_sym(entry) - 256;
        if header >= 256 {
            // Complete codes (the only ones accepted) have no invalid entries.
            return Err(state(pos, buf, nbits).err("bad decode table"));
        }
        if header & 0xF == 0xF {
            // Extra length bytes: out of line, with the exact stream position.
            let (b, p) = decode_match(state(pos, buf, nbits), output, out_pos, 256 + header)?;
            if b.pad != 0 {
                return Ok((b, p));
            }
            (pos, buf, nbits, out_pos) = (b.pos, b.buf, b.nbits, p);
            continue;
        }
        let log2_offset = (header >> 4) as u32;
        let length = (header & 0xF) + MIN_MATCH;
        // Two shifts so that 0 bits gives 0.
        let offset = (1usize << log2_offset) | ((buf >> 1) >> (63 - log2_offset)) as usize;
        buf <<= log2_offset;
        nbits -= log2_offset;
        if offset > out_pos {
            let e = "match offset points before the start of the output";
            return Err(state(pos, buf, nbits).err(e));
        }
        if length > output.len() - out_pos {
            let e = "match runs past the end of the output";
            return Err(state(pos, buf, nbits).err(e));
        }
        copy_match(output, out_pos, offset, length);
        out_pos += length;
    }
    Ok((state(pos, buf, nbits), out_pos))
}

/// Decodes the rest of a match whose symbol `sym` (>= 256) was just read: extra length bytes
/// ([MS-XCA] 2.2.4: 1, 3 or 7 bytes at the stream's byte position), the offset bits, then the
/// copy. Returns the stream and the output position after the match.
#[inline(never)]
fn decode_match<'a>(
    mut bits: Bits<'a>,
    output: &mut [u8],
    out_pos: usize,
    sym: usize,
) -> Result<(Bits<'a>, usize), DecodeError> {
    let header = sym - 256;
    if header >= 256 {
        return Err(bits.err("bad decode table"));
    }
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
    if bits.nbits < log2_offset {
        bits.refill()?;
    }
    let offset = (1usize << log2_offset) | bits.pop(log2_offset) as usize;
    if offset > out_pos {
        return Err(bits.err("match offset points before the start of the output"));
    }
    if length > output.len() - out_pos {
        return Err(bits.err("match runs past the end of the output"));
    }
    copy_match(output, out_pos, offset, length);
    Ok((bits, out_pos + length))
}
