//! LZMS's x86 machine-code filter.
//!
//! The encoder rewrites the 32-bit relative operands of some x86 instructions into absolute
//! positions (relative to the chunk) before compressing; the decoder undoes it after decoding.
//! The filter always runs, and guesses where code is: it remembers, for every low 16 bits of
//! a target address, where an instruction last referred to it. A second reference to the same
//! target within 65535 bytes marks the spot as likely code, which enables translation for the
//! next 1023 bytes (511 for `E8`, whose false positives are common).
//!
//! Candidates, scanned from byte 1 (byte 0 never counts) while at least 17 bytes remain:
//!
//! | bytes                                      | instruction                | operand at |
//! |--------------------------------------------|----------------------------|------------|
//! | `E8`                                       | call rel32                 | +1         |
//! | `E9`                                       | jmp rel32 (skipped, never translated) | - |
//! | `FF 15`                                    | call [rip+disp32]          | +2         |
//! | `F0 83 05`                                 | lock add [rip+disp32], imm | +3         |
//! | `48/4C 8D xx` with `xx & 7 == 5`           | lea r, [rip+disp32]        | +3         |
//! | `48 8B xx` with `xx & 7 == 5`, `xx < 0x10` | mov r, [rip+disp32]        | +3         |
//!
//! (The `mod` bits of the ModR/M byte are not checked, as in the reference; `4C 8B` is not a
//! candidate.) For a candidate at position `i` with operand at `p`, the translation applies if
//! `i` is within the window of the last likely-code position; the target's low 16 bits are
//! `i + operand` (using the relative form of the operand), and the position recorded for it
//! is `p + 3`. Scanning resumes after the operand (after the 4 bytes following `E9`).
//!
//! Described by wimlib's `lzms_x86_filter` (`src/lzms_common.c`).

use std::cell::RefCell;

use super::tables::{X86_ID_WINDOW_SIZE, X86_MAX_TRANSLATION_OFFSET};

/// 0xFF for each byte of `w` that can start a candidate, 0 for the others.
#[inline(always)]
fn candidate_bytes(w: &[u8; 32]) -> [u8; 32] {
    let mut h = [0u8; 32];
    for (h, &x) in h.iter_mut().zip(w) {
        let mask = |hit: bool| if hit { 0xFFu8 } else { 0 };
        *h = mask(x & 0xFB == 0x48) | mask(x & 0xFE == 0xE8) | mask(x == 0xF0) | mask(x == 0xFF);
    }
    h
}

