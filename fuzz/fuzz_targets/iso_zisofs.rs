//! Arbitrary bytes through isofs::harness::zisofs (see isofs/src/harness.rs): no panic, no hang,
//! no huge allocation. Crashing inputs go to isofs/tests/fuzz_regressions/zisofs/ and are replayed
//! by isofs/tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    isofs::harness::zisofs(data);
});
