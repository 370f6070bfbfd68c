//! LZMS encoder at both efforts (`Light` is what commits write), through
//! `wimcodecs::harness::lzms_roundtrip` (the input, cut to 1 MiB, is the
//! chunk): whatever compresses must be smaller and decode back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wimcodecs::harness::lzms_roundtrip(data);
});
