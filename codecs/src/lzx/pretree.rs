//! The tree lengths of a verbatim or aligned block ([MS-PATCH] §2.4): a pretree of 20 4-bit
//! lengths, then the lengths it codes as deltas from the previous block's (runs of zeros and of
//! equal lengths included).

use super::bitread::BitReader;
use super::consts::*;
use crate::huffman::DecodeTable;
use crate::DecodeError;

/// Bits resolved by the pretree's decode table (its codes are at most 15 bits).
pub(super) const PRE_TABLE_BITS: u32 = 7;

/// Reads a pretree and the `count` lengths it codes, starting at `lens[start]` (§2.4).
/// Symbols 0..=16 subtract from the previous length modulo 17; 17 and 18 are runs of zeros
/// (4 + 4 bits, 20 + 5 bits); 19 is a run of 4 + 1 bit copies of one delta-coded value,
/// computed from the previous length at the run's first position. A run may spill past `count`
/// into the slack after it (reference decoders accept that), never past `lens`.
pub(super) fn read_lens(
    br: &mut BitReader<'_>,
    pre: &mut DecodeTable<PRE_TABLE_BITS>,
    lens: &mut [u8],
    start: usize,
    count: usize,
) -> Result<(), DecodeError> {
    let err = |br: &BitReader<'_>, reason| DecodeError {
        input_pos: br.input_pos(),
        reason,
    };
    let mut pre_lens = [0u8; PRETREE_SYMS];
    for l in &mut pre_lens {
        *l = br.read_bits(4) as u8;
    }
    pre.build(&pre_lens, MAX_PRE_LEN).map_err(|e| err(br, e))?;
    let end = start + count;
    let mut i = start;
    while i < end {
        // A pretree codeword, up to 5 extra bits and a second codeword: 35 bits at most.
        br.ensure(35);
        let sym = br.decode(pre);
        let Some(slot) = lens.get_mut(i) else {
            return Err(err(br, "LZX length run out of range"));
        };
        let prev = *slot;
        if sym <= 16 {
            // The common case: one length.
            *slot = delta(prev, sym);
            i += 1;
            continue;
        }
        let (run, value) = match sym {
            17 => (4 + br.bits(4) as usize, 0),
            18 => (20 + br.bits(5) as usize, 0),
            19 => {
                let run = 4 + br.bits(1) as usize;
                let s = br.decode(pre);
                if s > 17 {
                    return Err(err(br, "invalid pretree symbol after a same-length run"));
                }
                (run, delta(prev, s))
            }
            _ => return Err(err(br, "invalid pretree codeword")),
        };
        let stop = (i + run).min(lens.len());
        lens[i..stop].fill(value);
        i += run;
    }
    Ok(())
}

/// New length from the previous one and a pretree delta symbol (<= 17): (prev - sym) mod 17.
#[inline(always)]
fn delta(prev: u8, sym: u32) -> u8 {
    let prev = u32::from(prev); // at most 16: only deltas are ever stored
    (if prev >= sym {
        prev - sym
    } else {
        prev + 17 - sym
    }) as u8
}
