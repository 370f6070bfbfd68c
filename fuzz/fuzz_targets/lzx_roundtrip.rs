//! LZX encoder at both efforts (`Fast` is what commits write), through
//! `wimcodecs::harness::lzx_roundtrip` (byte 0: the window; the rest, cut
//! to the window: the chunk): whatever compresses must be smaller and decode back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wimcodecs::harness::lzx_roundtrip(data);
});
