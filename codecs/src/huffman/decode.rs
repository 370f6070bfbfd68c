//! Table-driven decoding of canonical Huffman codes.
//!
//! A lookup of the next `TB` bits in the primary table gives the symbol and its codeword length
//! directly; codewords longer than `TB` bits go through one second-level table per primary
//! prefix, sized to the codewords below that prefix. Entries (`u32`):
//!
//! * symbol: `symbol << 8 | codeword length` (1..=16);
//! * link (primary only): `start in the second-level area << 8 | SUBTABLE | its index bits`;
//! * [`INVALID`]: no codeword starts with these bits (an incomplete code): symbol 0xFFFF,
//!   above every alphabet, of length 1, so that decoders need no extra test on the common
//!   path: the range check they make anyway (literal or not, slot in range) rejects it.
//!
//! The table is built in one sequential pass: canonical codewords taken in (length, symbol)
//! order cover consecutive primary entries, so no entry is written twice and nothing needs
//! clearing first. Over-subscribed length sets are rejected; whether the code is complete is
//! reported, for formats that require it (XPRESS).

/// Link flag of a primary entry.
const SUBTABLE: u32 = 0x80;
/// Codeword length (symbol entries) or index bits (links).
const LEN_MASK: u32 = 0x1f;
/// The entry of a bit pattern that starts no codeword.
pub(crate) const INVALID: u32 = 0xFFFF << 8 | 1;
/// Longest codeword any of the formats uses.
const MAX_LEN: usize = 16;
/// Largest alphabet (LZMS offset slots: 799).
const MAX_SYMS: usize = 1024;

/// Largest primary table (bits).
const MAX_TB: usize = 12;
/// Entries of the primary table's array (of which the first `1 << TB` are used).
const PRIMARY: usize = 1 << MAX_TB;

/// A decode table whose primary level indexes `TB` bits; reused from code to code.
#[derive(Debug, Clone)]
pub(crate) struct DecodeTable<const TB: u32> {
    /// The primary table; only the first `1 << TB` entries are used. Its fixed size lets
    /// lookups go without a bounds check.
    primary: Box<[u32; 1 << MAX_TB]>,
    /// The second-level tables, one after the other.
    sub: Vec<u32>,
    /// Scratch: the symbols in canonical order (kept to save clearing it for every build).
    sorted: Box<[u16; MAX_SYMS]>,
}

impl<const TB: u32> DecodeTable<TB> {
    pub(crate) fn new() -> Self {
        const { assert!(TB >= 1 && TB as usize <= MAX_TB) };
        DecodeTable {
            primary: Box::new([0; 1 << MAX_TB]),
            sub: Vec::new(),
            sorted: Box::new([0; MAX_SYMS]),
        }
    }

    /// Makes this table a copy of `other` (cheaper than building it again).
    pub(crate) fn copy_from(&mut self, other: &Self) {
        let n = 1 << TB;
        self.primary[..n].copy_from_slice(&other.primary[..n]);
        self.sub.clear();
        self.sub.extend_from_slice(&other.sub);
    }

