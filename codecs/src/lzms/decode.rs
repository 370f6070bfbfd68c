//! The LZMS decoder proper: items from the two streams, LRU queues, matches, then the x86
//! filter. Items are decoded a block at a time (up to [`PROGRESS_STEP`] bytes of output) into
//! literals and match sequences, which `emit` then writes to the output (see there why).
//!
//! Each item starts with range-decoded bits choosing its kind:
//!
//! * main bit 0: a literal byte (literal code);
//! * main 1, match bit 0: an LZ match; LZ bit 0 gives an explicit offset (LZ-offset slot +
//!   extra bits), 1 a repeat offset chosen by up to two LZ-repeat bits (0 -> queue slot 0,
//!   10 -> slot 1, 11 -> slot 2);
//! * main 1, match bit 1: a delta match; delta bit 0 gives an explicit (power, raw offset)
//!   pair (delta-power code, then delta-offset slot + extra bits), 1 a repeat pair chosen like
//!   LZ repeats.
//!
//! Every match then has a length (length slot + extra bits). An LZ match copies `length` bytes
//! from `offset` back; a delta match with span `s = 2^power` and offset `o = raw << power`
//! writes `out[i] = out[i - o] + out[i - s] - out[i - o - s]` (bytewise, wrapping). Both may
//! overlap their own output.
//!
//! The LZ queue starts as {1, 2, 3, 4} and the delta queue as {(0,1), (0,2), (0,3), (0,4)};
//! only the first three entries can be referenced. Using an entry removes it (later entries
//! shift up). The offset of a match is not pushed to the front right away but becomes
//! *pending*: it is pushed before decoding the offset of the next match of the same kind if
//! any item came in between, else after it (so an offset can not be repeated by the item
//! right after the one that used it).

use std::cell::RefCell;

use super::emit::{emit, Block};
use super::huffman::AdaptiveCode;
use super::range::Decision;
use super::streams::Streams;
use super::tables::*;
use super::x86::x86_filter_reporting;
use crate::progress::{Progress, PROGRESS_STEP};
use crate::DecodeError;

thread_local! {
    /// The decoder's model, reused from chunk to chunk (reset for each).
    static MODEL: RefCell<Option<Box<Model>>> = const { RefCell::new(None) };
}

/// Largest buffer LZMS can describe (largest match offset + 1).
const MAX_BUFFER_SIZE: usize = 1_180_427_429;

/// Chunks up to this size are decoded in one pass, each item written as it is decoded: their
/// matches' sources are in the caches, so the two passes of larger chunks (see `emit`) would
/// only add work.
const DIRECT_MAX: usize = 1 << 20;

/// Primary decode-table sizes (bits). They only affect speed.
const LITERAL_TABLE_BITS: u32 = 10;
const LENGTH_TABLE_BITS: u32 = 9;
const OFFSET_TABLE_BITS: u32 = 10;
const POWER_TABLE_BITS: u32 = 7;

/// Decodes one LZMS-compressed chunk into `output`, which must be filled exactly. Chunks may be
/// up to 64 MiB (solid resources use large chunks); allocate per-call state proportional to the
/// output size only.
///
/// The input is a whole number of 16-bit units, at least two. Decoding fails on a codeword or
/// match that the input can not contain (an offset before the start of the chunk, a length past
/// its end), and when the backward stream needs bits from before the start of the input.
pub fn decompress(input: &[u8], output: &mut [u8]) -> Result<(), DecodeError> {
    decompress_reporting(input, output, |_| {}, output.len() <= DIRECT_MAX)
}

/// [`decompress`], telling `progress` every [`PROGRESS_STEP`] bytes of output how far it has
/// come (see [`Progress`]): a caller decoding into a mapped file can let the system drop the
/// pages the decoder is done with, so a 64 MiB chunk never has to be resident at once.
pub fn decompress_with_progress(
    input: &[u8],
    output: &mut [u8],
    progress: &mut dyn FnMut(Progress),
) -> Result<(), DecodeError> {
    decompress_reporting(input, output, progress, output.len() <= DIRECT_MAX)
}

