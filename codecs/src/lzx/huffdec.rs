//! Table-driven decoding of LZX's canonical Huffman codes.
//!
//! LZX transmits only codeword lengths; codes are canonical (assigned in order of length, then
//! symbol), read most significant bit first ([MS-PATCH] §2.4, "Huffman trees").
//! A lookup of the next `bits` bits in a primary table gives the symbol and its length
//! directly; longer codewords go through one second-level table per primary prefix, sized to
//! the codes below that prefix. Entry layout (`u32`):
//!
//! * symbol entry: `symbol << 8 | codeword length` (length 1..=16);
//! * link entry: `table start << 8 | SUBTABLE | index bits of the second-level table`;
//! * [`INVALID`] in the primary table, `0` in a second-level one: no codeword has this
//!   prefix (an incomplete code); decoding it is an error. The primary marker carries the
//!   link flag so that the common path tests a single bit.
//!
//! Over-subscribed length sets are rejected; incomplete ones (including the empty code) are
//! accepted, as real encoders emit them for unused trees.

use super::bitread::BitReader;

const SUBTABLE: u32 = 0x80;
const LEN_MASK: u32 = 0x1f;
/// A primary entry with no codeword: a link to a table of 0 index bits.
const INVALID: u32 = SUBTABLE;

/// A decode table whose primary level indexes `TB` bits.
#[derive(Debug)]
pub(super) struct DecodeTable<const TB: u32> {
    entries: Vec<u32>,
}

impl<const TB: u32> DecodeTable<TB> {
    pub(super) fn new() -> Self {
        DecodeTable {
            entries: vec![0; 1 << TB],
        }
    }

    /// Builds the table for the codeword lengths `lens` (each 0..=`max_len`, 0 = unused).
    pub(super) fn build(&mut self, lens: &[u8], max_len: u32) -> Result<(), &'static str> {
        const OVERSUBSCRIBED: &str = "over-subscribed Huffman code";
        let tb = TB;
        let mut count = [0u32; 17];
        for &l in lens {
            let l = u32::from(l);
            if l > max_len || l > 16 {
                return Err("Huffman codeword length out of range");
            }
            count[l as usize] += 1;
        }
        count[0] = 0;
        // Kraft inequality: over-subscribed codes can not be decoded.
        let mut left: i64 = 1;
        for &c in &count[1..=max_len as usize] {
            left = 2 * left - i64::from(c);
            if left < 0 {
                return Err(OVERSUBSCRIBED);
            }
        }
        // Symbols sorted by (length, symbol).
        let mut first = [0usize; 18];
        for l in 1..=16 {
            first[l + 1] = first[l] + count[l] as usize;
        }
        let mut sorted = [0u16; 1024];
        if lens.len() > sorted.len() {
            return Err("Huffman alphabet too large");
        }
        let mut next = first;
        for (sym, &l) in lens.iter().enumerate() {
            if l != 0 {
                sorted[next[l as usize]] = sym as u16;
                next[l as usize] += 1;
            }
        }

