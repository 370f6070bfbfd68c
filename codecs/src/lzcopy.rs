//! The LZ77 match copy shared by the three decoders: `length` bytes from `offset` bytes back,
//! where the source may overlap the destination (a match of offset 1 repeats one byte; [MS-XCA]
//! 2.2.4, [MS-PATCH] §2.5 and LZMS alike define the copy byte by byte, each byte read after
//! the one before it is written).
//!
//! Short matches (up to 64 bytes), the common case, are copied in whole 16- or 8-byte pieces when
//! the output has room for up to 15 bytes past the match: those overshoot bytes are overwritten by
//! what the decoder writes next, and every piece reads only bytes before the one it writes
//! (offset >= the piece size), so it sees final bytes. Short offsets repeat their pattern in
//! doubling pieces; long matches go to `memmove` (`copy_within`) when source and destination do
//! not overlap. Everything is bounds-checked slice copies: no `unsafe`.

/// Copies `length` bytes from `pos - offset` to `pos`, LZ77-style. The caller has checked
/// `1 <= offset <= pos` and `pos + length <= out.len()`.
#[inline(always)]
pub(crate) fn copy_match(out: &mut [u8], pos: usize, offset: usize, length: usize) {
    let src = pos - offset;
    let room = out.len() - pos;
    if length > 64 {
        // Long matches: memmove when the ranges do not overlap (the 16-byte loop would stall
        // on loads of bytes it has just stored, or miss the cache one piece at a time).
        copy_slow(out, pos, offset, length);
    } else if offset >= 16 && room >= length + 16 {
        let mut k = 0;
        loop {
            out.copy_within(src + k..src + k + 16, pos + k);
            k += 16;
            if k >= length {
                break;
            }
        }
    } else if offset >= 8 && room >= length + 8 {
        let mut k = 0;
        loop {
            out.copy_within(src + k..src + k + 8, pos + k);
            k += 8;
            if k >= length {
                break;
            }
        }
    } else {
        copy_slow(out, pos, offset, length);
    }
}

/// For an offset below 16: the smallest multiple of the offset that is at least 16.
const PERIOD_16: [usize; 16] = [
    16, 16, 16, 18, 16, 20, 18, 21, 16, 18, 20, 22, 24, 26, 28, 30,
];

/// Copies a short match inline when the output has room for 32 bytes at `pos`: with no loop,
/// no call and no load of bytes that the copy itself has just stored (a load that spans a
/// recent store stalls until it retires). Offsets of 16 or more, up to 32 bytes: one or two
/// 16-byte pieces, the second reading bytes from before the first; smaller offsets, up to 16
/// bytes: the offset's pattern, read once, repeated across 16 bytes in a register and stored
/// whole ([`pattern_16`]). Returns false, having written nothing, for any other match
/// (`offset` of 0 or above `pos` included).
#[inline(always)]
pub(crate) fn copy_short(out: &mut [u8], pos: usize, offset: usize, length: usize) -> bool {
    if offset == 0 || offset > pos || out.len().saturating_sub(pos) < 32 {
        return false;
    }
    let src = pos - offset;
    if offset >= 16 {
        if length > 32 {
            return false;
        }
        out.copy_within(src..src + 16, pos);
        if length > 16 {
            out.copy_within(src + 16..src + 32, pos + 16);
        }
        return true;
    }
    if length > 16 {
        return false;
    }
    pattern_16(out, pos, offset);
    true
}

/// Writes 16 bytes at `pos` that repeat the `offset` (1..=15) bytes before it: the pattern is
/// read once (the bytes after it, up to 16, are not final yet: masked off), doubled in a
/// register until it fills 16 bytes, and stored whole. The caller checked `offset <= pos`
/// and that 16 bytes fit at `pos`.
#[inline(always)]
fn pattern_16(out: &mut [u8], pos: usize, offset: usize) {
    let src = pos - offset;
    let mut w = [0u8; 16];
    w.copy_from_slice(&out[src..src + 16]);
    let bits = 8 * offset as u32;
    let mut v = u128::from_le_bytes(w) & ((1u128 << bits) - 1);
    v |= v << bits;
    v |= v.checked_shl(2 * bits).unwrap_or(0);
    v |= v.checked_shl(4 * bits).unwrap_or(0);
    v |= v.checked_shl(8 * bits).unwrap_or(0);
    out[pos..pos + 16].copy_from_slice(&v.to_le_bytes());
}

