//! The encoder's model: everything the decoder's `decode::Model` adapts (decision
//! probabilities, Huffman codes, recent-offset queues with their pending entries), updated
//! item by item exactly as the decoder will, together with the two output streams. Also the
//! current cost of each item, which the parser uses to choose between them.
//!
//! Items (see `decode` for their decoding): a literal is main bit 0 and a literal codeword; an
//! LZ match is main 1, match 0, then either LZ bit 0 with an offset slot and its extra bits, or
//! LZ bit 1 with one or two repeat bits naming a queue entry, then a length slot and its extra
//! bits. A delta match is main 1, match 1, then delta bit 0 with a power codeword and a
//! delta-offset slot and extra bits, or delta bit 1 with repeat bits, then the length. A
//! match's offset joins the queue only when the next match is coded, before its
//! offset if an item came in between, after it otherwise; so the offset of the match just
//! before can not be repeated.

use super::backward_bits::BackwardBits;
use super::huffman_encode::AdaptiveHuffman;
use super::matches::{push_front, take};
use super::range_encoder::{BitCosts, Decision, RangeEncoder, COST_SHIFT};
use super::tables::*;

#[derive(Debug)]
pub(super) struct Items {
    rc: RangeEncoder,
    bits: BackwardBits,
    costs: BitCosts,
    main: Decision<NUM_MAIN_STATES>,
    kind: Decision<NUM_MATCH_STATES>,
    lz: Decision<NUM_LZ_STATES>,
    lz_rep: [Decision<NUM_LZ_REP_STATES>; 2],
    delta: Decision<NUM_DELTA_STATES>,
    delta_rep: [Decision<NUM_DELTA_REP_STATES>; 2],
    literal: AdaptiveHuffman,
    lz_offset: AdaptiveHuffman,
    length: AdaptiveHuffman,
    delta_offset: AdaptiveHuffman,
    delta_power: AdaptiveHuffman,
    lz_queue: [u32; 4],
    /// Offset waiting to join `lz_queue` (0: none) and the position after its match.
    pending_lz: u32,
    pending_lz_end: usize,
    /// Delta (power << 32 | raw offset) pairs, most recent first, and their pending entry.
    delta_queue: [u64; 4],
    pending_delta: u64,
    pending_delta_end: usize,
}

/// Slot of `value` in a table of slot bases (`value` at least the first base, 1).
#[inline(always)]
fn slot_of(bases: &[u32], value: u32) -> usize {
    bases.partition_point(|&b| b <= value) - 1
}

impl Items {
    /// The initial model for a chunk of `n` bytes.
    pub(super) fn new(n: usize) -> Self {
        Items {
            rc: RangeEncoder::new(n / 4),
            bits: BackwardBits::new(n / 4),
            costs: BitCosts::new(),
            main: Decision::new(),
            kind: Decision::new(),
            lz: Decision::new(),
            lz_rep: [Decision::new(), Decision::new()],
            delta: Decision::new(),
            delta_rep: [Decision::new(), Decision::new()],
            literal: AdaptiveHuffman::new(NUM_LITERAL_SYMS, LITERAL_REBUILD_FREQ),
            lz_offset: AdaptiveHuffman::new(num_offset_slots(n), LZ_OFFSET_REBUILD_FREQ),
            length: AdaptiveHuffman::new(NUM_LENGTH_SYMS, LENGTH_REBUILD_FREQ),
            delta_offset: AdaptiveHuffman::new(num_offset_slots(n), DELTA_OFFSET_REBUILD_FREQ),
            delta_power: AdaptiveHuffman::new(NUM_DELTA_POWER_SYMS, DELTA_POWER_REBUILD_FREQ),
            lz_queue: [1, 2, 3, 4],
            pending_lz: 0,
            pending_lz_end: 0,
            delta_queue: [1, 2, 3, 4],
            pending_delta: 0,
            pending_delta_end: 0,
        }
    }

    /// Bytes of output so far.
    pub(super) fn size(&self) -> usize {
        self.rc.len() + self.bits.len()
    }

    /// The chunk: the forward stream, then the backward one.
    pub(super) fn finish(self) -> Vec<u8> {
        let mut out = self.rc.finish();
        self.bits.finish_into(&mut out);
        out
    }

    /// The offsets a match at `pos` can repeat, newest first.
    #[inline(always)]
    pub(super) fn lz_reps(&self, pos: usize) -> [u32; 3] {
        let q = &self.lz_queue;
        if self.pending_lz != 0 && pos != self.pending_lz_end {
            [self.pending_lz, q[0], q[1]]
        } else {
            [q[0], q[1], q[2]]
        }
    }

    /// The LZ queue, the pending offset and whether a match ends at `pos` (the state a parse
    /// starting at `pos` tracks).
    pub(super) fn queue_state(&self, pos: usize) -> ([u32; 4], u32, bool) {
        (self.lz_queue, self.pending_lz, pos == self.pending_lz_end)
    }

    /// The offsets a match can repeat right after a literal.
    #[inline(always)]
    pub(super) fn lz_reps_after_literal(&self) -> [u32; 3] {
        let q = &self.lz_queue;
        if self.pending_lz != 0 {
            [self.pending_lz, q[0], q[1]]
        } else {
            [q[0], q[1], q[2]]
        }
    }

    pub(super) fn literal(&mut self, byte: u8) {
        self.main.encode(&mut self.rc, 0);
        self.literal.encode(usize::from(byte), &mut self.bits);
    }

