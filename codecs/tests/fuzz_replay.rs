//! Replays every input kept under `tests/fuzz_regressions/<target>/` through the same
//! [`wimcodecs::harness`] entry point as the fuzz target of that name, plus every fifth
//! truncation and a few bit flips of each: each must decode or fail with a `DecodeError`, never
//! panic or hang, and a successful decode must not depend on the output buffer's previous
//! contents.
//!
//! Kept inputs: `crash-*` are reproducers found by `cargo fuzz run <target>` (copy new ones
//! there); `seed-*` are fuzzer-made inputs reaching the decoders' paths (valid blocks, bad
//! tables, truncated streams, bad matches) and valid chunks made by wimlib; for LZMS,
//! `corpus-*` are a sample of the corpus of a 4-minute run seeded with the reference vectors
//! (which found no crash), and `edge-*` are hand-made (all-ones and all-zeros chunks for a
//! 1 MiB output, a 2-byte output whose offset code has a single symbol, an odd-length chunk).

use std::path::Path;

use wimcodecs::{harness, DecodeError};

type Decode = fn(&[u8]) -> Result<Vec<u8>, DecodeError>;

/// Replays the inputs of one target; returns how many there were and how many decoded.
fn replay(target: &str, decode: Decode) -> (usize, usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let (mut n, mut ok) = (0, 0);
    for entry in std::fs::read_dir(&dir).expect("regression dir exists") {
        let path = entry.expect("dir entry").path();
        let data = std::fs::read(&path).expect("readable");
        let result = decode(&data);
        println!("{}: {:?}", path.display(), result.as_ref().map(Vec::len));
        ok += usize::from(result.is_ok_and(|out| !out.is_empty()));
        for cut in (0..data.len()).step_by(5) {
            let _ = decode(&data[..cut]);
        }
        for pos in (2..data.len()).step_by(11) {
            let mut d = data.clone();
            d[pos] ^= 0x10;
            let _ = decode(&d);
        }
        n += 1;
    }
    (n, ok)
}

#[test]
fn xpress_decompress_regressions() {
    let (n, _) = replay("xpress_decompress", harness::xpress_decode);
    assert!(n >= 5, "expected the kept inputs, found {n}");
}

#[test]
fn lzx_decompress_regressions() {
    let (n, ok) = replay("lzx_decompress", harness::lzx_decode);
    assert!(n >= 12, "expected the kept inputs, found {n}");
    assert!(ok >= 3, "the kept wimlib chunks must decode ({ok} did)");
}

#[test]
fn lzms_decompress_regressions() {
    let (n, _) = replay("lzms_decompress", harness::lzms_decode);
    assert!(n >= 10, "expected the kept inputs, found {n}");
}
