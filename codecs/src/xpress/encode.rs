//! The XPRESS Huffman encoder ([MS-XCA] 2.1): the literals and matches of a lazy parse
//! ([`super::lazy`]), then a length-limited canonical Huffman code over their symbols, the
//! 256-byte table of its lengths and the bit stream with the extra length bytes interleaved.
//!
//! Size and speed against wimlib (default level, same chunks, one run): docs/benchmarks.md,
//! "XPRESS/LZX compressors per core vs wimlib" (`codecs/bench/bench-compressors.sh`).
//! wimlib's decoder accepts every chunk of ours there and in `tests/compress_wimlib.rs`.

use super::effort::{Effort, FAST, NORMAL};
use super::item::Item;
use super::{BLOCK_SIZE, END_SYMBOL, MAX_CODE_LEN, NUM_SYMBOLS, TABLE_BYTES};
use crate::huffman::encode::{make_codes, make_lengths};

/// Compresses one chunk (<= 64 KiB). Returns None when the result would not be smaller than
/// the input (the WIM then stores the chunk raw), including for empty input and for input
/// longer than 64 KiB, which would need more than one Huffman block.
pub fn compress(input: &[u8]) -> Option<Vec<u8>> {
    compress_at::<{ NORMAL.depth }, { NORMAL.lazy_depth }, { NORMAL.nice }>(input)
}

/// [`compress`] at the given effort (`Effort::Normal` is [`compress`]).
pub fn compress_with(input: &[u8], effort: Effort) -> Option<Vec<u8>> {
    match effort {
        Effort::Normal => compress(input),
        Effort::Fast => compress_at::<{ FAST.depth }, { FAST.lazy_depth }, { FAST.nice }>(input),
    }
}

/// Compiled once per effort, with the parse's parameters ([`super::lazy::Params`]) constant.
fn compress_at<const DEPTH: u32, const LAZY_DEPTH: u32, const NICE: usize>(
    input: &[u8],
) -> Option<Vec<u8>> {
    if input.is_empty() || input.len() > BLOCK_SIZE {
        return None;
    }
    super::lazy::with_items::<DEPTH, LAZY_DEPTH, NICE, _>(input, |items, freq| {
        encode_counted(items, freq, input.len(), true)
    })
}

/// Writes `items` as one block: code length table, then the bit stream, then (if `end`) the
/// end-of-data symbol. Gives up with None once the output reaches `limit` bytes.
#[cfg(test)]
pub(super) fn encode_items(items: &[Item], limit: usize, end: bool) -> Option<Vec<u8>> {
    let mut freq = [0u32; NUM_SYMBOLS];
    for item in items {
        freq[item.symbol()] += 1;
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
    // Per symbol, its codeword shifted left past the offset bits that follow it (none for a
    // literal) and the count of both: a literal, or a match without length bytes, is then one
    // table load and one write whatever its kind.
    let mut table = [(0u32, 0u32); NUM_SYMBOLS];
    for (sym, (t, (&c, &l))) in table.iter_mut().zip(codes.iter().zip(&lens)).enumerate() {
        let extra = offset_bit_count(sym);
        *t = (c << extra, u32::from(l) + extra);
    }

    let mut w = BitWriter::new(limit.min(1 << 20));
    for (i, pair) in lens.chunks_exact(2).enumerate() {
        w.out[i] = pair[0] | pair[1] << 4;
    }
    // Room checked per item: one item adds at most 2 words of bits and 7 length bytes.
    let stop = limit.min(w.out.len() - ITEM_ROOM);
    for &item in items {
        if w.len >= stop {
            return None;
        }
        let (c, n) = table[item.symbol()];
        if !item.has_length_bytes() {
            w.bits(c | item.offset_bits(), n);
        } else {
            w.long_match(item, c, n);
        }
    }
    if end {
        let (c, n) = table[END_SYMBOL];
        // The end symbol is also the match header of log2(offset) 0: no offset bits.
        w.bits(c, n);
    }
    let out = w.finish();
    (out.len() < limit).then_some(out)
}

/// Offset bits that follow symbol `sym`: log2(offset) for a match header, none for a literal.
fn offset_bit_count(sym: usize) -> u32 {
    if sym < END_SYMBOL {
        0
    } else {
        ((sym >> 4) & 0xF) as u32
    }
}

/// Most bytes one item adds to the output: two 16-bit words of bits and 7 length bytes.
const ITEM_ROOM: usize = 16;

/// Writes 16-bit words MSB-first while raw length bytes go after the words a decoder has
/// already loaded: the word being filled and one more are reserved ahead of the raw bytes, and
/// a word is only closed once a bit beyond it is written (mirroring the 16..=31 bits of
/// lookahead of the reference decoder). Between raw bytes the words are contiguous, so the
/// writer lets up to 32 bits pend and stores two words at a time once a bit beyond them is
/// written; before raw bytes it closes the words as the rule says. The output buffer is sized up front (`len` bytes of it are
/// used); the caller stops before it can run out.
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

    /// Appends the low `n <= 31` bits of `v` (no bits above them set). (Bits above the 64
    /// the buffer holds fall off its top: only its low `count <= 32` bits matter.)
    #[inline(always)]
    fn bits(&mut self, v: u32, n: u32) {
        self.buf = (self.buf << n) | u64::from(v);
        self.count += n;
        if self.count > 32 {
            self.count -= 32;
            let first = (self.buf >> (self.count + 16)) as u16;
            let second = (self.buf >> self.count) as u16;
            self.put_word(self.cur_slot, first);
            self.put_word(self.next_slot, second);
            self.cur_slot = self.len;
            self.next_slot = self.len + 2;
            self.len += 4;
        }
    }

    #[inline(always)]
    fn put_word(&mut self, at: usize, word: u16) {
        if let Some(slot) = self.out.get_mut(at..at + 2) {
            slot.copy_from_slice(&word.to_le_bytes());
        }
    }

    /// Closes the words a decoder has loaded: at most 16 bits stay pending.
    #[inline(always)]
    fn close_words(&mut self) {
        while self.count > 16 {
            self.count -= 16;
            let word = (self.buf >> self.count) as u16;
            self.put_word(self.cur_slot, word);
            self.cur_slot = self.next_slot;
            self.next_slot = self.len;
            self.len += 2;
        }
    }

    /// A match with extra length bytes ([MS-XCA] 2.2.4): its symbol (codeword `c` shifted
    /// left past the offset bits, `n` bits with them), the length bytes, the offset bits.
    #[cold]
    #[inline(never)]
    fn long_match(&mut self, item: Item, c: u32, n: u32) {
        let extra = offset_bit_count(item.symbol());
        self.bits(c >> extra, n - extra);
        self.close_words();
        let l = item.length_minus_3();
        if l - 0xF < 0xFF {
            self.bytes(&[(l - 0xF) as u8]);
        } else if let Ok(l16) = u16::try_from(l) {
            let [lo, hi] = l16.to_le_bytes();
            self.bytes(&[0xFF, lo, hi]);
        } else {
            // Only reachable for matches longer than a WIM chunk ([MS-XCA] 2.2.4).
            let [a, b, c, d] = l.to_le_bytes();
            self.bytes(&[0xFF, 0, 0, a, b, c, d]);
        }
        self.bits(item.offset_bits(), extra);
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
        self.close_words();
        // The caller stops at `ITEM_ROOM` bytes before the end, so nothing was dropped.
        debug_assert!(self.len <= self.out.len(), "the output buffer overflowed");
        let word = (self.buf << (16 - self.count)) as u16;
        self.put_word(self.cur_slot, word);
        self.out.truncate(self.len);
        self.out
    }
}
