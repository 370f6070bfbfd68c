//! LZMS constants and the offset/length slot tables.
//!
//! The slot tables are not stored: they are generated at compile time from the number of extra
//! bits per slot, given as runs (`(extra bits, number of slots)`), with each slot's base equal
//! to the previous base plus `1 << previous extra bits`, starting at 1. The runs reproduce the
//! tables wimlib documents in `lzms_common.c`; unit tests pin spot values.

/// Literal alphabet size.
pub(super) const NUM_LITERAL_SYMS: usize = 256;
/// Length-slot alphabet size.
pub(super) const NUM_LENGTH_SYMS: usize = 54;
/// Delta-power alphabet size (spans 2^0..2^7).
pub(super) const NUM_DELTA_POWER_SYMS: usize = 8;
/// Largest offset-slot alphabet (for the largest possible buffer).
pub(super) const MAX_NUM_OFFSET_SYMS: usize = 799;
/// Longest Huffman codeword LZMS can produce.
pub(super) const MAX_CODEWORD_LEN: usize = 15;

/// How many symbols a code decodes between two rebuilds.
pub(super) const LITERAL_REBUILD_FREQ: u32 = 1024;
pub(super) const LZ_OFFSET_REBUILD_FREQ: u32 = 1024;
pub(super) const LENGTH_REBUILD_FREQ: u32 = 512;
pub(super) const DELTA_OFFSET_REBUILD_FREQ: u32 = 1024;
pub(super) const DELTA_POWER_REBUILD_FREQ: u32 = 512;

/// Number of states (hence probability entries) of each binary decision class.
pub(super) const NUM_MAIN_STATES: usize = 16;
pub(super) const NUM_MATCH_STATES: usize = 32;
pub(super) const NUM_LZ_STATES: usize = 64;
pub(super) const NUM_LZ_REP_STATES: usize = 64;
pub(super) const NUM_DELTA_STATES: usize = 64;
pub(super) const NUM_DELTA_REP_STATES: usize = 64;

/// The x86 filter: a reference to the same 16-bit target within this many bytes marks code.
pub(super) const X86_ID_WINDOW_SIZE: i64 = 65535;
/// The x86 filter: how far past the last likely instruction translation stays enabled.
pub(super) const X86_MAX_TRANSLATION_OFFSET: i64 = 1023;

const OFFSET_EXTRA_BITS_RUNS: [(u8, u16); 21] = [
    (0, 8),
    (2, 9),
    (3, 7),
    (4, 10),
    (5, 15),
    (6, 15),
    (7, 20),
    (8, 20),
    (9, 30),
    (10, 33),
    (11, 40),
    (12, 42),
    (13, 45),
    (14, 60),
    (15, 73),
    (16, 80),
    (17, 85),
    (18, 95),
    (19, 105),
    (20, 6),
    (30, 1),
];

const LENGTH_EXTRA_BITS_RUNS: [(u8, u16); 13] = [
    (0, 26),
    (1, 4),
    (2, 6),
    (3, 4),
    (4, 5),
    (5, 2),
    (6, 1),
    (7, 1),
    (8, 1),
    (9, 1),
    (10, 1),
    (16, 1),
    (30, 1),
];

/// Expands runs into per-slot extra bits and bases.
const fn expand<const N: usize, const R: usize>(runs: [(u8, u16); R]) -> ([u8; N], [u32; N]) {
    let mut extra = [0u8; N];
    let mut slot = 0;
    let mut r = 0;
    while r < R {
        let (bits, count) = runs[r];
        let mut k = 0;
        while k < count {
            extra[slot] = bits;
            slot += 1;
            k += 1;
        }
        r += 1;
    }
    assert!(slot == N);
    let mut base = [0u32; N];
    base[0] = 1;
    let mut s = 1;
    while s < N {
        base[s] = base[s - 1] + (1u32 << extra[s - 1]);
        s += 1;
    }
    (extra, base)
}

const OFFSET_SLOTS: ([u8; MAX_NUM_OFFSET_SYMS], [u32; MAX_NUM_OFFSET_SYMS]) =
    expand(OFFSET_EXTRA_BITS_RUNS);
const LENGTH_SLOTS: ([u8; NUM_LENGTH_SYMS], [u32; NUM_LENGTH_SYMS]) =
    expand(LENGTH_EXTRA_BITS_RUNS);

/// Offset slot => number of extra bits.
pub(super) const OFFSET_EXTRA_BITS: [u8; MAX_NUM_OFFSET_SYMS] = OFFSET_SLOTS.0;
/// Offset slot => smallest offset of the slot.
pub(super) const OFFSET_SLOT_BASE: [u32; MAX_NUM_OFFSET_SYMS] = OFFSET_SLOTS.1;
/// Length slot => number of extra bits.
pub(super) const LENGTH_EXTRA_BITS: [u8; NUM_LENGTH_SYMS] = LENGTH_SLOTS.0;
/// Length slot => smallest length of the slot.
pub(super) const LENGTH_SLOT_BASE: [u32; NUM_LENGTH_SYMS] = LENGTH_SLOTS.1;

/// Number of offset slots (so of LZ- and delta-offset symbols) for a buffer of `size` bytes:
/// enough slots to code every offset up to `size - 1`. Zero for buffers under 2 bytes.
pub(super) fn num_offset_slots(size: usize) -> usize {
    if size < 2 {
        return 0;
    }
    let largest = u32::try_from(size - 1).unwrap_or(u32::MAX);
    // Slots whose base is <= the largest offset; bases increase strictly.
    OFFSET_SLOT_BASE.partition_point(|&b| b <= largest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_tables_match_the_format() {
        // Spot values of the tables in wimlib's lzms_common.c.
        assert_eq!(OFFSET_SLOT_BASE[8], 0x9);
        assert_eq!(OFFSET_SLOT_BASE[9], 0xd);
        assert_eq!(OFFSET_SLOT_BASE[100], 0x20a5);
        assert_eq!(OFFSET_SLOT_BASE[400], 0x003064a5);
        assert_eq!(OFFSET_SLOT_BASE[798], 0x065be4a5);
        assert_eq!(OFFSET_EXTRA_BITS[798], 30);
        // One past the largest offset: LZMS_MAX_MATCH_OFFSET + 1.
        assert_eq!(OFFSET_SLOT_BASE[798] + (1 << 30), 1_180_427_429);
        assert_eq!(LENGTH_SLOT_BASE[26], 0x1b);
        assert_eq!(LENGTH_SLOT_BASE[47], 0xeb);
        assert_eq!(LENGTH_SLOT_BASE[53], 0x108ab);
        assert_eq!(LENGTH_SLOT_BASE[53] + (1 << 30), 1_073_809_579);
    }

    #[test]
    fn offset_slot_counts() {
        assert_eq!(num_offset_slots(0), 0);
        assert_eq!(num_offset_slots(1), 0);
        assert_eq!(num_offset_slots(2), 1);
        assert_eq!(num_offset_slots(9), 8);
        assert_eq!(num_offset_slots(10), 9);
        assert_eq!(num_offset_slots(0xe), 10);
        assert_eq!(num_offset_slots(131_072), 203);
        assert_eq!(num_offset_slots(1 << 26), 729);
        assert_eq!(num_offset_slots(usize::MAX), MAX_NUM_OFFSET_SYMS);
    }
}
