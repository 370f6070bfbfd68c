//! XPRESS decoder on hostile input, through `wimcodecs::harness::xpress_decode` (bytes 0..2: the
//! output size; the rest: the chunk): Ok or a DecodeError, never a panic or hang, and a
//! successful decode must not depend on the output buffer. Crashing inputs go to
//! codecs/tests/fuzz_regressions/xpress_decompress/ and are replayed by codecs/tests/fuzz_replay.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wimcodecs::harness::xpress_decode(data);
});
