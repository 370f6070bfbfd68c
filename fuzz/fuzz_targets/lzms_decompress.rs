//! LZMS decoder on hostile input: the first three bytes (little-endian, modulo 1 MiB + 1) give
//! the output size, the rest is the compressed chunk. Decoding must return Ok or a
//! DecodeError, never panic or hang, and a successful decode must be deterministic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wimfs::compress::lzms::decompress;

fuzz_target!(|data: &[u8]| {
    let Some((size, input)) = data.split_first_chunk::<3>() else {
        return;
    };
    let size = (usize::from(size[0]) | usize::from(size[1]) << 8 | usize::from(size[2]) << 16)
        % ((1 << 20) + 1);
    let mut out = vec![0u8; size];
    if decompress(input, &mut out).is_ok() {
        let mut again = vec![0xFFu8; size];
        assert!(decompress(input, &mut again).is_ok());
        assert_eq!(
            out, again,
            "output must not depend on the buffer's previous contents"
        );
    }
});