    /// Codes an LZ match at `pos`: a repeat if `offset` is in the queue, else explicit.
    pub(super) fn lz_match(&mut self, pos: usize, offset: u32, len: u32) {
        if self.pending_lz != 0 && pos != self.pending_lz_end {
            push_front(&mut self.lz_queue, self.pending_lz);
            self.pending_lz = 0;
        }
        self.main.encode(&mut self.rc, 1);
        self.kind.encode(&mut self.rc, 0);
        match self.lz_queue[..3].iter().position(|&o| o == offset) {
            Some(idx) => {
                self.lz.encode(&mut self.rc, 1);
                self.lz_rep[0].encode(&mut self.rc, u32::from(idx > 0));
                if idx > 0 {
                    self.lz_rep[1].encode(&mut self.rc, u32::from(idx > 1));
                }
                take(&mut self.lz_queue, idx);
            }
            None => {
                self.lz.encode(&mut self.rc, 0);
                let slot = slot_of(&OFFSET_SLOT_BASE, offset);
                self.lz_offset.encode(slot, &mut self.bits);
                self.bits.put(
                    offset - OFFSET_SLOT_BASE[slot],
                    u32::from(OFFSET_EXTRA_BITS[slot]),
                );
            }
        }
        if self.pending_lz != 0 {
            push_front(&mut self.lz_queue, self.pending_lz);
        }
        self.pending_lz = offset;
        self.length(len);
        self.pending_lz_end = pos + len as usize;
    }

    /// Codes a delta match at `pos` with span `2^power` and offset `raw << power`: a repeat if
    /// the pair is in the queue, else explicit.
    pub(super) fn delta_match(&mut self, pos: usize, power: u32, raw: u32, len: u32) {
        let pair = (u64::from(power) << 32) | u64::from(raw);
        if self.pending_delta != 0 && pos != self.pending_delta_end {
            push_front(&mut self.delta_queue, self.pending_delta);
            self.pending_delta = 0;
        }
        self.main.encode(&mut self.rc, 1);
        self.kind.encode(&mut self.rc, 1);
        match self.delta_queue[..3].iter().position(|&o| o == pair) {
            Some(idx) => {
                self.delta.encode(&mut self.rc, 1);
                self.delta_rep[0].encode(&mut self.rc, u32::from(idx > 0));
                if idx > 0 {
                    self.delta_rep[1].encode(&mut self.rc, u32::from(idx > 1));
                }
                take(&mut self.delta_queue, idx);
            }
            None => {
                self.delta.encode(&mut self.rc, 0);
                self.delta_power.encode(power as usize, &mut self.bits);
                let slot = slot_of(&OFFSET_SLOT_BASE, raw);
                self.delta_offset.encode(slot, &mut self.bits);
                self.bits.put(
                    raw - OFFSET_SLOT_BASE[slot],
                    u32::from(OFFSET_EXTRA_BITS[slot]),
                );
            }
        }
        if self.pending_delta != 0 {
            push_front(&mut self.delta_queue, self.pending_delta);
        }
        self.pending_delta = pair;
        self.length(len);
        self.pending_delta_end = pos + len as usize;
    }

    /// Cost of an explicit delta match's head (without the length).
    #[inline(always)]
    pub(super) fn delta_cost(&self, power: u32, raw: u32) -> u32 {
        let c = &self.costs;
        let slot = slot_of(&OFFSET_SLOT_BASE, raw);
        self.main.cost(1, c)
            + self.kind.cost(1, c)
            + self.delta.cost(0, c)
            + self.delta_power.cost(power as usize)
            + self.delta_offset.cost(slot)
            + (u32::from(OFFSET_EXTRA_BITS[slot]) << COST_SHIFT)
    }

    fn length(&mut self, len: u32) {
        let slot = slot_of(&LENGTH_SLOT_BASE, len);
        self.length.encode(slot, &mut self.bits);
        self.bits.put(
            len - LENGTH_SLOT_BASE[slot],
            u32::from(LENGTH_EXTRA_BITS[slot]),
        );
    }

    /// Cost of a literal `byte`.
    #[inline(always)]
    pub(super) fn literal_cost(&self, byte: u8) -> u32 {
        self.main.cost(0, &self.costs) + self.literal.cost(usize::from(byte))
    }

    /// Cost of a match's length.
    #[inline(always)]
    pub(super) fn length_cost(&self, len: u32) -> u32 {
        let slot = slot_of(&LENGTH_SLOT_BASE, len);
        self.length.cost(slot) + (u32::from(LENGTH_EXTRA_BITS[slot]) << COST_SHIFT)
    }

    /// Cost of an LZ match's kind bits.
    #[inline(always)]
    fn lz_head_cost(&self) -> u32 {
        self.main.cost(1, &self.costs) + self.kind.cost(0, &self.costs)
    }

    /// Cost of repeating queue entry `idx` (without the length).
    #[inline(always)]
    pub(super) fn rep_cost(&self, idx: usize) -> u32 {
        let c = &self.costs;
        let mut cost = self.lz_head_cost() + self.lz.cost(1, c);
        cost += self.lz_rep[0].cost(u32::from(idx > 0), c);
        if idx > 0 {
            cost += self.lz_rep[1].cost(u32::from(idx > 1), c);
        }
        cost
    }

    /// Cost of an explicit offset (without the length).
    #[inline(always)]
    pub(super) fn offset_cost(&self, offset: u32) -> u32 {
        let slot = slot_of(&OFFSET_SLOT_BASE, offset);
        self.lz_head_cost()
            + self.lz.cost(0, &self.costs)
            + self.lz_offset.cost(slot)
            + (u32::from(OFFSET_EXTRA_BITS[slot]) << COST_SHIFT)
    }
}