/// [`copy_match`] with no call at all, for decoding loops (a call in the loop makes the
/// compiler keep its state in memory): [`copy_short`], else 16-byte pieces while the output
/// has room for them past the match (an offset below 16 first writes 16 bytes of its pattern,
/// then copies from a whole number of periods at least 16 back), else byte by byte. The caller
/// has checked `1 <= offset <= pos` and `pos + length <= out.len()`.
#[inline(always)]
pub(crate) fn copy_inline(out: &mut [u8], pos: usize, offset: usize, length: usize) {
    if copy_short(out, pos, offset, length) {
        return;
    }
    let room = out.len().saturating_sub(pos);
    if offset == 0 || offset > pos || room < length.saturating_add(16) {
        // (Bounds-checked without a panic even if the caller's checks were wrong.)
        for i in pos..pos.saturating_add(length) {
            if let (Some(&b), true) = (out.get(i.wrapping_sub(offset)), offset > 0) {
                if let Some(d) = out.get_mut(i) {
                    *d = b;
                }
            }
        }
        return;
    }
    let (mut k, mut step) = (0, offset);
    if offset < 16 {
        pattern_16(out, pos, offset);
        (k, step) = (16, PERIOD_16[offset]);
    }
    while k < length {
        out.copy_within(pos + k - step..pos + k - step + 16, pos + k);
        k += 16;
    }
}

/// Exact copies: long matches, near the end of the output, and offsets below 8.
#[inline(never)]
fn copy_slow(out: &mut [u8], pos: usize, offset: usize, length: usize) {
    let src = pos - offset;
    if offset >= length {
        out.copy_within(src..src + length, pos);
    } else if offset == 1 {
        let b = out[src];
        out[pos..pos + length].fill(b);
    } else {
        // The pattern of `offset` bytes before `pos` repeats; copy it in doubling pieces, each a
        // whole number of periods, so every piece can start from `src` again.
        let mut done = 0;
        while done < length {
            let n = (offset + done).min(length - done);
            out.copy_within(src..src + n, pos + done);
            done += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{copy_inline, copy_match, copy_short};

    fn reference(out: &mut [u8], pos: usize, offset: usize, length: usize) {
        for i in pos..pos + length {
            out[i] = out[i - offset];
        }
    }

    #[test]
    fn every_offset_and_length_near_both_ends() {
        let base: Vec<u8> = (0..200u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for size in [40usize, 64, 200] {
            for offset in 1..=40usize {
                for length in 0..=70usize {
                    // Matches that start right after the pattern and ones that end at the end.
                    for pos in [offset, offset + 3, size.saturating_sub(length)] {
                        if pos < offset || pos + length > size {
                            continue;
                        }
                        let mut want = base[..size].to_vec();
                        reference(&mut want, pos, offset, length);
                        let mut got = base[..size].to_vec();
                        copy_match(&mut got, pos, offset, length);
                        // Bytes after the match may differ (overshoot), all before it may not.
                        assert_eq!(
                            got[..pos + length],
                            want[..pos + length],
                            "size {size} pos {pos} offset {offset} length {length}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn short_copies_every_offset_and_length_near_both_ends() {
        let base: Vec<u8> = (0..120u32).map(|i| (i * 13 + i / 7) as u8).collect();
        let mut done = 0;
        for size in [33usize, 40, 64, 120] {
            for offset in 0..=40usize {
                for length in 0..=40usize {
                    for pos in [0, 1, offset, offset + 5, size - 33, size - 32, size - 1] {
                        if pos > size {
                            continue;
                        }
                        let mut got = base[..size].to_vec();
                        let fits = if offset >= 16 {
                            length <= 32
                        } else {
                            length <= 16
                        };
                        let qualifies = fits && offset >= 1 && offset <= pos;
                        let qualifies = qualifies && size - pos >= 32;
                        assert_eq!(copy_short(&mut got, pos, offset, length), qualifies);
                        if !qualifies {
                            assert_eq!(got, base[..size], "written though it did not qualify");
                            continue;
                        }
                        let mut want = base[..size].to_vec();
                        reference(&mut want, pos, offset, length);
                        assert_eq!(
                            got[..pos + length],
                            want[..pos + length],
                            "size {size} pos {pos} offset {offset} length {length}"
                        );
                        done += 1;
                    }
                }
            }
        }
        assert!(done > 5_000, "too few qualifying cases: {done}");
    }

    #[test]
    fn inline_copies_every_offset_and_length_near_both_ends() {
        let base: Vec<u8> = (0..400u32).map(|i| (i * 11 + i / 5) as u8).collect();
        for size in [20usize, 40, 100, 400] {
            for offset in 1..=40usize {
                for length in (0..=80usize).chain([100, 200, 257]) {
                    for pos in [
                        offset,
                        offset + 3,
                        size.saturating_sub(length + 16),
                        size.saturating_sub(length),
                    ] {
                        if pos < offset || pos + length > size {
                            continue;
                        }
                        let mut want = base[..size].to_vec();
                        reference(&mut want, pos, offset, length);
                        let mut got = base[..size].to_vec();
                        copy_inline(&mut got, pos, offset, length);
                        assert_eq!(
                            got[..pos + length],
                            want[..pos + length],
                            "size {size} pos {pos} offset {offset} length {length}"
                        );
                    }
                }
            }
        }
    }
}