/// [`decompress`] in one pass (`direct`) or in two, whatever the size (for the tests and the
/// fuzz harness, which check that both give the same result).
pub(crate) fn decompress_in(
    input: &[u8],
    output: &mut [u8],
    direct: bool,
) -> Result<(), DecodeError> {
    decompress_reporting(input, output, |_| {}, direct)
}

fn decompress_reporting(
    input: &[u8],
    output: &mut [u8],
    mut report: impl FnMut(Progress),
    direct: bool,
) -> Result<(), DecodeError> {
    if output.is_empty() {
        return Ok(());
    }
    if output.len() > MAX_BUFFER_SIZE {
        return Err(DecodeError {
            input_pos: 0,
            reason: "LZMS output larger than the format allows",
        });
    }
    if input.len() < 4 {
        return Err(DecodeError {
            input_pos: 0,
            reason: "LZMS chunk shorter than 4 bytes",
        });
    }
    if !input.len().is_multiple_of(2) {
        return Err(DecodeError {
            input_pos: input.len(),
            reason: "LZMS chunk of odd length",
        });
    }
    let mut streams = Streams::new(input);
    let r = &mut report;
    MODEL.with(|m| match m.try_borrow_mut() {
        Ok(mut slot) => match slot.as_mut() {
            Some(model) => {
                model.reset(output.len());
                model.run(&mut streams, output, r, direct)
            }
            None => {
                let mut model = Box::new(Model::new(output.len()));
                let result = model.run(&mut streams, output, r, direct);
                *slot = Some(model);
                result
            }
        },
        Err(_) => Model::new(output.len()).run(&mut streams, output, r, direct),
    })?;
    if streams.overrun() {
        return Err(err(&streams, TRUNCATED));
    }
    report(Progress::decoded(output.len()));
    x86_filter_reporting(output, true, &mut |at| report(Progress::filtered(at)));
    report(Progress::filtered(output.len()));
    Ok(())
}

const TRUNCATED: &str = "LZMS chunk truncated (bit stream ran past its start)";

/// The error `reason` at the streams' position; a truncated chunk if the bit stream has run
/// past the start of the input (garbage decoded from its zero padding is the likely cause).
#[cold]
pub(super) fn err(s: &Streams<'_>, reason: &'static str) -> DecodeError {
    let reason = if s.overrun() { TRUNCATED } else { reason };
    DecodeError {
        input_pos: s.backward_position().max(s.forward_position()),
        reason,
    }
}

/// Everything the decoder adapts: decision probabilities, Huffman codes, offset queues, and
/// the current block's buffers. (The streams are kept apart, in locals of the decoding loops,
/// so that their state can live in registers.)
pub(super) struct Model {
    pub(super) main: Decision<NUM_MAIN_STATES>,
    pub(super) kind: Decision<NUM_MATCH_STATES>,
    pub(super) lz: Decision<NUM_LZ_STATES>,
    pub(super) lz_rep: [Decision<NUM_LZ_REP_STATES>; 2],
    pub(super) delta: Decision<NUM_DELTA_STATES>,
    pub(super) delta_rep: [Decision<NUM_DELTA_REP_STATES>; 2],
    pub(super) literal: AdaptiveCode<LITERAL_TABLE_BITS>,
    pub(super) lz_offset: AdaptiveCode<OFFSET_TABLE_BITS>,
    pub(super) length: AdaptiveCode<LENGTH_TABLE_BITS>,
    pub(super) delta_offset: AdaptiveCode<OFFSET_TABLE_BITS>,
    pub(super) delta_power: AdaptiveCode<POWER_TABLE_BITS>,
    /// LZ offsets, most recent first (the fourth only refills the third).
    pub(super) lz_queue: [u32; 4],
    /// Delta (power << 32 | raw offset) pairs, most recent first.
    pub(super) delta_queue: [u64; 4],
    /// Offset waiting to enter `lz_queue` (0: none), and the output position right after the
    /// match that used it.
    pub(super) pending_lz: u32,
    pub(super) pending_lz_end: usize,
    pub(super) pending_delta: u64,
    pub(super) pending_delta_end: usize,
    /// The current block's literals and sequences.
    pub(super) block: Block,
}

