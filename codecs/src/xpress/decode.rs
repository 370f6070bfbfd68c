//! The XPRESS Huffman decoder ([MS-XCA] 2.2.4): a two-level decoding table, the bulk of each
//! block decoded by [`super::fast`], its end and the extra length bytes by the careful loop
//! here over [`Bits`]; every failure is a [`DecodeError`].

use std::cell::RefCell;

use super::bits::Bits;
use super::fast::{fast_loop, Swapped};
use super::{BLOCK_SIZE, MAX_CODE_LEN, MIN_MATCH, NUM_SYMBOLS, TABLE_BYTES};
use crate::huffman::decode::{entry_len, entry_sym};
use crate::huffman::DecodeTable;
use crate::lzcopy::copy_match;
use crate::DecodeError;

/// Bits resolved by the first-level table; longer codes go through a second-level table.
const TABLE_BITS: u32 = 10;

pub(super) type Table = DecodeTable<TABLE_BITS>;

/// What a decoder reuses from chunk to chunk.
struct State {
    /// The decode table (rebuilt entirely for each block).
    table: Table,
    /// Word-swapped copies of the current input.
    swapped: Swapped,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::new());
}

impl State {
    fn new() -> Self {
        State {
            table: Table::new(),
            swapped: Swapped::default(),
        }
    }
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

/// Decodes one XPRESS-Huffman chunk into `output`, which must be filled exactly.
///
/// Decoding stops once `output` is full; the end-of-data symbol that encoders append is not
/// required. Consuming bits past the end of `input` is an error.
pub fn decompress(input: &[u8], output: &mut [u8]) -> Result<(), DecodeError> {
    if output.is_empty() {
        return Ok(());
    }
    STATE.with(|t| match t.try_borrow_mut() {
        Ok(mut state) => decode_chunk(&mut state, input, output),
        Err(_) => decode_chunk(&mut State::new(), input, output),
    })
}

/// [`decompress`] with reusable state.
fn decode_chunk(state: &mut State, input: &[u8], output: &mut [u8]) -> Result<(), DecodeError> {
    let State { table, swapped } = state;
    swapped.forget();
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
        out_pos = decode_block(table, swapped, &mut bits, output, out_pos, block_end)?;
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
    swapped: &mut Swapped,
    bits_state: &mut Bits<'_>,
    output: &mut [u8],
    out_pos: usize,
    block_end: usize,
) -> Result<usize, DecodeError> {
    let (mut bits, mut out_pos) =
        fast_loop(table, swapped, *bits_state, output, out_pos, block_end)?;
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

/// Decodes the rest of a match whose symbol `sym` (>= 256) was just read: extra length bytes
/// ([MS-XCA] 2.2.4: 1, 3 or 7 bytes at the stream's byte position), the offset bits, then the
/// copy. Returns the stream and the output position after the match.
#[inline(never)]
pub(super) fn decode_match<'a>(
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
