//! Delta match finder for the near-optimal parse.
//!
//! A delta match with span `s = 2^power` and offset `o = raw * s` reproduces the differences
//! `data[i] - data[i - s]` of the bytes `o` back (`delta` describes the decoding), which is
//! what tables of fixed-size records with counting fields have. For each span tried, a
//! table remembers the last position whose next 4 differences (and position modulo the span,
//! so that offsets come out as multiples of it) hash alike. A search looks up each span's
//! candidate, measures how far the differences agree, and replaces the entry.

use std::cell::Cell;

use crate::prefetch::prefetch;

thread_local! {
    /// The table of the thread's last finder, reused by its next one. A fresh table for each
    /// chunk would be fresh zero pages from the allocator: the first store to each page then
    /// replaces the shared zero page, a fault whose TLB flush interrupts the other threads
    /// too (22% of a non-solid LZMS commit's samples were these faults).
    static SPARE_TABLE: Cell<Vec<u32>> = const { Cell::new(Vec::new()) };
}

/// Spans tried: 2^0..2^5. On 24 MiB of x86-64 shared libraries in 128 KiB chunks, delta
/// matches with all 8 spans make the output 6.8% smaller (and the parse 2.3 times slower);
/// these 6 spans lose 0.03% of that in 0.84x the time.
const POWERS: usize = 6;

/// Shortest delta match reported.
pub(super) const MIN_DELTA_LEN: usize = 4;

/// A delta match: span `2^power`, offset `raw << power`, `len` bytes.
#[derive(Debug, Clone, Copy)]
pub(super) struct DeltaMatch {
    pub(super) power: u32,
    pub(super) raw: u32,
    pub(super) len: u32,
}

/// No slot (the position has no 4 differences for this span).
const NO_SLOT: u32 = u32::MAX;

#[derive(Debug)]
pub(super) struct DeltaFinder {
    bits: u32,
    /// Per span, `1 << bits` entries: a position + 1 (0: none).
    table: Vec<u32>,
    /// The slots of position `next_pos`, computed (and their lines prefetched) while the
    /// position before it was looked up: the table is too large for the cache.
    next_pos: usize,
    next_slots: [u32; POWERS],
}

/// `data[i] - data[i - s]`.
#[inline(always)]
fn diff(data: &[u8], i: usize, s: usize) -> u8 {
    data[i].wrapping_sub(data[i - s])
}

/// The 8 bytes at `i`, little-endian.
#[inline(always)]
fn word(data: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(data[i..i + 8].try_into().unwrap_or_default())
}

/// `a - b` byte by byte (no borrows across bytes).
#[inline(always)]
fn sub_bytes(a: u64, b: u64) -> u64 {
    const H: u64 = 0x8080_8080_8080_8080;
    ((a | H) - (b & !H)) ^ ((a ^ !b) & H)
}

/// How many of the differences (span `s`) at `p` and at `c` agree, at most `max` (`c < p`,
/// `c >= s`, `p + max <= data.len()`): 8 at a time while 8 bytes remain, then one by one.
#[inline(always)]
fn delta_len(data: &[u8], p: usize, c: usize, s: usize, max: usize) -> usize {
    let mut len = 0;
    while len + 8 <= max {
        let x = sub_bytes(word(data, p + len), word(data, p + len - s))
            ^ sub_bytes(word(data, c + len), word(data, c + len - s));
        if x != 0 {
            return len + (x.trailing_zeros() / 8) as usize;
        }
        len += 8;
    }
    while len < max && diff(data, p + len, s) == diff(data, c + len, s) {
        len += 1;
    }
    len
}

impl Drop for DeltaFinder {
    fn drop(&mut self) {
        SPARE_TABLE.set(std::mem::take(&mut self.table));
    }
}

impl DeltaFinder {
    pub(super) fn new(n: usize) -> Self {
        let bits = (usize::BITS - n.max(1).leading_zeros())
            .saturating_sub(2)
            .clamp(8, 16);
        DeltaFinder {
            bits,
            table: {
                let mut table = SPARE_TABLE.take();
                table.clear();
                table.resize(POWERS << bits, 0);
                table
            },
            next_pos: usize::MAX,
            next_slots: [NO_SLOT; POWERS],
        }
    }

