//! The decoder's second pass over a block of items: writing the output.
//!
//! The item pass ([`Model::run`](super::decode)) decodes a block of items (up to
//! [`PROGRESS_STEP`] bytes of output) without touching the output: literals go to a small
//! buffer, each match becomes a [`Seq`] (the literals before it, then its length and source).
//! This pass then writes the block: each sequence's literals, then its match (an LZ copy, or a
//! delta match `out[i] = out[i - o] + out[i - s] - out[i - o - s]`, bytewise wrapping).
//!
//! Why two passes: in a 64 MiB solid chunk many matches copy from megabytes back, which misses
//! the caches. Copied right where they are decoded, each miss stalls the decoder's long chain
//! of range and Huffman decoding behind it; here a copy is a few instructions, so the
//! processor has the sources of many matches in flight at once. Both passes hold the block
//! in the first-level cache.
//!
//! Pieces are copied 16 bytes at a time and may write up to 15 bytes past their end, as in
//! [`copy_match`]: the pass writes the output in order, so such bytes are rewritten before any
//! piece reads them. Every sequence was checked by the item pass (the match's source is within
//! the output written before it, its end within the output), so nothing here fails; indexing
//! is still bounds-checked, no `unsafe`.

use crate::lzcopy::copy_match;
use crate::progress::PROGRESS_STEP;

/// Literals of one block at most (a block ends once its output reaches [`PROGRESS_STEP`]
/// bytes), plus room for one 16-byte piece read past the last.
pub(super) const LITS_CAP: usize = PROGRESS_STEP + 16;
/// Sequences of one block at most (every match starts before the block's end and is at least
/// one byte long).
pub(super) const SEQS_CAP: usize = PROGRESS_STEP;

/// One match of a block, with the literals before it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Seq {
    /// Literals before the match (the next ones of the block's literal buffer).
    pub(super) lits: u32,
    /// Length of the match.
    pub(super) len: u32,
    /// How far back it copies from (delta matches: the offset `raw << power`).
    pub(super) offset: u32,
    /// 0 for an LZ match; a delta match's span `2^power`.
    pub(super) span: u32,
}

/// The buffers of one block, reused from block to block.
#[derive(Debug)]
pub(super) struct Block {
    pub(super) lits: Box<[u8; LITS_CAP]>,
    pub(super) seqs: Box<[Seq; SEQS_CAP]>,
}

impl Block {
    pub(super) fn new() -> Self {
        Block {
            lits: vec![0; LITS_CAP]
                .into_boxed_slice()
                .try_into()
                .unwrap_or_else(|_| unreachable!("LITS_CAP bytes")),
            seqs: vec![Seq::default(); SEQS_CAP]
                .into_boxed_slice()
                .try_into()
                .unwrap_or_else(|_| unreachable!("SEQS_CAP sequences")),
        }
    }
}

/// Writes the block's `seqs` then `tail` more literals to `out` from `pos`; returns the
/// position after them. The item pass has checked every sequence against the output.
pub(super) fn emit(
    out: &mut [u8],
    mut pos: usize,
    lits: &[u8; LITS_CAP],
    seqs: &[Seq],
    tail: usize,
) -> usize {
    let mut lp = 0;
    for s in seqs {
        let n = s.lits as usize;
        copy_literals(out, pos, lits, lp, n);
        pos += n;
        lp += n;
        let len = s.len as usize;
        if s.span == 0 {
            copy_match(out, pos, s.offset as usize, len);
        } else {
            delta(out, pos, s.offset as usize, s.span as usize, len);
        }
        pos += len;
    }
    copy_literals(out, pos, lits, lp, tail);
    pos + tail
}

/// Copies `lits[lp..lp + n]` to `out[pos..]`, in 16-byte pieces when the output has room for
/// the last one's overshoot.
#[inline(always)]
fn copy_literals(out: &mut [u8], pos: usize, lits: &[u8; LITS_CAP], lp: usize, n: usize) {
    // (The literal buffer always has room: `lp + n <= PROGRESS_STEP`, 16 bytes less than it.)
    if n <= 16 && out.len() - pos >= 16 && lp + 16 <= LITS_CAP {
        out[pos..pos + 16].copy_from_slice(&lits[lp..lp + 16]);
    } else {
        copy_literals_long(out, pos, lits, lp, n);
    }
}

#[inline(never)]
fn copy_literals_long(out: &mut [u8], pos: usize, lits: &[u8; LITS_CAP], lp: usize, n: usize) {
    let whole = n.div_ceil(16) * 16;
    if out.len() - pos >= whole && lp + whole <= LITS_CAP {
        for k in (0..whole).step_by(16) {
            out[pos + k..pos + k + 16].copy_from_slice(&lits[lp + k..lp + k + 16]);
        }
    } else {
        out[pos..pos + n].copy_from_slice(&lits[lp..lp + n]);
    }
}

/// A delta match: `out[i] = out[i - offset] + out[i - span] - out[i - offset - span]` for
/// `i` in `pos..pos + len` (the item pass checked `offset + span <= pos`).
#[inline(never)]
pub(super) fn delta(out: &mut [u8], pos: usize, offset: usize, span: usize, len: usize) {
    for i in pos..pos + len {
        let a = out[i - offset];
        let b = out[i - span];
        let c = out[i - offset - span];
        out[i] = a.wrapping_add(b).wrapping_sub(c);
    }
}

#[cfg(test)]
#[path = "emit_tests.rs"]
mod tests;
