//! One step of a parse, packed for the writer ([`super::encode`]): a literal byte or a match,
//! with the Huffman symbol that starts it ([MS-XCA] 2.1: `256 + (log2(offset) << 4 |
//! min(length - 3, 15))` for a match) worked out once, when the parse makes it.

use super::{END_SYMBOL, MIN_MATCH};

/// A literal or a match (`3 <= length`, `1 <= offset <= 65535`) in one `u64`: bits 0..9 the
/// symbol, bits 9..24 the offset's bits below its leading one (what follows the symbol and the
/// length bytes in the stream), bits 32.. the length minus 3 (0 for a literal). The writer
/// sends the symbol and the offset bits in one go unless the length needs extra bytes, which
/// is when the top half is at least 15 ([`Item::has_length_bytes`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Item(u64);

/// An item unpacked, for tests and debugging.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unpacked {
    Literal(u8),
    Match { length: u32, offset: u32 },
}

impl Item {
    #[inline(always)]
    pub(super) fn literal(b: u8) -> Self {
        Item(u64::from(b))
    }

    /// A match (`3 <= length`, `1 <= offset <= 65535`).
    #[inline(always)]
    pub(super) fn new_match(length: u32, offset: u32) -> Self {
        let log2 = offset.ilog2();
        let l = length - MIN_MATCH as u32;
        let sym = END_SYMBOL as u32 + (log2 << 4 | l.min(0xF));
        Item(u64::from(sym) | u64::from(offset - (1 << log2)) << 9 | u64::from(l) << 32)
    }

    /// The Huffman symbol that starts the item.
    #[inline(always)]
    pub(super) fn symbol(self) -> usize {
        (self.0 & 0x1FF) as usize
    }

    /// The offset's bits below its leading one (0 for a literal).
    #[inline(always)]
    pub(super) fn offset_bits(self) -> u32 {
        (self.0 >> 9) as u32 & 0x7FFF
    }

    /// Length minus 3 (0 for a literal).
    #[inline(always)]
    pub(super) fn length_minus_3(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// Whether extra length bytes follow the symbol (length - 3 >= 15).
    #[inline(always)]
    pub(super) fn has_length_bytes(self) -> bool {
        self.0 >= 0xF << 32
    }

    pub(super) fn unpack(self) -> Unpacked {
        let sym = self.symbol();
        if sym < END_SYMBOL {
            return Unpacked::Literal(sym as u8);
        }
        let log2 = ((sym >> 4) & 0xF) as u32;
        Unpacked::Match {
            length: self.length_minus_3() + MIN_MATCH as u32,
            offset: (1 << log2) | self.offset_bits(),
        }
    }
}

impl std::fmt::Debug for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.unpack().fmt(f)
    }
}
