//! LRU queues of recent offsets (the match copy is the shared [`crate::lzcopy`]).

use super::range::Decision;
use super::streams::Streams;

/// Decodes which of the three referable queue entries a repeat match uses.
#[inline(always)]
pub(super) fn rep_index<const N: usize>(reps: &mut [Decision<N>; 2], s: &mut Streams<'_>) -> usize {
    if reps[0].decode(s) == 0 {
        0
    } else if reps[1].decode(s) == 0 {
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
