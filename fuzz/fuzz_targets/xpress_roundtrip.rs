//! XPRESS compressor at both efforts (`Fast` is what commits write), through
//! `wimcodecs::harness::xpress_roundtrip`: any chunk of up to 64 KiB that compresses must be
//! smaller and decode back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wimcodecs::harness::xpress_roundtrip(data);
});
