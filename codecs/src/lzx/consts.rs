//! Constants of the LZX format as WIM files use it, and the position-slot tables.
//!
//! Sources: [MS-PATCH] "LZX DELTA Compression and Decompression" §2 (the block header in
//! §2.3.1, the position slots and the repeated-offset queue), Microsoft's 1997 "LZX Data
//! Compression Format" (the same tables for windows of 2^15..2^21 bytes), and wimlib's notes on
//! what WIMGAPI actually does (default block size, fixed E8 file size).

/// Literal symbols at the start of the main alphabet.
pub(super) const NUM_CHARS: usize = 256;
/// Shortest match.
pub(super) const MIN_MATCH: usize = 2;
/// Longest match: the 7 primary lengths plus the 249 symbols of the length tree.
pub(super) const MAX_MATCH: usize = 257;
/// Length headers 0..=6 are the lengths 2..=8; header 7 means "read a length-tree symbol".
pub(super) const NUM_PRIMARY_LENS: usize = 7;
/// Length headers per position slot in the main alphabet.
pub(super) const NUM_LEN_HEADERS: usize = NUM_PRIMARY_LENS + 1;
/// Symbols of the length tree.
pub(super) const LEN_SYMS: usize = MAX_MATCH - MIN_MATCH + 1 - NUM_PRIMARY_LENS;
/// Symbols of a pretree.
pub(super) const PRETREE_SYMS: usize = 20;
/// Symbols of the aligned-offset tree (the low 3 bits of an offset).
pub(super) const ALIGNED_SYMS: usize = 8;
/// Offset bits that aligned blocks entropy-code.
pub(super) const ALIGNED_BITS: u32 = 3;
/// Position slots of the largest window (2^21 bytes).
pub(super) const MAX_SLOTS: usize = 50;
/// Symbols of the main tree for the largest window.
pub(super) const MAX_MAIN_SYMS: usize = NUM_CHARS + MAX_SLOTS * NUM_LEN_HEADERS;

/// Longest codeword of the main and length trees.
pub(super) const MAX_CODE_LEN: u32 = 16;
/// Longest pretree codeword (its lengths are 4-bit fields).
pub(super) const MAX_PRE_LEN: u32 = 15;
/// Longest aligned-tree codeword (its lengths are 3-bit fields).
pub(super) const MAX_ALIGNED_LEN: u32 = 7;

/// Block types (§2.3.1.1); 0 and 4..=7 are invalid.
pub(super) const BLOCK_VERBATIM: u32 = 1;
pub(super) const BLOCK_ALIGNED: u32 = 2;
pub(super) const BLOCK_UNCOMPRESSED: u32 = 3;

/// Block size meant by a set "default size" bit. WIMGAPI (and wimlib) precede the size with
/// this one-bit flag instead of always writing 24 bits.
pub(super) const DEFAULT_BLOCK_SIZE: usize = 32768;

/// The "file size" of the E8 (x86 CALL) translation: always this value in WIM files, whatever
/// the real size of the chunk or the file.
pub(super) const E8_FILE_SIZE: i32 = 12_000_000;

/// Smallest and largest window orders (log2 of the window size).
pub(super) const MIN_WINDOW_ORDER: u32 = 15;
pub(super) const MAX_WINDOW_ORDER: u32 = 21;

/// Extra (footer) bits of each position slot: 0,0,0,0,1,1,2,2,... capped at 17.
pub(super) static EXTRA_BITS: [u8; MAX_SLOTS] = extra_bits_table();

/// First formatted offset (offset + 2) of each position slot, plus one past the last.
pub(super) static SLOT_BASE: [u32; MAX_SLOTS + 1] = slot_base_table();

const fn extra_bits_table() -> [u8; MAX_SLOTS] {
    let mut t = [0u8; MAX_SLOTS];
    let mut s = 4;
    while s < MAX_SLOTS {
        let e = s / 2 - 1;
        t[s] = if e > 17 { 17 } else { e as u8 };
        s += 1;
    }
    t
}

const fn slot_base_table() -> [u32; MAX_SLOTS + 1] {
    let extra = extra_bits_table();
    let mut t = [0u32; MAX_SLOTS + 1];
    let mut s = 0;
    while s < MAX_SLOTS {
        t[s + 1] = t[s] + (1u32 << extra[s]);
        s += 1;
    }
    t
}

/// The window order for a WIM chunk size: the size rounded up to a power of two, at least 2^15.
/// `None` for 0 or sizes above 2 MiB, which no LZX WIM uses.
pub(super) fn window_order(window_size: usize) -> Option<u32> {
    if window_size == 0 || window_size > 1 << MAX_WINDOW_ORDER {
        return None;
    }
    let order = window_size.next_power_of_two().trailing_zeros();
    Some(order.max(MIN_WINDOW_ORDER))
}

/// Position slots for a window order: enough slots to code the largest formatted offset,
/// `window - 3 + 2` (a match can not start at the very first byte and reach the last two).
/// 30 slots for 2^15, 32 for 2^16, ..., 42 for 2^20, 50 for 2^21 ([MS-PATCH] §2.3.2).
pub(super) fn num_slots(order: u32) -> usize {
    let max_formatted = (1u32 << order) - 1;
    let mut n = 0;
    while n < MAX_SLOTS && SLOT_BASE[n] <= max_formatted {
        n += 1;
    }
    n
}

/// Symbols of the main tree for a window order.
pub(super) fn num_main_syms(order: u32) -> usize {
    NUM_CHARS + num_slots(order) * NUM_LEN_HEADERS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_the_spec() {
        assert_eq!(&EXTRA_BITS[..10], &[0, 0, 0, 0, 1, 1, 2, 2, 3, 3]);
        assert_eq!(EXTRA_BITS[36], 17);
        assert_eq!(EXTRA_BITS[49], 17);
        assert_eq!(SLOT_BASE[30], 32768);
        assert_eq!(SLOT_BASE[36], 262_144);
        assert_eq!(SLOT_BASE[37], 393_216);
        assert_eq!(SLOT_BASE[38], 524_288);
        assert_eq!(SLOT_BASE[49], 1_966_080);
        assert_eq!(SLOT_BASE[50], 2_097_152);
    }

    #[test]
    fn slots_per_window() {
        assert_eq!(num_slots(15), 30);
        assert_eq!(num_slots(16), 32);
        assert_eq!(num_slots(17), 34);
        assert_eq!(num_slots(20), 42);
        assert_eq!(num_slots(21), 50);
        assert_eq!(num_main_syms(15), 496);
        assert_eq!(num_main_syms(21), MAX_MAIN_SYMS);
        assert_eq!(window_order(1), Some(15));
        assert_eq!(window_order(32768), Some(15));
        assert_eq!(window_order(32769), Some(16));
        assert_eq!(window_order(2 << 20), Some(21));
        assert_eq!(window_order((2 << 20) + 1), None);
        assert_eq!(window_order(0), None);
    }
}
