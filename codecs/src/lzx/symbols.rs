//! The symbol loop of verbatim and aligned-offset blocks ([MS-PATCH] §2.5): main-tree symbols
//! that are literals or match headers, the length-tree symbol of long matches, the offset's
//! verbatim bits and aligned-offset symbol (§2.5.1), the repeated offsets R0..R2 (§2.5.2) and
//! the match copy.
//!
//! While three literals fit before the block's end, they are decoded without a check between
//! them (one refill leaves 56 bits or more: three main-tree codewords of at most 16 bits);
//! the last bytes of the block go one symbol at a time. Matches of up to 32 bytes with room
//! for 32 in the block are copied inline by [`copy_short`]; the rest go to [`copy_match`].

use super::bitread::BitReader;
use super::consts::*;
use crate::huffman::DecodeTable;
use crate::lzcopy::copy_inline;

/// Primary table sizes (bits); longer codewords use second-level tables.
pub(super) const MAIN_TABLE_BITS: u32 = 10;
pub(super) const LEN_TABLE_BITS: u32 = 8;
pub(super) const ALIGNED_TABLE_BITS: u32 = 7;

/// The main, length and aligned-offset tables of a block.
pub(super) type TableRefs<'t> = (
    &'t DecodeTable<MAIN_TABLE_BITS>,
    &'t DecodeTable<LEN_TABLE_BITS>,
    &'t DecodeTable<ALIGNED_TABLE_BITS>,
);

/// Decodes the literals and matches of a verbatim (`ALIGNED = false`) or aligned-offset block
/// into `out[pos..end]`, with the repeated offsets `r` (updated).
#[inline(always)]
pub(super) fn block_loop<const ALIGNED: bool>(
    br: &mut BitReader<'_>,
    tables: TableRefs<'_>,
    r: &mut [u32; 3],
    num_main: usize,
    out: &mut [u8],
    mut pos: usize,
    end: usize,
) -> Result<(), &'static str> {
    let out = out
        .get_mut(..end)
        .ok_or("LZX block extends past the end of the chunk")?;
    let main = tables.0;
    let mut reps = *r;
    // `pos < lit_end`: three literals fit before `end`.
    let lit_end = end.saturating_sub(2);
    while pos < lit_end {
        let mut sym = br.refill_decode(main);
        if sym < NUM_CHARS as u32 {
            if let Some(b) = out.get_mut(pos) {
                *b = sym as u8;
            }
            sym = br.decode(main);
            if sym < NUM_CHARS as u32 {
                if let Some(b) = out.get_mut(pos + 1) {
                    *b = sym as u8;
                }
                sym = br.decode(main);
                if sym < NUM_CHARS as u32 {
                    if let Some(b) = out.get_mut(pos + 2) {
                        *b = sym as u8;
                    }
                    pos += 3;
                    continue;
                }
                pos += 2;
            } else {
                pos += 1;
            }
        }
        pos = one_match::<ALIGNED>(br, tables, &mut reps, num_main, out, pos, sym)?;
    }
    while pos < end {
        let sym = br.refill_decode(main);
        if sym < NUM_CHARS as u32 {
            if let Some(b) = out.get_mut(pos) {
                *b = sym as u8;
            }
            pos += 1;
            continue;
        }
        pos = one_match::<ALIGNED>(br, tables, &mut reps, num_main, out, pos, sym)?;
    }
    *r = reps;
    Ok(())
}

/// Decodes the rest of the match whose main-tree symbol `sym` (not a literal) was just read
/// and copies it to `out[pos..]` (`out` ends at the block's end). Returns the position after it.
#[inline(always)]
fn one_match<const ALIGNED: bool>(
    br: &mut BitReader<'_>,
    (_, len_tree, aligned): TableRefs<'_>,
    [r0, r1, r2]: &mut [u32; 3],
    num_main: usize,
    out: &mut [u8],
    pos: usize,
    sym: u32,
) -> Result<usize, &'static str> {
    if sym as usize >= num_main {
        return Err("invalid main-tree codeword");
    }
    // The rest of the match: a length codeword (16 bits at most) and verbatim bits (17) or
    // verbatim bits and an aligned codeword (14 + 7). One refill (56 bits or more) comes
    // with the first of them, the lookup or the bits taken before it is merged (they do not
    // wait for its load); a repeated offset without a length codeword needs none (the loop
    // refills before the next symbol).
    let sym = sym as usize - NUM_CHARS;
    let slot = sym / NUM_LEN_HEADERS;
    let mut len = sym % NUM_LEN_HEADERS;
    let refilled = len == NUM_PRIMARY_LENS;
    if refilled {
        let extra = br.refill_decode(len_tree) as usize;
        if extra >= LEN_SYMS {
            return Err("invalid length-tree codeword");
        }
        len += extra;
    }
    len += MIN_MATCH;
    let offset = match slot {
        // Repeated offsets: Rn is swapped with R0.
        0 => *r0,
        1 => {
            std::mem::swap(r0, r1);
            *r0
        }
        2 => {
            std::mem::swap(r0, r2);
            *r0
        }
        _ => {
            let extra = u32::from(EXTRA_BITS.get(slot).copied().unwrap_or(0));
            let mut formatted = SLOT_BASE.get(slot).copied().unwrap_or(0);
            let mut take = |n| {
                if refilled {
                    br.bits(n)
                } else {
                    br.refill_bits(n)
                }
            };
            if ALIGNED && extra >= ALIGNED_BITS {
                formatted += take(extra - ALIGNED_BITS) << ALIGNED_BITS;
                let low = br.decode(aligned);
                if low as usize >= ALIGNED_SYMS {
                    return Err("invalid aligned-offset codeword");
                }
                formatted += low;
            } else {
                formatted += take(extra);
            }
            (*r2, *r1, *r0) = (*r1, *r0, formatted - 2);
            *r0
        }
    };
    let offset = offset as usize;
    if len > out.len() - pos {
        return Err("LZX match extends past the end of its block");
    }
    if offset > pos {
        return Err("LZX match starts before the start of the chunk");
    }
    copy_inline(out, pos, offset, len);
    Ok(pos + len)
}