    /// Builds the table for codeword lengths `lens` (each 0..=`max_len` <= 16, 0 = unused).
    /// Returns whether the code is complete; over-subscribed codes are an error.
    pub(crate) fn build(&mut self, lens: &[u8], max_len: u32) -> Result<bool, &'static str> {
        const OVERSUBSCRIBED: &str = "over-subscribed Huffman code";
        let max = (max_len as usize).min(MAX_LEN);
        if lens.len() > MAX_SYMS {
            return Err("Huffman alphabet too large");
        }
        if usize::from(lens.iter().fold(0u8, |a, &l| a.max(l))) > max {
            return Err("Huffman codeword length out of range");
        }
        // Counted 8 at a time: large alphabets (LZX's main and length trees) are mostly unused
        // symbols, whose groups of zero lengths are skipped whole.
        // Indexes are masked to the array sizes (lengths are at most 16, positions below
        // MAX_SYMS: checked above), which spares the bounds checks in these loops.
        let mut count = [0u16; 32];
        let groups = lens.chunks_exact(8);
        let rest = groups.remainder();
        for g in groups {
            if u64::from_le_bytes([g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]]) == 0 {
                count[0] += 8;
            } else {
                for &l in g {
                    count[usize::from(l) & 31] += 1;
                }
            }
        }
        for &l in rest {
            count[usize::from(l) & 31] += 1;
        }
        // Kraft: `left` codewords of the current length are still free.
        let mut left: i32 = 1;
        for &c in &count[1..=max] {
            left = 2 * left - i32::from(c);
            if left < 0 {
                return Err(OVERSUBSCRIBED);
            }
        }
        self.fill(lens, &count, max)?;
        Ok(left == 0)
    }

    /// Builds the table for codeword lengths `lens` of which the caller knows the number of
    /// each length, `counts[len]` (lengths 1..=`max_len` <= 16), and that they make a prefix
    /// code (LZMS's adaptive codes, built from frequencies): [`DecodeTable::build`] without
    /// counting and checking. Inconsistent arguments give a wrong table or an error, never
    /// a panic.
    pub(crate) fn build_counted(
        &mut self,
        lens: &[u8],
        counts: &[u16],
        max_len: u32,
    ) -> Result<(), &'static str> {
        let max = (max_len as usize).min(MAX_LEN);
        if lens.len() > MAX_SYMS || counts.len() > max + 1 {
            return Err("Huffman alphabet too large");
        }
        let mut count = [0u16; 32];
        count[..counts.len()].copy_from_slice(counts);
        let used: u16 = count[1..=max].iter().fold(0u16, |a, &c| a.wrapping_add(c));
        count[0] = (lens.len() as u16).wrapping_sub(used);
        self.fill(lens, &count, max)
    }

    /// Sorts the symbols into canonical order and fills the tables, given the number of
    /// codewords of each length (`count[0]`: unused symbols).
    fn fill(&mut self, lens: &[u8], count: &[u16; 32], max: usize) -> Result<(), &'static str> {
        const OVERSUBSCRIBED: &str = "over-subscribed Huffman code";
        let tb = TB as usize;
        // Symbols in canonical order, by length then symbol; the unused ones of groups with used
        // ones after them (so that the sort needs no branch per symbol).
        let mut next = [0u16; 32];
        next[0] = (lens.len() as u16).wrapping_sub(count[0]);
        for l in 1..max {
            next[l + 1] = next[l].wrapping_add(count[l]);
        }
        let sorted = &mut self.sorted;
        for (base, g) in lens.chunks(8).enumerate() {
            if g.iter().all(|&l| l == 0) {
                continue;
            }
            for (i, &l) in g.iter().enumerate() {
                let slot = &mut next[usize::from(l) & 31];
                sorted[usize::from(*slot) & (MAX_SYMS - 1)] = (base * 8 + i) as u16;
                *slot += 1;
            }
        }

        let size = 1usize << tb;
        let e = &mut *self.primary;
        let sub = &mut self.sub;
        sub.clear();
        // Short codewords: consecutive runs of primary entries from the start.
        let mut k = 0usize;
        let mut cursor = 0usize;
        for (len, &c) in count.iter().enumerate().take(max.min(tb) + 1).skip(1) {
            let n = 1usize << (tb - len);
            let syms = sorted.get(k..k + usize::from(c)).ok_or(OVERSUBSCRIBED)?;
            if cursor + n * syms.len() > size {
                return Err(OVERSUBSCRIBED);
            }
            let entry = |sym: u16| u32::from(sym) << 8 | len as u32;
            // Plain index loops: `cursor` stays within the table (checked above), and the
            // indexes are masked to the array's size, which spares the bounds checks.
            let mut c = cursor;
            match n {
                1 => {
                    for &sym in syms {
                        e[c & (PRIMARY - 1)] = entry(sym);
                        c += 1;
                    }
                }
                2 => {
                    for &sym in syms {
                        let v = entry(sym);
                        let i = c & (PRIMARY - 2);
                        e[i] = v;
                        e[i + 1] = v;
                        c += 2;
                    }
                }
                _ => {
                    // Whole 16-byte stores (n is a power of two, at least 4).
                    for &sym in syms {
                        let v = entry(sym);
                        let stop = c + n;
                        while c < stop {
                            let i = c & (PRIMARY - 4);
                            e[i] = v;
                            e[i + 1] = v;
                            e[i + 2] = v;
                            e[i + 3] = v;
                            c += 4;
                        }
                    }
                }
            }
            cursor += n * syms.len();
            k += syms.len();
        }
        // Long codewords: `code` counts in units of the current length.
        let mut remaining = [0u16; MAX_LEN + 1];
        remaining.copy_from_slice(&count[..=MAX_LEN]);
        let mut code = cursor;
        let mut prefix_now = usize::MAX;
        let (mut sub_start, mut sub_bits) = (0usize, 0usize);
        for len in tb + 1..=max {
            code <<= 1;
            let syms = sorted
                .get(k..k + usize::from(count[len]))
                .ok_or(OVERSUBSCRIBED)?;
            for &sym in syms {
                let extra = len - tb;
                let prefix = code >> extra;
                if prefix != prefix_now {
                    // A new second-level table, large enough for every codeword still to
                    // place under this prefix (zlib's inflate_table sizing).
                    let mut bits = extra;
                    let mut room = 1i32 << bits;
                    while tb + bits < max {
                        room -= i32::from(remaining[tb + bits]);
                        if room <= 0 {
                            break;
                        }
                        bits += 1;
                        room <<= 1;
                    }
                    sub_start = sub.len();
                    sub_bits = bits;
                    sub.resize(sub_start + (1 << bits), INVALID);
                    *e.get_mut(prefix)
                        .filter(|_| prefix < size)
                        .ok_or(OVERSUBSCRIBED)? = (sub_start as u32) << 8 | SUBTABLE | bits as u32;
                    prefix_now = prefix;
                    cursor = prefix + 1;
                }
                let shift = sub_bits.checked_sub(extra).ok_or(OVERSUBSCRIBED)?;
                let start = sub_start + ((code & ((1 << extra) - 1)) << shift);
                sub.get_mut(start..start + (1 << shift))
                    .ok_or(OVERSUBSCRIBED)?
                    .fill(u32::from(sym) << 8 | len as u32);
                remaining[len] -= 1;
                code += 1;
            }
            k += usize::from(count[len]);
        }
        // No codeword starts with the remaining prefixes (incomplete codes only).
        if let Some(rest) = e.get_mut(cursor..size) {
            rest.fill(INVALID);
        }
        Ok(())
    }

    /// The entry for the codeword at the top of `bits` (left-aligned; at least the longest
    /// codeword's length of them valid): `symbol << 8 | length`, or [`INVALID`].
    #[inline(always)]
    pub(crate) fn lookup(&self, bits: u64) -> u32 {
        let e = self.primary[(bits >> (64 - TB)) as usize];
        if e & SUBTABLE == 0 {
            return e;
        }
        self.lookup_sub(e, bits)
    }

    /// The second-level lookup for a link entry `e`.
    #[inline(always)]
    fn lookup_sub(&self, e: u32, bits: u64) -> u32 {
        let sub = e & LEN_MASK;
        let idx = (e >> 8) as usize + ((bits << TB) >> (64 - sub)) as usize;
        self.sub.get(idx).copied().unwrap_or(INVALID)
    }
}

/// Codeword length of an entry.
#[inline(always)]
pub(crate) fn entry_len(e: u32) -> u32 {
    e & LEN_MASK
}

/// Codeword length of a symbol entry or [`INVALID`] for a shift that masks its count to 6
/// bits (`u64::wrapping_shl`): such entries have nothing in bits 5..=7 (`SUBTABLE` marks
/// links only), so their low 6 bits are the length and the shift needs no mask of its own.
#[inline(always)]
pub(crate) fn entry_shift(e: u32) -> u32 {
    debug_assert!(e & SUBTABLE == 0 && e & 63 == entry_len(e));
    e
}

/// Symbol of an entry.
#[inline(always)]
pub(crate) fn entry_sym(e: u32) -> usize {
    (e >> 8) as usize
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
