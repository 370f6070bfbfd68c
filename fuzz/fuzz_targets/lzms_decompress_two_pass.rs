//! LZMS decoder's two paths on hostile input, through
//! `wimcodecs::harness::lzms_decode_two_pass` (input as for `lzms_decompress`): the two-pass
//! path that chunks over 1 MiB take (an item pass, then a write pass) must give the same bytes
//! or the same error as the one-pass path, never a panic or hang. Crashing inputs go to
//! codecs/tests/fuzz_regressions/lzms_decompress/ and are replayed by
//! codecs/tests/fuzz_replay.rs through both harness entry points.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wimcodecs::harness::lzms_decode_two_pass(data);
});
