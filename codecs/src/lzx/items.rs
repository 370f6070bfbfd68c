//! The items of an LZX parse ([MS-PATCH] LZX DELTA 2.3, as WIM uses it): literals and matches
//! with their repeated-offset codes, the symbols a match becomes, and the repeated-offset
//! update the decoder makes; shared by the parser ([`super::parse`]), the block writer
//! ([`super::write`]) and the driver ([`super::encode`]).

use super::consts::*;

/// A parsed item: a literal (`len == 0`, `code` = the byte) or a match of `len` bytes whose
/// `code` is a repeated-offset index (0..=2) or a formatted offset (offset + 2, >= 3).
#[derive(Debug, Clone, Copy)]
pub(super) struct Item {
    pub(super) len: u32,
    pub(super) code: u32,
}

impl Item {
    #[inline(always)]
    pub(super) fn literal(b: u8) -> Self {
        Item {
            len: 0,
            code: u32::from(b),
        }
    }

    #[inline(always)]
    pub(super) fn new(len: u32, code: u32) -> Self {
        Item { len, code }
    }

    #[inline(always)]
    pub(super) fn is_literal(self) -> bool {
        self.len == 0
    }
}

/// Symbol counts of a parse.
#[derive(Debug, Clone)]
pub(super) struct Freqs {
    pub(super) main: Vec<u32>,
    pub(super) len: [u32; LEN_SYMS],
    pub(super) aligned: [u32; ALIGNED_SYMS],
}

/// Main symbol, length symbol and position slot of a match item.
#[inline]
pub(super) fn match_symbols(it: Item) -> (usize, Option<usize>, usize) {
    let slot = if it.code < 3 {
        it.code as usize
    } else {
        slot_of(it.code)
    };
    let header = (it.len as usize - MIN_MATCH).min(NUM_PRIMARY_LENS);
    let len_sym =
        (header == NUM_PRIMARY_LENS).then(|| it.len as usize - MIN_MATCH - NUM_PRIMARY_LENS);
    (NUM_CHARS + slot * NUM_LEN_HEADERS + header, len_sym, slot)
}

/// Position slot of a formatted offset (>= 3).
#[inline]
pub(super) fn slot_of(f: u32) -> usize {
    if f < SLOT_BASE[36] {
        // Two slots per power of two from 2 on (slots 2 and 3 hold one value each).
        let f = f.max(2);
        let msb = 31 - f.leading_zeros();
        (2 * msb + ((f >> (msb - 1)) & 1)) as usize
    } else {
        36 + ((f - SLOT_BASE[36]) >> 17) as usize
    }
}

/// Updates the repeated offsets as the decoder does for `item`.
#[inline]
pub(super) fn apply(reps: &mut [u32; 3], item: Item) {
    if item.is_literal() {
        return;
    }
    if item.code < 3 {
        reps.swap(0, item.code as usize);
    } else {
        *reps = [item.code - 2, reps[0], reps[1]];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_of_matches_the_table() {
        for slot in 3..MAX_SLOTS {
            let lo = SLOT_BASE[slot];
            let hi = SLOT_BASE[slot + 1] - 1;
            assert_eq!(slot_of(lo), slot, "base of slot {slot}");
            assert_eq!(slot_of(hi), slot, "end of slot {slot}");
        }
    }
}
