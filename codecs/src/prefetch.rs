//! A hint to the processor to start loading a cache line that will be read soon.
//!
//! The decoder: a match in a 64 MiB solid chunk often copies from megabytes back, which misses
//! the caches. The item pass asks for the source line as soon as it has decoded the match; the
//! block's output pass (`emit`) copies it much later, by when the line has usually arrived.
//! The encoder: the match finders' tables and candidates are spread over hundreds of MiB for
//! a solid chunk; asking for a line one position ahead overlaps its memory latency with the
//! work on the current position.
//!
//! This is the crate's one `unsafe` outside the wimlib FFI: `_mm_prefetch` is declared with
//! `#[target_feature(enable = "sse")]`, which makes any call to it an unsafe operation even
//! though SSE is part of the x86-64 baseline. A prefetch has no effect on memory (it never
//! faults, even for an invalid address; here the address is always inside the slice). Other
//! targets get a no-op.

/// Hints that the cache line holding `slice[index]` will be read soon (nothing if `index` is
/// out of range).
#[inline(always)]
pub(crate) fn prefetch<T>(slice: &[T], index: usize) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
    if let Some(item) = slice.get(index) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p: *const i8 = (item as *const T).cast();
        // SAFETY: the only requirement of `_mm_prefetch` is the SSE target feature, which the
        // `cfg` above guarantees; a prefetch reads nothing into the program's state and
        // cannot fault.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p) };
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))]
    let _ = (slice, index);
}

#[cfg(test)]
mod tests {
    use super::prefetch;

    #[test]
    fn any_index_is_harmless() {
        let data = [1u8, 2, 3];
        for i in [0, 2, 3, 4, usize::MAX] {
            prefetch(&data, i);
        }
        prefetch::<u8>(&[], 0);
        let wide = [7u32; 5];
        prefetch(&wide, 4);
        prefetch(&wide, 5);
        assert_eq!(data, [1, 2, 3]);
    }
}
