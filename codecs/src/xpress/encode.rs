//! The XPRESS Huffman encoder ([MS-XCA] 2.1): hash-chain LZ77 match finding with one-step lazy
//! evaluation, then a length-limited canonical Huffman code over the parsed symbols.
//!
//! Measured against wimlib 1.13.5 (`wimlib-imagex capture --compress=xpress`, default level,
//! 32 KiB chunks) on the same chunks (`xpress_ratio_vs_wimlib` in `tests/xpress_vectors.rs`):
//! - text, 1413 files of /usr/share/doc (49 MB, 2291 chunks): wimlib 24.41 %, ours 24.50 %;
//! - /usr/lib shared libraries (103 MB, 3185 chunks): wimlib 41.20 %, ours 41.34 %;
//!
//! at about 70 MB/s (text) and 40 MB/s (binaries) of CPU time here, against wimlib's ~95 and
//! ~80 MB/s. wimlib-imagex verify/apply accept WIMs rebuilt from our chunks
//! (`tests/codec_vectors/reencode_wim.py`).

use super::{
    BLOCK_SIZE, END_SYMBOL, MAX_CODE_LEN, MAX_OFFSET, MIN_MATCH, NUM_SYMBOLS, TABLE_BYTES,
};
use crate::huffman::encode::{make_codes, make_lengths};

const HASH_BITS: u32 = 15;
/// Chain links followed per position.
const MAX_CHAIN: u32 = 32;
/// A match this long ends the chain walk.
const NICE_LENGTH: usize = 64;
/// A match this long is taken without trying the next position (lazy evaluation).
const LAZY_LENGTH: usize = 32;
/// Once a match this long waits for lazy evaluation, the next position's walk is shortened.
const GOOD_LENGTH: usize = 16;
/// Length-3 matches farther than this cost more than three literals.
const MAX_OFFSET_LEN3: usize = 4096;
const NONE: u32 = u32::MAX;

/// One parsed step: a literal byte, or a match (`3 <= length`, `1 <= offset <= 65535`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Item {
    Literal(u8),
    Match { length: u32, offset: u32 },
}

