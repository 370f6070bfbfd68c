//! LZMS decoder on hostile input, through `wimcodecs::harness::lzms_decode` (bytes 0..3: the
//! output size modulo 1 MiB + 1; the rest: the chunk): Ok or a DecodeError, never a panic or
//! hang, and a successful decode must not depend on the output buffer. Crashing inputs go to
//! codecs/tests/fuzz_regressions/lzms_decompress/ and are replayed by codecs/tests/fuzz_replay.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wimcodecs::harness::lzms_decode(data);
});
