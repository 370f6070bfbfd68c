//! The XPRESS Huffman encoder ([MS-XCA] 2.1): the literals and matches of a lazy parse
//! ([`super::lazy`]), then a length-limited canonical Huffman code over their symbols, the
//! 256-byte table of its lengths and the bit stream with the extra length bytes interleaved.
//!
//! Size and speed against wimlib (default level, same chunks, one run): docs/benchmarks.md,
//! "XPRESS/LZX compressors per core vs wimlib" (`codecs/bench/bench-compressors.sh`).
//! wimlib's decoder accepts every chunk of ours there and in `tests/compress_wimlib.rs`.

use super::lazy::Item;
use super::{BLOCK_SIZE, END_SYMBOL, MAX_CODE_LEN, MIN_MATCH, NUM_SYMBOLS, TABLE_BYTES};
use crate::huffman::encode::{make_codes, make_lengths};

/// Compresses one chunk (<= 64 KiB). Returns None when the result would not be smaller than
/// the input (the WIM then stores the chunk raw), including for empty input and for input
/// longer than 64 KiB, which would need more than one Huffman block.
pub fn compress(input: &[u8]) -> Option<Vec<u8>> {
    if input.is_empty() || input.len() > BLOCK_SIZE {
        return None;
    }
    super::lazy::with_items(input, |items| encode_items(items, input.len(), true))
}

/// Writes `items` as one block: code length table, then the bit stream, then (if `end`) the
/// end-of-data symbol. Gives up with None once the output reaches `limit` bytes.
pub(super) fn encode_items(items: &[Item], limit: usize, end: bool) -> Option<Vec<u8>> {
    let mut freq = [0u32; NUM_SYMBOLS];
    for item in items {
        freq[symbol_of(*item)] += 1;
    }
    if end {
        freq[END_SYMBOL] += 1;
    }
    let mut lens = [0u8; NUM_SYMBOLS];
    make_lengths(&freq, MAX_CODE_LEN, &mut lens);
    let mut codes = [0u32; NUM_SYMBOLS];
    make_codes(&lens, &mut codes);

    let mut w = BitWriter::new(limit.min(1 << 20));
    for (i, pair) in lens.chunks_exact(2).enumerate() {
        w.out[i] = pair[0] | pair[1] << 4;
    }
    for item in items {
        let (length, offset) = match *item {
            Item::Literal(b) => {
                let s = usize::from(b);
                w.bits(codes[s], u32::from(lens[s]));
                continue;
            }
            Item::Match { length, offset } => (length, offset),
        };
        let sym = symbol_of(*item);
        let log2 = 31 - offset.leading_zeros();
        let l = length as usize - MIN_MATCH;
        if l < 0xF {
            // Symbol and offset bits in one go (no length bytes in between).
            let n = u32::from(lens[sym]);
            w.bits(codes[sym] << log2 | (offset - (1 << log2)), n + log2);
            continue;
        }
        w.bits(codes[sym], u32::from(lens[sym]));
        if l - 0xF < 0xFF {
            w.out.push((l - 0xF) as u8);
        } else if let Ok(l16 @ 0xF..) = u16::try_from(l) {
            w.out.push(0xFF);
            w.out.extend_from_slice(&l16.to_le_bytes());
        } else {
            // Only reachable for matches longer than a WIM chunk ([MS-XCA] 2.2.4).
            w.out.extend_from_slice(&[0xFF, 0, 0]);
            w.out.extend_from_slice(&(l as u32).to_le_bytes());
        }
        w.bits(offset - (1 << log2), log2);
        if w.out.len() >= limit {
            return None;
        }
    }
    if end {
        w.bits(codes[END_SYMBOL], u32::from(lens[END_SYMBOL]));
    }
    let out = w.finish();
    (out.len() < limit).then_some(out)
}

fn symbol_of(item: Item) -> usize {
    match item {
        Item::Literal(b) => usize::from(b),
        Item::Match { length, offset } => {
            let log2 = 31 - offset.leading_zeros() as usize;
            END_SYMBOL + (log2 << 4 | (length as usize - MIN_MATCH).min(0xF))
        }
    }
}

/// Writes 16-bit words MSB-first while raw length bytes go after the words a decoder has
/// already loaded: the word being filled and one more are reserved ahead of the raw bytes, and
/// a word is only closed once a bit beyond it is written (mirroring the 16..=31 bits of
/// lookahead of the reference decoder).
struct BitWriter {
    out: Vec<u8>,
    cur_slot: usize,
    next_slot: usize,
    buf: u64,
    count: u32,
}

impl BitWriter {
    fn new(input_len: usize) -> Self {
        let mut out = Vec::with_capacity(input_len + 8);
        out.resize(TABLE_BYTES + 4, 0);
        Self {
            out,
            cur_slot: TABLE_BYTES,
            next_slot: TABLE_BYTES + 2,
            buf: 0,
            count: 0,
        }
    }

    /// Appends the low `n <= 31` bits of `v`. (Bits above the 32 pending ones fall off the
    /// top of `buf`: only its low `count` bits matter.)
    #[inline(always)]
    fn bits(&mut self, v: u32, n: u32) {
        self.buf = (self.buf << n) | u64::from(v);
        self.count += n;
        while self.count > 16 {
            self.count -= 16;
            let word = (self.buf >> self.count) as u16;
            if let Some(slot) = self.out.get_mut(self.cur_slot..self.cur_slot + 2) {
                slot.copy_from_slice(&word.to_le_bytes());
            }
            self.cur_slot = self.next_slot;
            self.next_slot = self.out.len();
            self.out.extend_from_slice(&[0, 0]);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        let word = (self.buf << (16 - self.count)) as u16;
        self.out[self.cur_slot..self.cur_slot + 2].copy_from_slice(&word.to_le_bytes());
        self.out
    }
}