/// Compresses one chunk (<= 64 KiB). Returns None when the result would not be smaller than
/// the input (the WIM then stores the chunk raw), including for empty input and for input
/// longer than 64 KiB, which would need more than one Huffman block.
pub fn compress(input: &[u8]) -> Option<Vec<u8>> {
    if input.is_empty() || input.len() > BLOCK_SIZE {
        return None;
    }
    encode_items(&parse(input), input.len(), true)
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
        let sym = symbol_of(*item);
        w.bits(codes[sym], u32::from(lens[sym]));
        if let Item::Match { length, offset } = *item {
            let l = length as usize - MIN_MATCH;
            if l >= 0xF {
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
            }
            let log2 = 31 - offset.leading_zeros();
            w.bits(offset - (1 << log2), log2);
        }
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

/// Hash chains over 3-byte prefixes; positions are chunk offsets (< 64 Ki).
struct Chains {
    head: Vec<u32>,
    prev: Vec<u32>,
}

impl Chains {
    fn hash(data: &[u8], pos: usize) -> usize {
        let v =
            u32::from(data[pos]) | u32::from(data[pos + 1]) << 8 | u32::from(data[pos + 2]) << 16;
        (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
    }

    /// Inserts `pos` (which must have 3 bytes after it) and returns the best earlier match.
    fn insert_and_find(&mut self, data: &[u8], pos: usize, max_chain: u32) -> (usize, usize) {
        let h = Self::hash(data, pos);
        let mut cand = self.head[h];
        self.head[h] = pos as u32;
        self.prev[pos] = cand;
        let max_len = data.len() - pos;
        let (mut best_len, mut best_off) = (0usize, 0usize);
        let mut chain = max_chain;
        while cand != NONE && chain > 0 {
            let c = cand as usize;
            let off = pos - c;
            if off > MAX_OFFSET {
                break;
            }
            if best_len < max_len && data[c + best_len] == data[pos + best_len] {
                let len = match_len(data, c, pos, max_len);
                if len > best_len && (len > MIN_MATCH || off <= MAX_OFFSET_LEN3) {
                    best_len = len;
                    best_off = off;
                    if len >= NICE_LENGTH || len == max_len {
                        break;
                    }
                }
            }
            cand = self.prev[c];
            chain -= 1;
        }
        (best_len, best_off)
    }

    fn insert(&mut self, data: &[u8], pos: usize) {
        let h = Self::hash(data, pos);
        self.prev[pos] = self.head[h];
        self.head[h] = pos as u32;
    }
}

/// Length of the common prefix of `data[a..]` and `data[b..]` (`a < b`), at most `max`.
fn match_len(data: &[u8], a: usize, b: usize, max: usize) -> usize {
    let mut n = 0;
    while n + 8 <= max {
        let (x, y) = (&data[a + n..a + n + 8], &data[b + n..b + n + 8]);
        let mut xa = [0u8; 8];
        let mut ya = [0u8; 8];
        xa.copy_from_slice(x);
        ya.copy_from_slice(y);
        let diff = u64::from_le_bytes(xa) ^ u64::from_le_bytes(ya);
        if diff != 0 {
            return n + (diff.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    while n < max && data[a + n] == data[b + n] {
        n += 1;
    }
    n
}

/// Greedy parsing with one position of lazy lookahead.
fn parse(data: &[u8]) -> Vec<Item> {
    let n = data.len();
    let mut chains = Chains {
        head: vec![NONE; 1 << HASH_BITS],
        prev: vec![NONE; n],
    };
    let mut items = Vec::with_capacity(n / 2);
    // A match found at `pos - 1`, waiting to see whether `pos` has a longer one.
    let mut pending: Option<(usize, usize)> = None;
    let mut pos = 0;
    while pos < n {
        let max_chain = match pending {
            Some((plen, _)) if plen >= GOOD_LENGTH => MAX_CHAIN / 4,
            _ => MAX_CHAIN,
        };
        let (len, off) = if pos + MIN_MATCH <= n {
            chains.insert_and_find(data, pos, max_chain)
        } else {
            (0, 0)
        };
        match pending {
            Some((plen, _)) if len > plen => {
                items.push(Item::Literal(data[pos - 1]));
                pending = Some((len, off));
                pos += 1;
            }
            Some((plen, poff)) => {
                items.push(Item::Match {
                    length: plen as u32,
                    offset: poff as u32,
                });
                let end = pos - 1 + plen;
                for p in pos + 1..end.min(n.saturating_sub(MIN_MATCH - 1)) {
                    chains.insert(data, p);
                }
                pending = None;
                pos = end;
            }
            None if len >= MIN_MATCH => {
                if len >= LAZY_LENGTH {
                    items.push(Item::Match {
                        length: len as u32,
                        offset: off as u32,
                    });
                    for p in pos + 1..(pos + len).min(n.saturating_sub(MIN_MATCH - 1)) {
                        chains.insert(data, p);
                    }
                    pos += len;
                } else {
                    pending = Some((len, off));
                    pos += 1;
                }
            }
            None => {
                items.push(Item::Literal(data[pos]));
                pos += 1;
            }
        }
    }
    if let Some((plen, poff)) = pending {
        items.push(Item::Match {
            length: plen as u32,
            offset: poff as u32,
        });
    }
    items
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

    /// Appends the low `n <= 16` bits of `v`.
    fn bits(&mut self, v: u32, n: u32) {
        self.buf = (self.buf << n) | u64::from(v);
        self.count += n;
        if self.count > 16 {
            self.count -= 16;
            let word = (self.buf >> self.count) as u16;
            self.out[self.cur_slot..self.cur_slot + 2].copy_from_slice(&word.to_le_bytes());
            self.cur_slot = self.next_slot;
            self.next_slot = self.out.len();
            self.out.extend_from_slice(&[0, 0]);
            self.buf &= (1 << self.count) - 1;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        let word = (self.buf << (16 - self.count)) as u16;
        self.out[self.cur_slot..self.cur_slot + 2].copy_from_slice(&word.to_le_bytes());
        self.out
    }
}
