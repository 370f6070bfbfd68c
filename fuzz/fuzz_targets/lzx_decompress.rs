//! LZX decoder on hostile input. Byte 0 picks the window (bits 0-1: 32 KiB, 64 KiB, 1 MiB,
//! 2 MiB), bytes 1..4 (little-endian) the output size (reduced modulo min(window, 256 KiB) + 1),
//! the rest is the compressed chunk. Decoding must return Ok or a DecodeError, never panic or
//! hang, and a successful decode must not depend on the output buffer's previous contents.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wimfs::compress::lzx::decompress;

fuzz_target!(|data: &[u8]| {
    let Some((head, input)) = data.split_first_chunk::<4>() else {
        return;
    };
    let window = [32768usize, 65536, 1 << 20, 2 << 20][usize::from(head[0] & 3)];
    let size = u32::from_le_bytes([head[1], head[2], head[3], 0]) as usize;
    let size = size % (window.min(256 * 1024) + 1);
    let mut out = vec![0u8; size];
    if decompress(input, &mut out, window).is_ok() {
        let mut again = vec![0xA5u8; size];
        assert!(decompress(input, &mut again, window).is_ok());
        assert_eq!(
            out, again,
            "output must not depend on the buffer's previous contents"
        );
    }
});
