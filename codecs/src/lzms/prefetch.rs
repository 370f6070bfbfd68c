//! A cache prefetch hint for the encoder's match finders, whose tables and candidates are
//! spread over hundreds of MiB for a solid chunk: asking for a line one position ahead
//! overlaps its memory latency with the work on the current position.

/// Hints that the cache line holding `slice[idx]` is needed soon. Out-of-range indices are
/// ignored.
#[inline(always)]
pub(super) fn prefetch<T>(slice: &[T], idx: usize) {
    #[cfg(target_arch = "x86_64")]
    if idx < slice.len() {
        let ptr = slice.as_ptr().wrapping_add(idx).cast::<i8>();
        // SAFETY: a prefetch never faults nor changes memory (it is a hint, even for a bad
        // address; this one is inside `slice`), and SSE is part of the x86-64 baseline.
        unsafe {
            core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(ptr);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (slice, idx);
}
