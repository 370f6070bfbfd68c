//! XPRESS compressor: any chunk of up to 64 KiB that compresses must decode back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wimfs::compress::xpress::{compress, decompress};

fuzz_target!(|data: &[u8]| {
    let data = &data[..data.len().min(65536)];
    if let Some(packed) = compress(data) {
        assert!(packed.len() < data.len());
        let mut out = vec![0u8; data.len()];
        decompress(&packed, &mut out).expect("our own output must decode");
        assert_eq!(out, data);
    }
});
