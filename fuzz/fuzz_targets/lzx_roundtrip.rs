//! LZX encoder: byte 0 picks the window (bits 0-1: 32 KiB, 64 KiB, 1 MiB, 2 MiB), the rest is a
//! chunk (cut to the window). Whatever compresses must be smaller and decode back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wimfs::compress::lzx::{compress, decompress};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, chunk)) = data.split_first() else {
        return;
    };
    let window = [32768usize, 65536, 1 << 20, 2 << 20][usize::from(sel & 3)];
    let chunk = &chunk[..chunk.len().min(window)];
    if let Some(packed) = compress(chunk, window) {
        assert!(packed.len() < chunk.len());
        let mut out = vec![0u8; chunk.len()];
        decompress(&packed, &mut out, window).expect("our own output must decode");
        assert_eq!(out, chunk);
    }
});
