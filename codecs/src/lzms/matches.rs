//! LRU queues of recent offsets and the LZ match copy.

use super::range::{Decision, RangeDecoder};

/// Decodes which of the three referable queue entries a repeat match uses.
#[inline(always)]
pub(super) fn rep_index<const N: usize>(
    reps: &mut [Decision<N>; 2],
    rd: &mut RangeDecoder<'_>,
) -> usize {
    if reps[0].decode(rd) == 0 {
        0
    } else if reps[1].decode(rd) == 0 {
        1
    } else {
        2
    }
}

/// Inserts `v` at the front of an LRU queue, dropping the last entry.
#[inline(always)]
pub(super) fn push_front<T: Copy>(q: &mut [T; 4], v: T) {
    q[3] = q[2];
    q[2] = q[1];
    q[1] = q[0];
    q[0] = v;
}

/// Removes entry `idx` (0..=2) of an LRU queue, shifting later entries up (the last one stays,
/// duplicated), and returns it.
#[inline(always)]
pub(super) fn take<T: Copy>(q: &mut [T; 4], idx: usize) -> T {
    let v = q[idx];
    for k in idx..3 {
        q[k] = q[k + 1];
    }
    v
}

/// Copies an LZ match of `length` bytes from `offset` (1..=pos) back, byte by byte in effect.
#[inline(always)]
pub(super) fn copy_match(out: &mut [u8], pos: usize, offset: usize, length: usize) {
    let src = pos - offset;
    if offset >= 16 && length <= 64 && out.len() - pos >= 64 {
        // Short match, room to spare: copy whole 16-byte pieces (the last may write past the
        // match, over bytes not decoded yet). A piece never overlaps its source.
        let mut k = 0;
        while k < length {
            out.copy_within(src + k..src + k + 16, pos + k);
            k += 16;
        }
    } else if offset >= length {
        out.copy_within(src..src + length, pos);
    } else if offset == 1 {
        let b = out[src];
        out[pos..pos + length].fill(b);
    } else {
        // Overlapping: the pattern of `offset` bytes repeats; copy it in growing pieces.
        let mut done = 0;
        while done < length {
            let n = (offset + done).min(length - done);
            out.copy_within(src..src + n, pos + done);
            done += n;
        }
    }
}
