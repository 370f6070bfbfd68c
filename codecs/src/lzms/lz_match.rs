//! LZ matches (and the dispatch of every match item): the item kind, the offset (explicit, as
//! an LZ-offset slot and extra bits, or repeated from the LRU queue, with the *pending*
//! offset rule described in `decode`), the length, and the checks of the match against the
//! output; the match becomes a sequence of the block, copied by `emit`. Decoded out of line
//! from the literal loop of [`Model::run`](super::decode).

use super::bitstream::BackBits;
use super::decode::{err, MatchRun, Model, TRUNCATED};
use super::emit::Seq;
use super::huffman::AdaptiveCode;
use super::matches::{push_front, rep_index, take};
use super::range::RangeDecoder;
use super::tables::*;
use crate::DecodeError;

impl Model {
    /// Decodes the match at `pos` whose main bit has just been decoded, and the matches right
    /// after it (a match after a match does not go back through the literal loop), with the
    /// main decision's state kept by the caller; returns the position after the last one,
    /// where the output is full or the main bit of a literal has been decoded.
    #[inline(never)]
    pub(super) fn match_run<'a>(
        &mut self,
        rd: &mut RangeDecoder<'a>,
        bits: &mut BackBits<'a>,
        run: &mut MatchRun,
        main_state: &mut usize,
        stop: usize,
        out: &[u8],
    ) -> Result<bool, DecodeError> {
        // Work on copies so that the stream states stay in registers.
        let mut r = rd.clone();
        let mut b = bits.clone();
        let mut state = *main_state;
        let MatchRun {
            mut pos,
            lp,
            mut seq_lp,
            mut seqs,
        } = *run;
        let result = loop {
            let seq = match self.match_item(&mut r, &mut b, pos, out) {
                Ok(seq) => seq,
                Err(e) => break Err(e),
            };
            // (At most one sequence per byte of the block: `seqs` < SEQS_CAP.)
            self.block.seqs[seqs] = Seq {
                lits: (lp - seq_lp) as u32,
                ..seq
            };
            seqs += 1;
            seq_lp = lp;
            pos += seq.len as usize;
            // At `stop` (the end, or a progress report) before the next main bit.
            if pos >= stop {
                break Ok(false);
            }
            if self.main.decode_in(&mut state, &mut r) == 0 {
                break Ok(true);
            }
        };
        *rd = r;
        *bits = b;
        *main_state = state;
        *run = MatchRun {
            pos,
            lp,
            seq_lp,
            seqs,
        };
        result
    }

    /// Decodes the match at `pos` whose main bit has just been decoded (its sequence without
    /// the literals before it).
    #[inline(always)]
    fn match_item<'a>(
        &mut self,
        rd: &mut RangeDecoder<'a>,
        bits: &mut BackBits<'a>,
        pos: usize,
        out: &[u8],
    ) -> Result<Seq, DecodeError> {
        if bits.overrun() {
            // Garbage or a truncated chunk: stop now rather than after filling the output.
            return Err(err(rd, bits, TRUNCATED));
        }
        if self.kind.decode(rd) == 0 {
            self.lz_match(rd, bits, pos, out)
        } else {
            // Rare: out of line, with the stream states passed by value so that their
            // addresses are never taken.
            let (r, b, result) = self.delta_match(rd.clone(), bits.clone(), pos, out);
            *rd = r;
            *bits = b;
            result
        }
    }

    /// Decodes a slot of `code` and its extra bits into a value (offset or length).
    #[inline(always)]
    pub(super) fn slot_value<const TB: u32>(
        code: &mut AdaptiveCode<TB>,
        bits: &mut BackBits<'_>,
        base: &[u32],
        extra: &[u8],
    ) -> Option<u32> {
        let slot = code.decode(bits)?;
        let b = *base.get(slot)?;
        let n = *extra.get(slot)?;
        // Bases plus extra bits stay below 2^31 (the tables' last value is 0x465BE4A5).
        Some(b + bits.read_bits(u32::from(n)))
    }

    #[inline(always)]
    pub(super) fn decode_length(
        &mut self,
        rd: &RangeDecoder<'_>,
        bits: &mut BackBits<'_>,
    ) -> Result<usize, DecodeError> {
        match Self::slot_value(
            &mut self.length,
            bits,
            &LENGTH_SLOT_BASE,
            &LENGTH_EXTRA_BITS,
        ) {
            Some(len) => Ok(len as usize),
            None => Err(err(rd, bits, "invalid LZMS length codeword")),
        }
    }

    #[inline(always)]
    fn lz_match(
        &mut self,
        rd: &mut RangeDecoder<'_>,
        bits: &mut BackBits<'_>,
        pos: usize,
        out: &[u8],
    ) -> Result<Seq, DecodeError> {
        if self.pending_lz != 0 && pos != self.pending_lz_end {
            push_front(&mut self.lz_queue, self.pending_lz);
            self.pending_lz = 0;
        }
        let offset = if self.lz.decode(rd) == 0 {
            let off = Self::slot_value(
                &mut self.lz_offset,
                bits,
                &OFFSET_SLOT_BASE,
                &OFFSET_EXTRA_BITS,
            );
            match off {
                Some(off) => off,
                None => return Err(err(rd, bits, "invalid LZMS offset codeword")),
            }
        } else {
            let idx = rep_index(&mut self.lz_rep, rd);
            take(&mut self.lz_queue, idx)
        };
        if self.pending_lz != 0 {
            push_front(&mut self.lz_queue, self.pending_lz);
        }
        self.pending_lz = offset;

        let length = self.decode_length(rd, bits)?;
        if length > out.len() - pos {
            return Err(err(rd, bits, "LZMS match runs past the end of the chunk"));
        }
        if offset as usize > pos {
            return Err(err(
                rd,
                bits,
                "LZMS match offset before the start of the chunk",
            ));
        }
        self.pending_lz_end = pos + length;
        // Both fit in u32: the output is smaller than MAX_BUFFER_SIZE.
        Ok(Seq {
            lits: 0,
            len: length as u32,
            offset,
            span: 0,
        })
    }
}
