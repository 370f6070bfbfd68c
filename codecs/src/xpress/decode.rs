//! The XPRESS Huffman decoder ([MS-XCA] 2.2.4): a two-level decoding table, the bulk of each
//! block decoded by [`super::fast`], its end and the extra length bytes by the careful loop
//! here over [`Bits`]; every failure is a [`DecodeError`].

use std::cell::RefCell;

use super::bits::Bits;
use super::fast::{fast_loop, Swapped};
use super::match_decode::decode_match;
use super::{Table, BLOCK_SIZE, MAX_CODE_LEN, NUM_SYMBOLS, TABLE_BYTES};
use crate::huffman::decode::{entry_len, entry_sym};
use crate::DecodeError;

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
