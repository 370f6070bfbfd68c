//! Delta matches: `out[i] = out[i - o] + out[i - s] - out[i - o - s]` with span `s = 2^power`
//! and offset `o = raw << power`, and their LRU queue of (power, raw offset) pairs. Rare in
//! most data, so decoded out of line (written by `emit`).

use super::decode::{err, Model};
use super::emit::Seq;
use super::matches::{push_front, rep_index, take};
use super::streams::Streams;
use super::tables::{OFFSET_EXTRA_BITS, OFFSET_SLOT_BASE};
use crate::DecodeError;

impl Model {
    /// Decodes a delta match at `pos` (the item kind already decoded) and returns the position
    /// after it. The streams go in and out by value so that the caller's copy never has its
    /// address taken (and stays in registers).
    #[inline(never)]
    pub(super) fn delta_match<'a>(
        &mut self,
        mut s: Streams<'a>,
        pos: usize,
        out_len: usize,
    ) -> (Streams<'a>, Result<Seq, DecodeError>) {
        let result = self.delta_item(&mut s, pos, out_len);
        (s, result)
    }

    #[inline(always)]
    fn delta_item(
        &mut self,
        s: &mut Streams<'_>,
        pos: usize,
        out_len: usize,
    ) -> Result<Seq, DecodeError> {
        if self.pending_delta != 0 && pos != self.pending_delta_end {
            push_front(&mut self.delta_queue, self.pending_delta);
            self.pending_delta = 0;
        }
        let pair = if self.delta.decode(s) == 0 {
            let Some(power) = self.delta_power.decode(s) else {
                return Err(err(s, "invalid LZMS delta power codeword"));
            };
            let raw = Self::slot_value(
                &mut self.delta_offset,
                s,
                &OFFSET_SLOT_BASE,
                &OFFSET_EXTRA_BITS,
            );
            let Some(raw) = raw else {
                return Err(err(s, "invalid LZMS delta offset codeword"));
            };
            ((power as u64) << 32) | u64::from(raw)
        } else {
            let idx = rep_index(&mut self.delta_rep, s);
            take(&mut self.delta_queue, idx)
        };
        if self.pending_delta != 0 {
            push_front(&mut self.delta_queue, self.pending_delta);
        }
        self.pending_delta = pair;

        let length = self.decode_length(s)?;
        // Powers come from an 8-symbol alphabet; raw offsets are below 2^31.
        let power = (pair >> 32) & 7;
        let raw = pair & 0xFFFF_FFFF;
        // Below 2^39: no overflow in u64, whatever the width of usize.
        let (span, offset) = (1u64 << power, raw << power);
        if length > out_len - pos {
            return Err(err(s, "LZMS delta match runs past the end"));
        }
        if offset + span > pos as u64 {
            return Err(err(s, "LZMS delta match reaches before the start"));
        }
        self.pending_delta_end = pos + length;
        // All fit in u32 now (at most `pos`, below MAX_BUFFER_SIZE).
        Ok(Seq {
            lits: 0,
            len: length as u32,
            offset: offset as u32,
            span: span as u32,
        })
    }
}
