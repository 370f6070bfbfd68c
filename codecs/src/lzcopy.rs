//! The LZ77 match copy shared by the three decoders: `length` bytes from `offset` bytes back,
//! where the source may overlap the destination (a match of offset 1 repeats one byte; [MS-XCA]
//! 2.2.4, [MS-PATCH] §2.5 and LZMS alike define the copy byte by byte, each byte read after
//! the one before it is written).
//!
//! Short matches (up to 64 bytes), the common case, are copied in whole 16- or 8-byte pieces
//! when the output has room for up to 15 bytes past the match: those overshoot bytes are
//! overwritten by what the decoder writes next, and every piece reads only bytes before the one
//! it writes (offset >= the piece size), so it sees final bytes. Short offsets repeat their pattern in doubling
//! pieces; long matches go to `memmove` (`copy_within`) when source and destination do not
//! overlap. Everything is bounds-checked slice copies: no `unsafe`.

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
    use super::copy_match;

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
}