/// Position of the first byte in `data[from..limit]` that can start a candidate:
/// 0x48, 0x4C, 0xE8, 0xE9, 0xF0 or 0xFF.
#[inline(always)]
fn next_opcode(data: &[u8], mut from: usize, limit: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    /// High bit set in the lowest zero byte of `x` (and possibly in bytes above it, which
    /// borrow; the lowest flagged byte is always a true zero).
    #[inline(always)]
    fn zero_bytes(x: u64) -> u64 {
        x.wrapping_sub(ONES) & !x & HIGHS
    }
    // 32 bytes at a time, in a form the compiler turns into SIMD compares (no `unsafe`).
    while from + 32 <= limit {
        let mut w = [0u8; 32];
        w.copy_from_slice(&data[from..from + 32]);
        let h = candidate_bytes(&w);
        let (a, b) = h.split_at(16);
        let mut lo = [0u8; 16];
        lo.copy_from_slice(a);
        let mut hi = [0u8; 16];
        hi.copy_from_slice(b);
        let (lo, hi) = (u128::from_le_bytes(lo), u128::from_le_bytes(hi));
        if lo | hi != 0 {
            let k = if lo != 0 {
                lo.trailing_zeros() / 8
            } else {
                16 + hi.trailing_zeros() / 8
            };
            return Some(from + k as usize);
        }
        from += 32;
    }
    while from + 8 <= limit {
        let mut w = [0u8; 8];
        w.copy_from_slice(&data[from..from + 8]);
        let w = u64::from_le_bytes(w);
        let hits = zero_bytes((w & (0xFB * ONES)) ^ (0x48 * ONES))
            | zero_bytes((w & (0xFE * ONES)) ^ (0xE8 * ONES))
            | zero_bytes(w ^ (0xF0 * ONES))
            | zero_bytes(w ^ (0xFF * ONES));
        if hits != 0 {
            return Some(from + (hits.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    data.get(from..limit)?
        .iter()
        .position(|&b| matches!(b, 0x48 | 0x4C | 0xE8 | 0xE9 | 0xF0 | 0xFF))
        .map(|k| from + k)
}

/// Where each 16-bit target was last referenced, kept from chunk to chunk so that it need not be
/// cleared (256 KiB) for every chunk: an entry holds `epoch + position + BIAS`, and entries
/// below the current chunk's `epoch` (written for earlier chunks) read as 0, "long before the
/// chunk" (position -BIAS): the first reference to a target is never within the window.
struct Targets {
    last: Box<[u32; 1 << 16]>,
    /// Added to this chunk's entries.
    epoch: u32,
    /// Above every entry written so far.
    next_epoch: u64,
}

const BIAS: i64 = X86_ID_WINDOW_SIZE + 1;

impl Targets {
    fn new() -> Self {
        Targets {
            last: Box::new([0; 1 << 16]),
            epoch: 0,
            next_epoch: 0,
        }
    }

    /// Starts a chunk of `size` bytes.
    fn begin(&mut self, size: usize) {
        let span = size as u64 + BIAS as u64 + 1;
        if self.next_epoch + span > u64::from(u32::MAX) {
            self.last.fill(0);
            self.next_epoch = 0;
        }
        self.epoch = self.next_epoch as u32;
        self.next_epoch += span;
    }
}

thread_local! {
    static TARGETS: RefCell<Targets> = RefCell::new(Targets::new());
}

/// Applies the filter to `data` (`undo` = true when decompressing). `data.len()` must be below
/// 2^31 (LZMS buffers are at most 1 180 427 429 bytes).
pub(super) fn x86_filter(data: &mut [u8], undo: bool) {
    x86_filter_reporting(data, undo, &mut |_| {});
}

/// [`x86_filter`], calling `report` with the scan position about every
/// [`crate::progress::PROGRESS_STEP`] bytes: the bytes before it are final.
pub(super) fn x86_filter_reporting(data: &mut [u8], undo: bool, report: &mut impl FnMut(usize)) {
    if data.len() <= 17 {
        return;
    }
    TARGETS.with(|t| match t.try_borrow_mut() {
        Ok(mut targets) => filter(&mut targets, data, undo, report),
        Err(_) => filter(&mut Targets::new(), data, undo, report),
    })
}

fn filter(targets: &mut Targets, data: &mut [u8], undo: bool, report: &mut impl FnMut(usize)) {
    let size = data.len();
    targets.begin(size);
    let epoch = targets.epoch;
    let last_target_usage = &mut targets.last;
    let mut last_x86_pos: i64 = -X86_MAX_TRANSLATION_OFFSET - 1;
    // Candidate opcodes must start before `limit`; their operands then end by size - 10, and
    // the 8 bytes from the opcode on are in bounds.
    let limit = size - 16;
    let mut i = 1;
    let mut next_report = crate::progress::PROGRESS_STEP;
    while i < limit {
        if i >= next_report {
            report(i);
            next_report = i.saturating_add(crate::progress::PROGRESS_STEP);
        }
        // The scan stops at the next report too (text has no candidates for megabytes).
        let stop = limit.min(next_report);
        match next_opcode(data, i, stop) {
            Some(k) => i = k,
            None if stop < limit => {
                i = stop;
                continue;
            }
            None => break,
        }
        let mut w = [0u8; 8];
        w.copy_from_slice(&data[i..i + 8]);
        let (opcode_len, max_offset) = match w[0] {
            0xE8 => (1, X86_MAX_TRANSLATION_OFFSET >> 1),
            0xE9 => {
                i += 5;
                continue;
            }
            0xFF if w[1] == 0x15 => (2, X86_MAX_TRANSLATION_OFFSET),
            0xF0 if w[1] == 0x83 && w[2] == 0x05 => (3, X86_MAX_TRANSLATION_OFFSET),
            0x48 | 0x4C
                if w[2] & 0x07 == 0x05
                    && (w[1] == 0x8D || (w[1] == 0x8B && w[0] & 0x04 == 0 && w[2] & 0xF0 == 0)) =>
            {
                (3, X86_MAX_TRANSLATION_OFFSET)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        let value = u32::from_le_bytes([
            w[opcode_len],
            w[opcode_len + 1],
            w[opcode_len + 2],
            w[opcode_len + 3],
        ]);
        let pos = i as i64;
        let translate = pos - last_x86_pos <= max_offset;
        // The operand in relative form: as stored when encoding; when undoing, as restored
        // (an operand left untranslated was relative all along).
        let relative = if undo && translate {
            value.wrapping_sub(i as u32)
        } else {
            value
        };
        let p = i + opcode_len;
        if translate {
            let stored = if undo {
                relative
            } else {
                value.wrapping_add(i as u32)
            };
            data[p..p + 4].copy_from_slice(&stored.to_le_bytes());
        }
        let target16 = (i as u32).wrapping_add(relative & 0xFFFF) as u16;
        let end = (p + 3) as i64;
        let last = &mut last_target_usage[usize::from(target16)];
        if end + BIAS - i64::from(last.saturating_sub(epoch)) <= X86_ID_WINDOW_SIZE {
            last_x86_pos = end;
        }
        *last = epoch + (end + BIAS) as u32;
        i = p + 4;
    }
}

#[cfg(test)]
mod tests {
    use super::x86_filter;

    fn pseudo_code(n: usize, seed: u64) -> Vec<u8> {
        // Bytes dense in candidate opcodes with repeated targets.
        let mut s = seed;
        let mut v = Vec::with_capacity(n);
        while v.len() < n {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (s >> 33) as u32;
            match r % 7 {
                0 => v.extend_from_slice(&[0xE8, (r >> 8) as u8 & 0x3, 0x10, 0, 0]),
                1 => v.extend_from_slice(&[0x48, 0x8D, 0x05, (r >> 8) as u8, 0x20, 0, 0]),
                2 => v.extend_from_slice(&[0xFF, 0x15, 0x40, 0x10, 0, 0]),
                3 => v.extend_from_slice(&[0xF0, 0x83, 0x05, 1, 2, 0, 0, 1]),
                4 => v.extend_from_slice(&[0xE9, 1, 2, 3, 4]),
                5 => v.extend_from_slice(&[0x48, 0x8B, 0x0D, 0x30, 0x10, 0, 0]),
                _ => v.push((r >> 16) as u8),
            }
        }
        v.truncate(n);
        v
    }

    #[test]
    fn undo_inverts_the_filter() {
        for (n, seed) in [(18, 1), (100, 2), (5000, 3), (70_000, 4), (200_000, 5)] {
            let orig = pseudo_code(n, seed);
            let mut data = orig.clone();
            x86_filter(&mut data, false);
            if n > 1000 {
                assert_ne!(data, orig, "the filter should translate something");
            }
            x86_filter(&mut data, true);
            assert_eq!(data, orig);
        }
    }

    #[test]
    fn opcode_scan_finds_the_first_candidate() {
        let mut rng = 12345u64;
        for _ in 0..2000 {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
            let len = (rng >> 40) as usize % 100;
            let data: Vec<u8> = (0..len)
                .map(|k| {
                    let r = (rng >> (k % 50)) as u8;
                    [
                        0x48, 0x4C, 0xE8, 0xE9, 0xF0, 0xFF, 0x47, 0x49, 0xEA, 0xFE, r,
                    ][k * 7 % 11]
                        .wrapping_add(((rng >> 7) as u8 & 1) * r)
                })
                .collect();
            for from in 0..=len {
                let want = data[from..]
                    .iter()
                    .position(|&b| matches!(b, 0x48 | 0x4C | 0xE8 | 0xE9 | 0xF0 | 0xFF))
                    .map(|k| from + k);
                assert_eq!(super::next_opcode(&data, from, len), want);
            }
        }
    }

    #[test]
    fn opcode_scan_finds_lone_candidates() {
        // One byte among filler, at every position of every piece of the scan (32- and
        // 8-byte blocks, tail), including bytes one bit away from a candidate.
        for byte in 0..=255u8 {
            let is_candidate = matches!(byte, 0x48 | 0x4C | 0xE8 | 0xE9 | 0xF0 | 0xFF);
            for len in [1usize, 7, 8, 31, 32, 33, 40, 64, 71, 100] {
                for pos in 0..len {
                    let mut data = vec![0x11u8; len];
                    data[pos] = byte;
                    for from in [0, pos.saturating_sub(1), pos] {
                        let want = is_candidate.then_some(pos);
                        assert_eq!(
                            super::next_opcode(&data, from, len),
                            want,
                            "{byte:#x} {len} {pos}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn earlier_chunks_leave_no_trace() {
        let code = pseudo_code(70_000, 9);
        let mut first = code.clone();
        x86_filter(&mut first, true);
        for seed in 0..3 {
            x86_filter(&mut pseudo_code(50_000, seed), true);
        }
        let mut again = code.clone();
        x86_filter(&mut again, true);
        assert_eq!(first, again);
        // Epochs running out: the table is cleared and the result is still the same.
        let mut t = super::Targets::new();
        t.begin((1 << 31) - 1);
        t.begin((1 << 31) - 1);
        let mut third = code.clone();
        super::filter(&mut t, &mut third, true, &mut |_| {});
        assert_eq!(t.epoch, (1 << 31) - 1 + super::BIAS as u32 + 1);
        assert_eq!(first, third);
    }

    #[test]
    fn short_buffers_are_untouched() {
        let mut d = [0xE8u8; 17];
        x86_filter(&mut d, true);
        assert_eq!(d, [0xE8; 17]);
    }
}