        self.entries.clear();
        self.entries.resize(1 << tb, INVALID);
        let mut remaining = count;
        let mut code: u32 = 0;
        let mut sub_prefix = u32::MAX;
        let mut sub_start = 0usize;
        let mut sub_bits = 0u32;
        let mut k = 0usize;
        for len in 1..=max_len {
            for _ in 0..count[len as usize] {
                let sym = u32::from(sorted[k]);
                k += 1;
                let entry = (sym << 8) | len;
                if len <= tb {
                    let start = (code << (tb - len)) as usize;
                    let n = 1usize << (tb - len);
                    self.entries
                        .get_mut(start..start + n)
                        .ok_or(OVERSUBSCRIBED)?
                        .fill(entry);
                } else {
                    let prefix = code >> (len - tb);
                    if prefix != sub_prefix {
                        // Size the new subtable: grow it until the codes still to place at
                        // the lengths it covers fill it (or the longest length is reached).
                        let mut cur = len - tb;
                        let mut room: i64 = 1 << cur;
                        while cur + tb < max_len {
                            room -= i64::from(remaining[(cur + tb) as usize]);
                            if room <= 0 {
                                break;
                            }
                            cur += 1;
                            room <<= 1;
                        }
                        sub_bits = cur;
                        sub_start = self.entries.len();
                        self.entries.resize(sub_start + (1 << sub_bits), 0);
                        *self
                            .entries
                            .get_mut(prefix as usize)
                            .ok_or(OVERSUBSCRIBED)? =
                            ((sub_start as u32) << 8) | SUBTABLE | sub_bits;
                        sub_prefix = prefix;
                    }
                    let extra = len - tb;
                    if extra > sub_bits {
                        return Err(OVERSUBSCRIBED);
                    }
                    let low = code & ((1 << extra) - 1);
                    let shift = sub_bits - extra;
                    let start = sub_start + ((low as usize) << shift);
                    let n = 1usize << shift;
                    self.entries
                        .get_mut(start..start + n)
                        .ok_or(OVERSUBSCRIBED)?
                        .fill(entry);
                }
                remaining[len as usize] -= 1;
                code += 1;
            }
            code <<= 1;
        }
        Ok(())
    }

    /// Decodes one symbol. The caller has buffered at least 16 bits (or the longest codeword).
    /// `None` for a bit pattern that is no codeword.
    #[inline(always)]
    pub(super) fn decode(&self, br: &mut BitReader<'_>) -> Option<u32> {
        let bits = br.peek_all();
        let mut e = self.entries[(bits >> (64 - TB)) as usize];
        if e & SUBTABLE != 0 {
            let sub = e & LEN_MASK;
            if sub == 0 {
                return None;
            }
            let idx = (e >> 8) as usize + ((bits << TB) >> (64 - sub)) as usize;
            e = *self.entries.get(idx)?;
            if e & LEN_MASK == 0 {
                return None;
            }
        }
        br.consume(e & LEN_MASK);
        Some(e >> 8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Canonical codes for `lens`, as (code, len) per symbol.
    fn canonical(lens: &[u8]) -> Vec<(u32, u32)> {
        let mut out = vec![(0, 0); lens.len()];
        let mut code = 0u32;
        for len in 1..=16u32 {
            for (s, &l) in lens.iter().enumerate() {
                if u32::from(l) == len {
                    out[s] = (code, len);
                    code += 1;
                }
            }
            code <<= 1;
        }
        out
    }

    /// Packs (code, len) pairs MSB-first into LZX 16-bit little-endian words.
    fn pack(codes: &[(u32, u32)]) -> Vec<u8> {
        let mut bits = Vec::new();
        for &(c, l) in codes {
            for i in (0..l).rev() {
                bits.push((c >> i) & 1);
            }
        }
        while bits.len() % 16 != 0 {
            bits.push(0);
        }
        let mut out = Vec::new();
        for w in bits.chunks(16) {
            let v = w.iter().fold(0u16, |a, &b| (a << 1) | b as u16);
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    fn roundtrip(lens: &[u8], tb: u32) {
        match tb {
            4 => roundtrip_tb::<4>(lens),
            5 => roundtrip_tb::<5>(lens),
            6 => roundtrip_tb::<6>(lens),
            7 => roundtrip_tb::<7>(lens),
            8 => roundtrip_tb::<8>(lens),
            _ => roundtrip_tb::<11>(lens),
        }
    }

    fn roundtrip_tb<const TB: u32>(lens: &[u8]) {
        let codes = canonical(lens);
        let syms: Vec<usize> = (0..lens.len()).filter(|&s| lens[s] != 0).collect();
        let stream: Vec<(u32, u32)> = syms
            .iter()
            .rev()
            .chain(syms.iter())
            .map(|&s| codes[s])
            .collect();
        let data = pack(&stream);
        let mut t = DecodeTable::<TB>::new();
        t.build(lens, 16).expect("valid code");
        let mut br = BitReader::new(&data);
        for &s in syms.iter().rev().chain(syms.iter()) {
            br.ensure(32);
            assert_eq!(t.decode(&mut br), Some(s as u32));
        }
    }

    #[test]
    fn decodes_short_and_long_codes() {
        // A complete code with lengths 1..=16 (two of length 16).
        let mut lens: Vec<u8> = (1..=16).collect();
        lens.push(16);
        for tb in [4, 6, 8, 11] {
            roundtrip(&lens, tb);
        }
        // 256 codes of length 8 through 1-bit subtables.
        roundtrip(&[8u8; 256], 7);
        // Mixed: 2 of length 2, then 64 of length 8, 128 of length 9 (complete).
        let mut lens = vec![2u8, 2];
        lens.extend(vec![8u8; 64]);
        lens.extend(vec![9u8; 128]);
        roundtrip(&lens, 5);
        roundtrip(&lens, 11);
    }

    #[test]
    fn incomplete_and_empty_codes() {
        let mut t = DecodeTable::<6>::new();
        t.build(&[0; 20], 15).expect("empty code is allowed");
        let data = [0u8; 8];
        let mut br = BitReader::new(&data);
        br.ensure(32);
        assert_eq!(t.decode(&mut br), None);
        // One symbol of length 1: "0" decodes, "1" does not.
        let mut lens = [0u8; 20];
        lens[5] = 1;
        t.build(&lens, 15).expect("incomplete code is allowed");
        let data = [0x00, 0x40, 0, 0];
        let mut br = BitReader::new(&data);
        br.ensure(32);
        assert_eq!(t.decode(&mut br), Some(5));
        assert_eq!(t.decode(&mut br), None);
        // Incomplete code with long codewords still decodes them.
        let mut lens = vec![0u8; 300];
        lens[0] = 1;
        lens[7] = 14;
        lens[299] = 16;
        roundtrip(&lens, 8);
    }

    #[test]
    fn oversubscribed_is_rejected() {
        let mut t = DecodeTable::<6>::new();
        assert!(t.build(&[1, 1, 1], 15).is_err());
        assert!(t.build(&[9; 513], 16).is_err());
        assert!(t.build(&[9; 512], 16).is_ok());
        assert!(t.build(&[2, 2, 2, 2, 3], 15).is_err());
    }
}
