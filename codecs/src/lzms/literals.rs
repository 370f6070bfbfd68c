//! The item pass over one block: the literal loop, the decoder's hot path on most data, and
//! the hand-over to the match path (`lz_match`) for each run of matches. Literals go to the
//! block's literal buffer and matches become its sequences; `emit` writes both to the output
//! afterwards.

use super::decode::{err, Model};
use super::streams::Streams;
use crate::DecodeError;

/// Where a run of matches starts and the block's counters, which it advances.
#[derive(Debug, Clone, Copy)]
pub(super) struct MatchRun {
    /// Output position.
    pub(super) pos: usize,
    /// Literals of the block so far.
    pub(super) lp: usize,
    /// Literals of the block before the last sequence's match.
    pub(super) seq_lp: usize,
    /// Sequences of the block so far.
    pub(super) seqs: usize,
}

impl Model {
    /// Decodes the items from output position `pos` until `stop` (or past it, by the last
    /// match) into the block's literals and sequences; returns the position after them, the
    /// number of sequences and the literals after the last one. `out` is only read from, for
    /// the checks of the matches against it and to prefetch their sources; `DIRECT` writes
    /// the items to `out` instead (no sequences, no literals left).
    #[inline(never)]
    pub(super) fn block<const DIRECT: bool>(
        &mut self,
        s: &mut Streams<'_>,
        mut pos: usize,
        stop: usize,
        out: &mut [u8],
        main_state: &mut usize,
    ) -> Result<(usize, usize, usize), DecodeError> {
        // Literals of the block so far (their index in the literal buffer, or with `DIRECT`
        // in the output), and where the last sequence's literals end.
        let mut lp = if DIRECT { pos } else { 0 };
        let mut seq_lp = lp;
        let mut seqs = 0;
        loop {
            // Literals, with the streams and the main decision's entry for state 0 in locals
            // whose addresses are never taken (so in registers): each literal waits for the
            // one before through registers, not through memory. Written back for each run of
            // matches, which is decoded out of line.
            let mut st = *s;
            let mut entry0 = self.main.entry0();
            let mut until = self.literal.countdown();
            let lits: &mut [u8] = if DIRECT { out } else { &mut *self.block.lits };
            // The loop counts in the literal buffer; it stops at the block's end.
            let lp0 = lp;
            let lstop = lp + (stop - pos);
            let main_bit = 'literals: {
                // Right after a match the main state is not 0 (for up to 3 literals): those
                // main bits go through the decision's table.
                while *main_state != 0 {
                    if lp >= lstop {
                        break 'literals 0;
                    }
                    if self.main.decode_in(main_state, &mut st) != 0 {
                        break 'literals 1;
                    }
                    let Some(sym) = self.literal.decode_deferred(&mut st, &mut until) else {
                        break 'literals 3;
                    };
                    lits[lp] = sym as u8;
                    lp += 1;
                    if until == 0 {
                        break 'literals 2;
                    }
                }
                // Then state 0 until the next match: only its entry, in registers.
                loop {
                    if lp >= lstop {
                        break 'literals 0;
                    }
                    if entry0.decode(&mut st) != 0 {
                        *main_state = 1;
                        break 'literals 1;
                    }
                    // (The literal decoder notices a bit stream run past its start when it
                    // refills.)
                    let Some(sym) = self.literal.decode_deferred(&mut st, &mut until) else {
                        break 'literals 3;
                    };
                    lits[lp] = sym as u8;
                    lp += 1;
                    if until == 0 {
                        break 'literals 2;
                    }
                }
            };
            pos += lp - lp0;
            self.main.set_entry0(entry0);
            self.literal.set_countdown(until);
            *s = st;
            match main_bit {
                0 => return Ok((pos, seqs, lp - seq_lp)),
                1 => {}
                2 => {
                    // The literal code's rebuild, out of the loop above.
                    let until = self.literal.rebuild_due();
                    self.literal.set_countdown(until);
                    continue;
                }
                _ => return Err(err(s, "invalid LZMS literal codeword")),
            }
            // Matches until the next literal, whose main bit has then been decoded, or until
            // `stop`.
            let mut run = MatchRun {
                pos,
                lp,
                seq_lp,
                seqs,
            };
            let literal_next = self.match_run::<DIRECT>(s, &mut run, main_state, stop, out)?;
            (pos, seq_lp, seqs) = (run.pos, run.seq_lp, run.seqs);
            if DIRECT {
                // (The matches are in the output too.)
                lp = pos;
            }
            if !literal_next {
                return Ok((pos, seqs, lp - seq_lp));
            }
            let Some(sym) = self.literal.decode(s) else {
                return Err(err(s, "invalid LZMS literal codeword"));
            };
            if DIRECT {
                out[lp] = sym as u8;
            } else {
                self.block.lits[lp] = sym as u8;
            }
            lp += 1;
            pos += 1;
        }
    }
}
