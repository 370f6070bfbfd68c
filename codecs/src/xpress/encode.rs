//! The XPRESS Huffman encoder ([MS-XCA] 2.1): the literals and matches of a lazy parse
//! ([`super::lazy`]), then a length-limited canonical Huffman code over their symbols, the
//! 256-byte table of its lengths and the bit stream with the extra length bytes interleaved.
//!
//! Size and speed against wimlib (default level, same chunks, one run): docs/benchmarks.md,
//! "XPRESS/LZX compressors per core vs wimlib" (`codecs/bench/bench-compressors.sh`).
//! wimlib's decoder accepts every chunk of ours there and in `tests/compress_wimlib.rs`.

use super::lazy::{symbol_of, Item};
use super::{BLOCK_SIZE, END_SYMBOL, MAX_CODE_LEN, MIN_MATCH, NUM_SYMBOLS, TABLE_BYTES};
use crate::huffman::encode::{make_codes, make_lengths};

/// Compresses one chunk (<= 64 KiB). Returns None when the result would not be smaller than
/// the input (the WIM then stores the chunk raw), including for empty input and for input
/// longer than 64 KiB, which would need more than one Huffman block.
pub fn compress(input: &[u8]) -> Option<Vec<u8>> {
    if input.is_empty() || input.len() > BLOCK_SIZE {
        return None;
    }
    super::lazy::with_items(input, |items, freq| {
        encode_counted(items, freq, input.len(), true)
    })
}

/// Writes `items` as one block: code length table, then the bit stream, then (if `end`) the
/// end-of-data symbol. Gives up with None once the output reaches `limit` bytes.
#[cfg(test)]
pub(super) fn encode_items(items: &[Item], limit: usize, end: bool) -> Option<Vec<u8>> {
    let mut freq = [0u32; NUM_SYMBOLS];
    for item in items {
        freq[symbol_of(*item)] += 1;
    }
    encode_counted(items, &freq, limit, end)
}

/// [`encode_items`] with the symbol counts of `items` (`freq`, without the end symbol) known.
fn encode_counted(
    items: &[Item],
    freq: &[u32; NUM_SYMBOLS],
    limit: usize,
    end: bool,
) -> Option<Vec<u8>> {
    let mut freq = *freq;
    if end {
        freq[END_SYMBOL] += 1;
    }
    let mut lens = [0u8; NUM_SYMBOLS];
    make_lengths(&freq, MAX_CODE_LEN, &mut lens);
    let mut codes = [0u32; NUM_SYMBOLS];
    make_codes(&lens, &mut codes);
    // Symbol and length in one table: the writer loads one entry per symbol.
    let mut table = [(0u32, 0u32); NUM_SYMBOLS];
    for (t, (&c, &l)) in table.iter_mut().zip(codes.iter().zip(&lens)) {
        *t = (c, u32::from(l));
    }

    let mut w = BitWriter::new(limit.min(1 << 20));
    for (i, pair) in lens.chunks_exact(2).enumerate() {
        w.out[i] = pair[0] | pair[1] << 4;
    }
    // Room checked per item: one item adds at most 2 words of bits and 7 length bytes.
    let stop = limit.min(w.out.len() - ITEM_ROOM);
    for item in items {
        if w.len >= stop {
            return None;
        }
        let (length, offset) = match *item {
            Item::Literal(b) => {
                let (c, n) = table[usize::from(b)];
                w.bits(c, n);
                continue;
            }
            Item::Match { length, offset } => (length, offset),
        };
        let sym = symbol_of(*item);
        let log2 = 31 - offset.leading_zeros();
        let l = length as usize - MIN_MATCH;
        let (c, n) = table[sym];
        if l < 0xF {
            // Symbol and offset bits in one go (no length bytes in between).
            w.bits(c << log2 | (offset - (1 << log2)), n + log2);
            continue;
        }
        w.bits(c, n);
        if l - 0xF < 0xFF {
            w.bytes(&[(l - 0xF) as u8]);
        } else if let Ok(l16 @ 0xF..) = u16::try_from(l) {
            let [lo, hi] = l16.to_le_bytes();
            w.bytes(&[0xFF, lo, hi]);
        } else {
            // Only reachable for matches longer than a WIM chunk ([MS-XCA] 2.2.4).
            let [a, b, c, d] = (l as u32).to_le_bytes();
            w.bytes(&[0xFF, 0, 0, a, b, c, d]);
        }
        w.bits(offset - (1 << log2), log2);
    }
    if end {
        let (c, n) = table[END_SYMBOL];
        w.bits(c, n);
    }
    let out = w.finish();
    (out.len() < limit).then_some(out)
}

/// Most bytes one item adds to the output: two 16-bit words of bits and 7 length bytes.
const ITEM_ROOM: usize = 16;

/// Writes 16-bit words MSB-first while raw length bytes go after the words a decoder has
/// already loaded: the word being filled and one more are reserved ahead of the raw bytes, and
/// a word is only closed once a bit beyond it is written (mirroring the 16..=31 bits of
/// lookahead of the reference decoder). The output buffer is sized up front (`len` bytes of
/// it are used); the caller stops before it can run out.
struct BitWriter {
    out: Vec<u8>,
    len: usize,
    cur_slot: usize,
    next_slot: usize,
    buf: u64,
    count: u32,
}

impl BitWriter {
    fn new(input_len: usize) -> Self {
        Self {
            out: vec![0; TABLE_BYTES + input_len + 4 * ITEM_ROOM],
            len: TABLE_BYTES + 4,
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
            self.next_slot = self.len;
            self.len += 2;
        }
    }

    /// Appends raw bytes after the reserved words.
    #[inline(always)]
    fn bytes(&mut self, b: &[u8]) {
        if let Some(dst) = self.out.get_mut(self.len..self.len + b.len()) {
            dst.copy_from_slice(b);
        }
        self.len += b.len();
    }

    fn finish(mut self) -> Vec<u8> {
        // The caller stops at `ITEM_ROOM` bytes before the end, so nothing was dropped.
        debug_assert!(self.len <= self.out.len(), "the output buffer overflowed");
        let word = (self.buf << (16 - self.count)) as u16;
        self.out[self.cur_slot..self.cur_slot + 2].copy_from_slice(&word.to_le_bytes());
        self.out.truncate(self.len);
        self.out
    }
}
