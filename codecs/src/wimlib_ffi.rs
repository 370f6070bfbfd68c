//! wimlib's compression API (libwim, Debian package `libwim-dev`), the oracle of the codec
//! tests and the reference of the codec benchmarks. Only built with the `wimlib-bench`
//! feature; nothing in the codecs themselves uses it.
//!
//! Declared from `wimlib.h`: `wimlib_create_compressor(ctype, max_block_size, level, &c)`,
//! `wimlib_compress(in, in_size, out, out_avail, c)` (0: did not fit), `wimlib_free_compressor`,
//! and the matching decompressor functions (`wimlib_decompress` returns 0 on success).
//! Compression types: 1 XPRESS, 2 LZX, 3 LZMS.

use std::ffi::{c_int, c_uint, c_void};

#[link(name = "wim")]
extern "C" {
    fn wimlib_create_compressor(
        ctype: c_int,
        max_block_size: usize,
        level: c_uint,
        c: *mut *mut c_void,
    ) -> c_int;
    fn wimlib_compress(
        input: *const c_void,
        in_size: usize,
        out: *mut c_void,
        out_avail: usize,
        c: *mut c_void,
    ) -> usize;
    fn wimlib_free_compressor(c: *mut c_void);
    fn wimlib_create_decompressor(
        ctype: c_int,
        max_block_size: usize,
        d: *mut *mut c_void,
    ) -> c_int;
    fn wimlib_decompress(
        input: *const c_void,
        in_size: usize,
        out: *mut c_void,
        out_size: usize,
        d: *mut c_void,
    ) -> c_int;
    fn wimlib_free_decompressor(d: *mut c_void);
}

/// wimlib's compression type number for XPRESS.
pub const XPRESS: i32 = 1;
/// wimlib's compression type number for LZX.
pub const LZX: i32 = 2;
/// wimlib's compression type number for LZMS.
pub const LZMS: i32 = 3;

/// A wimlib compressor for one compression type and maximum chunk size.
#[derive(Debug)]
pub struct Compressor(*mut c_void);

impl Compressor {
    /// `level` 0 means wimlib's default (50, what `wimlib-imagex capture` uses unless told
    /// otherwise: lazy parsing for XPRESS, near-optimal parsing for LZX and LZMS). Panics if
    /// wimlib refuses the parameters.
    pub fn new(ctype: i32, max_block_size: usize, level: u32) -> Self {
        let mut c = std::ptr::null_mut();
        // SAFETY: plain C call; `c` is a valid out-pointer.
        let rc = unsafe { wimlib_create_compressor(ctype, max_block_size, level, &mut c) };
        assert!(
            rc == 0 && !c.is_null(),
            "wimlib_create_compressor: error {rc}"
        );
        Compressor(c)
    }

    /// Compresses `input`; `None` when the result would not be smaller than the input.
    pub fn compress(&mut self, input: &[u8]) -> Option<Vec<u8>> {
        let avail = input.len().checked_sub(1)?;
        let mut out = vec![0u8; avail.max(1)];
        // SAFETY: both buffers are valid for the sizes passed; wimlib writes at most `avail`.
        let n = unsafe {
            wimlib_compress(
                input.as_ptr().cast(),
                input.len(),
                out.as_mut_ptr().cast(),
                avail,
                self.0,
            )
        };
        (n != 0).then(|| {
            out.truncate(n);
            out
        })
    }
}

impl Drop for Compressor {
    fn drop(&mut self) {
        // SAFETY: allocated by wimlib_create_compressor, freed once.
        unsafe { wimlib_free_compressor(self.0) }
    }
}

/// A wimlib decompressor for one compression type and maximum chunk size.
#[derive(Debug)]
pub struct Decompressor(*mut c_void);

impl Decompressor {
    /// Panics if wimlib refuses the parameters.
    pub fn new(ctype: i32, max_block_size: usize) -> Self {
        let mut d = std::ptr::null_mut();
        // SAFETY: plain C call; `d` is a valid out-pointer.
        let rc = unsafe { wimlib_create_decompressor(ctype, max_block_size, &mut d) };
        assert!(
            rc == 0 && !d.is_null(),
            "wimlib_create_decompressor: error {rc}"
        );
        Decompressor(d)
    }

    /// Decompresses `input` into all of `out`; false if wimlib reports an error.
    pub fn decompress(&mut self, input: &[u8], out: &mut [u8]) -> bool {
        // SAFETY: both buffers are valid for the sizes passed.
        let rc = unsafe {
            wimlib_decompress(
                input.as_ptr().cast(),
                input.len(),
                out.as_mut_ptr().cast(),
                out.len(),
                self.0,
            )
        };
        rc == 0
    }
}

impl Drop for Decompressor {
    fn drop(&mut self) {
        // SAFETY: allocated by wimlib_create_decompressor, freed once.
        unsafe { wimlib_free_decompressor(self.0) }
    }
}
