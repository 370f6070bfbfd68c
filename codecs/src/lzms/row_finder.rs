//! Row match finder for the LZMS encoder's large (solid) chunks.
//!
//! Each 4-byte prefix hashes to a row of `WAYS` slots holding the most recent positions whose
//! prefix hashed there, with an 8-bit tag per slot from other bits of the same hash. A search
//! compares its tag with the whole row at once and visits only the slots whose tag matches,
//! newest first. Unlike the hash chains of `match_finder`, whose every link is a dependent
//! load from anywhere in the chunk (two cache misses per candidate over 64 MiB), the
//! candidates of a row are known at once: their bytes are fetched in parallel, and the row's
//! tags and positions are prefetched one position ahead. Matches come out like the chains'
//! (strictly increasing lengths, the smallest offset for each), plus the same far-repeat
//! candidate of an 8-byte hash table. Memory: 5 bytes per slot, `WAYS` slots per row and a
//! row per 64 to 128 input bytes (1.9 to 3.75 bytes per input byte), plus a table of up to
//! 16 MiB.

use super::match_finder::{try_candidate, LzFinder, Match};
use crate::prefetch::prefetch;

/// Slots per row: the depth of a search (at most 64, the bits of a tag mask). On the first
/// 64 MiB solid chunk of the big fixture (a row per 64 bytes), 32 ways: 12,450,720 bytes in
/// 25.6 s; 48: 12,389,602 in 29.2 s; 64 with a row per 128 bytes: 12,360,186 in 38.5 s
/// (wimlib: 11,850,486 in about 37 s, same load).
const WAYS: usize = 48;

/// No position.
const NIL: u32 = u32::MAX;

#[derive(Debug)]
pub(super) struct RowFinder {
    row_bits: u32,
    long_bits: u32,
    /// Per row, `WAYS` tags and positions; slot `heads[row]` is the newest, then the slots
    /// after it (cyclically) by age.
    tags: Vec<u8>,
    pos: Vec<u32>,
    heads: Vec<u8>,
    long_head: Vec<u32>,
    nice: usize,
    /// The row, tag and long-table index of `next_pos` (computed and prefetched one position
    /// ahead).
    next_pos: usize,
    next: Slot,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    row: usize,
    tag: u8,
    long: usize,
}

const NO_SLOT: Slot = Slot {
    row: usize::MAX,
    tag: 0,
    long: usize::MAX,
};

impl RowFinder {
    /// A finder for `n` bytes that stops at a match of `nice` bytes.
    pub(super) fn new(n: usize, nice: usize) -> Self {
        let bits = usize::BITS - n.max(1).leading_zeros();
        let row_bits = bits.saturating_sub(7).clamp(8, 24);
        let long_bits = bits.clamp(12, 22);
        let rows = 1usize << row_bits;
        RowFinder {
            row_bits,
            long_bits,
            tags: vec![0; rows * WAYS],
            pos: vec![NIL; rows * WAYS],
            heads: vec![0; rows],
            long_head: vec![NIL; 1 << long_bits],
            nice,
            next_pos: usize::MAX,
            next: NO_SLOT,
        }
    }

    #[inline(always)]
    fn slot_of(&self, data: &[u8], pos: usize) -> Slot {
        let Some(b) = data.get(pos..pos + 4) else {
            return NO_SLOT;
        };
        let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let h = u64::from(v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let long = match data.get(pos..pos + 8) {
            Some(b8) => {
                let v8 = u64::from_le_bytes(b8.try_into().unwrap_or_default());
                (v8.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - self.long_bits)) as usize
            }
            None => usize::MAX,
        };
        Slot {
            row: (h >> (64 - self.row_bits)) as usize,
            tag: (h >> (56 - self.row_bits)) as u8,
            long,
        }
    }

    /// The slot of `pos` (from the look-ahead if it has it); computes and prefetches that
    /// of `pos + 1`.
    #[inline(always)]
    fn slot(&mut self, data: &[u8], pos: usize) -> Slot {
        let here = if self.next_pos == pos {
            self.next
        } else {
            self.slot_of(data, pos)
        };
        self.next = self.slot_of(data, pos + 1);
        self.next_pos = pos + 1;
        if self.next.row != usize::MAX {
            let base = self.next.row * WAYS;
            prefetch(&self.tags, base);
            for k in (0..WAYS).step_by(16) {
                prefetch(&self.pos, base + k);
            }
            prefetch(&self.heads, self.next.row);
        }
        prefetch(&self.long_head, self.next.long);
        here
    }

    /// Puts `pos` into its row and the long table; returns the previous long-table entry.
    #[inline(always)]
    fn put(&mut self, s: Slot, pos: usize) -> u32 {
        let h = (usize::from(self.heads[s.row]) + WAYS - 1) % WAYS;
        self.heads[s.row] = h as u8;
        self.tags[s.row * WAYS + h] = s.tag;
        self.pos[s.row * WAYS + h] = pos as u32;
        match self.long_head.get_mut(s.long) {
            Some(e) => std::mem::replace(e, pos as u32),
            None => NIL,
        }
    }
}

impl LzFinder for RowFinder {
    #[inline(always)]
    fn insert(&mut self, data: &[u8], pos: usize) {
        let s = self.slot(data, pos);
        if s.row != usize::MAX {
            self.put(s, pos);
        }
    }

    fn find(&mut self, data: &[u8], pos: usize, min_len: usize, out: &mut Vec<Match>) {
        out.clear();
        let s = self.slot(data, pos);
        if s.row == usize::MAX {
            return;
        }
        let base = s.row * WAYS;
        let tags: &[u8; WAYS] = self.tags[base..base + WAYS]
            .try_into()
            .unwrap_or(&[0; WAYS]);
        let mut mask = 0u64;
        for (i, &t) in tags.iter().enumerate() {
            mask |= u64::from(t == s.tag) << i;
        }
        // Bit j: the slot j places after the newest (age j).
        let head = u32::from(self.heads[s.row]);
        let mut by_age = if head == 0 {
            mask
        } else {
            ((mask >> head) | (mask << (WAYS as u32 - head))) & (u64::MAX >> (64 - WAYS))
        };
        let max = data.len() - pos;
        let mut best = min_len.max(4) - 1;
        // The candidates, newest first, their bytes requested before any is compared.
        let mut cands = [0u32; WAYS];
        let mut count = 0;
        while by_age != 0 {
            let slot = (by_age.trailing_zeros() + head) as usize % WAYS;
            by_age &= by_age - 1;
            let c = self.pos[base + slot];
            if c != NIL {
                prefetch(data, c as usize + best);
                cands[count] = c;
                count += 1;
            }
        }
        let long = self.put(s, pos);
        if best >= max {
            return;
        }
        for &c in &cands[..count] {
            if try_candidate(data, (c as usize, pos), (max, self.nice), &mut best, out) {
                return;
            }
        }
        if long != NIL {
            try_candidate(data, (long as usize, pos), (max, self.nice), &mut best, out);
        }
    }
}