impl Model {
    fn new(out_len: usize) -> Self {
        let offset_syms = num_offset_slots(out_len);
        Model {
            main: Decision::new(),
            kind: Decision::new(),
            lz: Decision::new(),
            lz_rep: [Decision::new(), Decision::new()],
            delta: Decision::new(),
            delta_rep: [Decision::new(), Decision::new()],
            literal: AdaptiveCode::new(NUM_LITERAL_SYMS, LITERAL_REBUILD_FREQ),
            lz_offset: AdaptiveCode::new(offset_syms, LZ_OFFSET_REBUILD_FREQ),
            length: AdaptiveCode::new(NUM_LENGTH_SYMS, LENGTH_REBUILD_FREQ),
            delta_offset: AdaptiveCode::new(offset_syms, DELTA_OFFSET_REBUILD_FREQ),
            delta_power: AdaptiveCode::new(NUM_DELTA_POWER_SYMS, DELTA_POWER_REBUILD_FREQ),
            lz_queue: [1, 2, 3, 4],
            delta_queue: [1, 2, 3, 4],
            pending_lz: 0,
            pending_lz_end: 0,
            pending_delta: 0,
            pending_delta_end: 0,
            block: Block::new(),
        }
    }

    /// The state at the start of a chunk of `out_len` bytes (what [`Model::new`] makes),
    /// reusing the allocations and the initial codes' tables.
    fn reset(&mut self, out_len: usize) {
        let offset_syms = num_offset_slots(out_len);
        self.main = Decision::new();
        self.kind = Decision::new();
        self.lz = Decision::new();
        self.lz_rep = [Decision::new(), Decision::new()];
        self.delta = Decision::new();
        self.delta_rep = [Decision::new(), Decision::new()];
        self.literal.reset(NUM_LITERAL_SYMS);
        self.lz_offset.reset(offset_syms);
        self.length.reset(NUM_LENGTH_SYMS);
        self.delta_offset.reset(offset_syms);
        self.delta_power.reset(NUM_DELTA_POWER_SYMS);
        self.lz_queue = [1, 2, 3, 4];
        self.delta_queue = [1, 2, 3, 4];
        self.pending_lz = 0;
        self.pending_lz_end = 0;
        self.pending_delta = 0;
        self.pending_delta_end = 0;
    }

    fn run(
        &mut self,
        streams: &mut Streams<'_>,
        out: &mut [u8],
        report: &mut impl FnMut(Progress),
        direct: bool,
    ) -> Result<(), DecodeError> {
        let mut pos = 0usize;
        // The main decision's state, in a register.
        let mut main_state = self.main.state();
        let result = loop {
            // A block: its items, then its output (see `emit`); a report after each.
            let stop = out.len().min(pos.saturating_add(PROGRESS_STEP));
            let end = if direct {
                match self.block::<true>(streams, pos, stop, out, &mut main_state) {
                    Ok((end, _, _)) => end,
                    Err(e) => break Err(e),
                }
            } else {
                match self.block::<false>(streams, pos, stop, out, &mut main_state) {
                    Ok((end, seqs, tail)) => {
                        let written =
                            emit(out, pos, &self.block.lits, &self.block.seqs[..seqs], tail);
                        debug_assert_eq!(written, end);
                        end
                    }
                    Err(e) => break Err(e),
                }
            };
            pos = end;
            if pos >= out.len() {
                break Ok(());
            }
            report(Progress::decoding(
                pos,
                streams.forward_position()..streams.backward_position(),
            ));
        };
        self.main.set_state(main_state);
        result
    }
}