    /// The slots of `p` (each span's, or [`NO_SLOT`]), from the look-ahead if it has them;
    /// computes and prefetches those of `p + 1`.
    #[inline(always)]
    fn slots(&mut self, data: &[u8], p: usize) -> [u32; POWERS] {
        let here = if self.next_pos == p {
            self.next_slots
        } else {
            self.slots_of(data, p)
        };
        self.next_slots = self.slots_of(data, p + 1);
        self.next_pos = p + 1;
        for &i in &self.next_slots {
            prefetch(&self.table, i as usize);
        }
        here
    }

    /// The table index of `p` for each span (the hash of its next 4 differences and of its
    /// position modulo the span), or [`NO_SLOT`] where `p` has not 4 differences.
    #[inline(always)]
    fn slots_of(&self, data: &[u8], p: usize) -> [u32; POWERS] {
        let mut out = [NO_SLOT; POWERS];
        let Some(a) = data.get(p..p + MIN_DELTA_LEN) else {
            return out;
        };
        let a = u32::from_le_bytes([a[0], a[1], a[2], a[3]]);
        for (k, slot) in out.iter_mut().enumerate() {
            let s = 1usize << k;
            let Some(b) = p.checked_sub(s).and_then(|q| data.get(q..q + 4)) else {
                break;
            };
            let b = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            // The 4 byte differences at once (bytewise subtraction, no borrows across bytes).
            let v = ((a | 0x8080_8080) - (b & 0x7F7F_7F7F)) ^ ((a ^ !b) & 0x8080_8080);
            let v = v ^ ((p & (s - 1)) as u32).wrapping_mul(0x0101_0101);
            let h = v.wrapping_mul(0x9E37_79B1) >> (32 - self.bits);
            *slot = ((k as u32) << self.bits) | h;
        }
        out
    }

    /// Records position `p` (no search).
    pub(super) fn insert(&mut self, data: &[u8], p: usize) {
        for i in self.slots(data, p) {
            if let Some(e) = self.table.get_mut(i as usize) {
                *e = p as u32 + 1;
            }
        }
    }

    /// Records position `p` and fills `out` with its delta matches of at least
    /// `min_len.max(MIN_DELTA_LEN)` and at most `max_len` bytes.
    pub(super) fn find(
        &mut self,
        data: &[u8],
        p: usize,
        min_len: usize,
        max_len: usize,
        out: &mut Vec<DeltaMatch>,
    ) {
        out.clear();
        let slots = self.slots(data, p);
        for (k, &i) in slots.iter().enumerate() {
            let Some(e) = self.table.get_mut(i as usize) else {
                continue;
            };
            let cand = std::mem::replace(e, p as u32 + 1);
            if cand == 0 {
                continue;
            }
            let c = cand as usize - 1;
            let (s, o) = (1usize << k, p - c);
            // The offset must be a nonzero multiple of the span, and the match's reference
            // bytes (`o + s` back) inside the data.
            if o % s != 0 || c < s {
                continue;
            }
            let len = delta_len(data, p, c, s, max_len.min(data.len() - p));
            if len >= min_len.max(MIN_DELTA_LEN) {
                out.push(DeltaMatch {
                    power: k as u32,
                    raw: (o >> k) as u32,
                    len: len as u32,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{delta_len, diff};

    /// The byte-at-a-time definition.
    fn reference(data: &[u8], p: usize, c: usize, s: usize, max: usize) -> usize {
        (0..max)
            .take_while(|&k| diff(data, p + k, s) == diff(data, c + k, s))
            .count()
    }

    #[test]
    fn word_at_a_time_agrees_with_bytes() {
        // Records with counters (long delta matches) broken by bytes that borrow (0x00 - 0xFF
        // and the like) at every position within a word.
        let mut seed = 0x1234_5678u32;
        let mut data = Vec::new();
        for i in 0u32..4096 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let noise = if seed >> 28 == 0 {
                (seed >> 8) as u8
            } else {
                0
            };
            data.extend_from_slice(&[i as u8, 0xFF, 0x00, (i >> 8) as u8 ^ noise]);
        }
        let mut checked = 0;
        for s in [1usize, 2, 4, 8, 16, 32] {
            for p in (64..data.len()).step_by(7) {
                for c in [p.saturating_sub(4 * s), p - s.max(4), 32 + p % 29] {
                    if c < s || c >= p {
                        continue;
                    }
                    let max = (data.len() - p).min(200);
                    assert_eq!(
                        delta_len(&data, p, c, s, max),
                        reference(&data, p, c, s, max),
                        "p {p} c {c} span {s}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 10_000);
    }
}
