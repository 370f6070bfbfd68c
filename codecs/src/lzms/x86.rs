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

/// Bit `k` set for each position `from + k` (`k` < 32) whose first two bytes can start a
/// candidate (`E8`, `E9`, `FF 15`, `F0 83`, `48/4C 8D`, `48/4C 8B`): a superset of the
/// candidates, which [`Filter::at`] checks in full. Reads `data[from..from + 33]`.
#[inline(always)]
fn candidate_mask(data: &[u8], from: usize) -> u32 {
    let mut x = [0u8; 32];
    x.copy_from_slice(&data[from..from + 32]);
    let mut y = [0u8; 32];
    y.copy_from_slice(&data[from + 1..from + 33]);
    // One byte per position, 1 for a hit: compares the compiler turns into SIMD (no `unsafe`).
    let mut hits = [0u8; 32];
    for ((h, &x), &y) in hits.iter_mut().zip(&x).zip(&y) {
        let hit = (x & 0xFE == 0xE8)
            | (x == 0xFF) & (y == 0x15)
            | (x == 0xF0) & (y == 0x83)
            | (x & 0xFB == 0x48) & ((y == 0x8D) | (y == 0x8B));
        *h = u8::from(hit);
    }
    // Eight 0/1 bytes to eight bits: the multiply moves byte j's bit to bit 56 + j.
    let mut mask = 0u32;
    for (q, h) in hits.chunks_exact(8).enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(h);
        let w = u64::from_le_bytes(w);
        mask |= ((w.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32) << (8 * q);
    }
    mask
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
    let mut f = Filter {
        epoch: targets.epoch,
        last_target_usage: &mut targets.last,
        last_x86_pos: -X86_MAX_TRANSLATION_OFFSET - 1,
        undo,
    };
    // Candidate opcodes must start before `limit`; their operands then end by size - 10, and
    // the 8 bytes from the opcode on are in bounds.
    let limit = size - 16;
    // 32 positions at a time while all of them are before `limit` (the mask reads one byte
    // more, still in bounds); within a block,
    // only the positions of its mask from the resume point on.
    // At the top of each block every byte before `base` is final: a translation never
    // reaches past the position scanning resumes at.
    let mut base = 1;
    let mut next_report = crate::progress::PROGRESS_STEP;
    'blocks: while base + 32 <= limit {
        if base >= next_report {
            report(base);
            next_report = base.saturating_add(crate::progress::PROGRESS_STEP);
        }
        let mut mask = candidate_mask(data, base);
        while mask != 0 {
            let next = f.at(data, base + mask.trailing_zeros() as usize);
            let skip = next - base;
            if skip >= 32 {
                base = next;
                continue 'blocks;
            }
            mask &= u32::MAX << skip;
        }
        base += 32;
    }
    let mut i = base;
    while i < limit {
        i = f.at(data, i);
    }
}

/// The filter's state within one buffer.
struct Filter<'a> {
    epoch: u32,
    last_target_usage: &'a mut [u32; 1 << 16],
    /// End of the last instruction that looked like code.
    last_x86_pos: i64,
    undo: bool,
}

impl Filter<'_> {
    /// Handles the position `i` (below `data.len() - 16`): a candidate instruction is
    /// translated if in a code window and recorded; returns where scanning resumes.
    #[inline(always)]
    fn at(&mut self, data: &mut [u8], i: usize) -> usize {
        let mut w = [0u8; 8];
        w.copy_from_slice(&data[i..i + 8]);
        let (opcode_len, max_offset) = match w[0] {
            0xE8 => (1, X86_MAX_TRANSLATION_OFFSET >> 1),
            0xE9 => return i + 5,
            0xFF if w[1] == 0x15 => (2, X86_MAX_TRANSLATION_OFFSET),
            0xF0 if w[1] == 0x83 && w[2] == 0x05 => (3, X86_MAX_TRANSLATION_OFFSET),
            0x48 | 0x4C
                if w[2] & 0x07 == 0x05
                    && (w[1] == 0x8D || (w[1] == 0x8B && w[0] & 0x04 == 0 && w[2] & 0xF0 == 0)) =>
            {
                (3, X86_MAX_TRANSLATION_OFFSET)
            }
            _ => return i + 1,
        };
        let value = u32::from_le_bytes([
            w[opcode_len],
            w[opcode_len + 1],
            w[opcode_len + 2],
            w[opcode_len + 3],
        ]);
        let pos = i as i64;
        let translate = pos - self.last_x86_pos <= max_offset;
        // The operand in relative form: as stored when encoding; when undoing, as restored
        // (an operand left untranslated was relative all along).
        let relative = if self.undo && translate {
            value.wrapping_sub(i as u32)
        } else {
            value
        };
        let p = i + opcode_len;
        if translate {
            let stored = if self.undo {
                relative
            } else {
                value.wrapping_add(i as u32)
            };
            data[p..p + 4].copy_from_slice(&stored.to_le_bytes());
        }
        let target16 = (i as u32).wrapping_add(relative & 0xFFFF) as u16;
        let end = (p + 3) as i64;
        let last = &mut self.last_target_usage[usize::from(target16)];
        if end + BIAS - i64::from(last.saturating_sub(self.epoch)) <= X86_ID_WINDOW_SIZE {
            self.last_x86_pos = end;
        }
        *last = self.epoch + (end + BIAS) as u32;
        p + 4
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

    /// The filter one position at a time, every position checked in full (no mask).
    fn reference(data: &mut [u8], undo: bool) {
        if data.len() <= 17 {
            return;
        }
        let mut t = super::Targets::new();
        t.begin(data.len());
        let mut f = super::Filter {
            epoch: t.epoch,
            last_target_usage: &mut t.last,
            last_x86_pos: -super::X86_MAX_TRANSLATION_OFFSET - 1,
            undo,
        };
        let mut i = 1;
        while i < data.len() - 16 {
            i = f.at(data, i);
        }
    }

    #[test]
    fn masked_scan_matches_the_plain_scan() {
        for (n, seed) in [(18, 1), (49, 2), (50, 3), (64, 4), (5000, 5), (70_000, 6)] {
            for undo in [false, true] {
                let mut want = pseudo_code(n, seed);
                let mut got = want.clone();
                reference(&mut want, undo);
                x86_filter(&mut got, undo);
                assert_eq!(got, want, "{n} bytes, seed {seed}, undo {undo}");
            }
        }
    }

    #[test]
    fn mask_flags_every_candidate_start() {
        // Every pair of first bytes at every position of a block: a position that can start
        // a candidate (or `E9`) must be flagged, and only the listed pairs may be.
        let starts = |x: u8, y: u8| {
            matches!(x, 0xE8 | 0xE9)
                || (x == 0xFF && y == 0x15)
                || (x == 0xF0 && y == 0x83)
                || (matches!(x, 0x48 | 0x4C) && matches!(y, 0x8D | 0x8B))
        };
        for x in 0..=255u8 {
            for y in [0x00, 0x15, 0x83, 0x8B, 0x8D, 0xE8, 0xFF, x] {
                for k in 0..32 {
                    let mut data = [0x11u8; 33];
                    data[k] = x;
                    data[k + 1] = y;
                    let mask = super::candidate_mask(&data, 0);
                    let want = (u32::from(starts(x, y)) << k)
                        | if k < 31 && starts(y, 0x11) {
                            1 << (k + 1)
                        } else {
                            0
                        };
                    assert_eq!(mask, want, "{x:#x} {y:#x} at {k}");
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
