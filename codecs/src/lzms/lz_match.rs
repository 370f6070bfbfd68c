//! LZ matches (and the dispatch of every match item): the item kind, the offset (explicit, as
//! an LZ-offset slot and extra bits, or repeated from the LRU queue, with the *pending*
//! offset rule described in `decode`), the length, and the checks of the match against the
//! output; the match becomes a sequence of the block, copied by `emit`. Decoded out of line
//! from the literal loop (`literals`).

use super::decode::{err, Model};
use super::emit::{delta, Seq};
use super::huffman::AdaptiveCode;
use super::literals::MatchRun;
use super::matches::{push_front, rep_index, take};
use super::streams::Streams;
use super::tables::*;
use crate::lzcopy::copy_match;
use crate::prefetch::prefetch;
use crate::DecodeError;

impl Model {
    /// Decodes the match at `run.pos` whose main bit has just been decoded, and the matches
    /// right after it (a match after a match does not go back through the literal loop), with
    /// the main decision's state kept by the caller; advances `run` past the last one and
    /// returns whether the main bit of a literal has been decoded (else `stop` is reached).
    ///
    /// `DIRECT`: each match is copied into `out` right away (a small chunk, all in the caches);
    /// else it becomes a sequence of the block, its source prefetched (`emit` copies it).
    #[inline(never)]
    pub(super) fn match_run<const DIRECT: bool>(
        &mut self,
        streams: &mut Streams<'_>,
        run: &mut MatchRun,
        main_state: &mut usize,
        stop: usize,
        out: &mut [u8],
    ) -> Result<bool, DecodeError> {
        // Work on copies so that the stream state stays in registers.
        let mut s = *streams;
        let mut state = *main_state;
        let MatchRun {
            mut pos,
            lp,
            seq_lp,
            mut seqs,
        } = *run;
        // The literals before the first match; none before the others.
        let mut lits = (lp - seq_lp) as u32;
        let result = loop {
            let seq = if self.kind.decode(&mut s) == 0 {
                self.lz_match(&mut s, pos, out.len())
            } else {
                // Rare: out of line, with the streams passed by value so that their address
                // is never taken.
                let (s2, seq) = self.delta_match(s, pos, out.len());
                s = s2;
                seq
            };
            let seq = match seq {
                Ok(seq) => seq,
                Err(e) => break Err(e),
            };
            let (offset, len) = (seq.offset as usize, seq.len as usize);
            if DIRECT {
                if seq.span == 0 {
                    copy_match(out, pos, offset, len);
                } else {
                    delta(out, pos, offset, seq.span as usize, len);
                }
            } else {
                if seq.span == 0 {
                    prefetch(out, pos - offset);
                }
                // (At most one sequence per byte of the block: `seqs` < SEQS_CAP.)
                self.block.seqs[seqs] = Seq { lits, ..seq };
                lits = 0;
                seqs += 1;
            }
            pos += len;
            // At `stop` (the end, or a progress report) before the next main bit.
            if pos >= stop {
                break Ok(false);
            }
            if self.main.decode_in(&mut state, &mut s) == 0 {
                break Ok(true);
            }
        };
        *streams = s;
        *main_state = state;
        *run = MatchRun {
            pos,
            lp,
            seq_lp: lp,
            seqs,
        };
        result
    }

    /// Decodes a slot of `code` and its extra bits into a value (offset or length).
    #[inline(always)]
    pub(super) fn slot_value<const TB: u32>(
        code: &mut AdaptiveCode<TB>,
        s: &mut Streams<'_>,
        base: &[u32],
        extra: &[u8],
    ) -> Option<u32> {
        let slot = code.decode(s)?;
        let b = *base.get(slot)?;
        let n = *extra.get(slot)?;
        // Bases plus extra bits stay below 2^31 (the tables' last value is 0x465BE4A5).
        Some(b + s.read_bits(u32::from(n)))
    }

    #[inline(always)]
    pub(super) fn decode_length(&mut self, s: &mut Streams<'_>) -> Result<usize, DecodeError> {
        match Self::slot_value(&mut self.length, s, &LENGTH_SLOT_BASE, &LENGTH_EXTRA_BITS) {
            Some(len) => Ok(len as usize),
            None => Err(err(s, "invalid LZMS length codeword")),
        }
    }

    /// Decodes the LZ match at `pos` (its kind already decoded) into its sequence, without
    /// the literals before it.
    #[inline(always)]
    fn lz_match(
        &mut self,
        s: &mut Streams<'_>,
        pos: usize,
        out_len: usize,
    ) -> Result<Seq, DecodeError> {
        if self.pending_lz != 0 && pos != self.pending_lz_end {
            push_front(&mut self.lz_queue, self.pending_lz);
            self.pending_lz = 0;
        }
        let offset = if self.lz.decode(s) == 0 {
            let off = Self::slot_value(
                &mut self.lz_offset,
                s,
                &OFFSET_SLOT_BASE,
                &OFFSET_EXTRA_BITS,
            );
            match off {
                Some(off) => off,
                None => return Err(err(s, "invalid LZMS offset codeword")),
            }
        } else {
            let idx = rep_index(&mut self.lz_rep, s);
            take(&mut self.lz_queue, idx)
        };
        if self.pending_lz != 0 {
            push_front(&mut self.lz_queue, self.pending_lz);
        }
        self.pending_lz = offset;

        let length = self.decode_length(s)?;
        if length > out_len - pos {
            return Err(err(s, "LZMS match runs past the end of the chunk"));
        }
        if offset as usize > pos {
            return Err(err(s, "LZMS match offset before the start of the chunk"));
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
