//! XPRESS decoder on hostile input: the first two bytes (little-endian) give the output size,
//! the rest is the compressed chunk. Decoding must return Ok or a DecodeError, never panic, and
//! a successful decode must be deterministic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wimfs::compress::xpress::decompress;

fuzz_target!(|data: &[u8]| {
    let Some((size, input)) = data.split_first_chunk::<2>() else {
        return;
    };
    let size = usize::from(u16::from_le_bytes(*size));
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
