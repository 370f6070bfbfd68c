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

/// Which damaged copies of an input [`decode_damaged`] decodes: its prefixes of
/// `cuts_from`, `cuts_from + cut_step`, ... bytes, and copies with byte `flips_from`,
/// `flips_from + flip_step`, ... XORed with `flip`.
struct Damage {
    cuts_from: usize,
    cut_step: usize,
    flips_from: usize,
    flip_step: usize,
    flip: u8,
}

/// Decodes the truncations and bit flips of `data` that `damage` names; each must decode or
/// fail with a `DecodeError` (the harness panics on anything else).
fn decode_damaged(data: &[u8], decode: Decode, damage: Damage) {
    for cut in (damage.cuts_from..data.len()).step_by(damage.cut_step) {
        let _ = decode(&data[..cut]);
    }
    for pos in (damage.flips_from..data.len()).step_by(damage.flip_step) {
        let mut d = data.to_vec();
        d[pos] ^= damage.flip;
        let _ = decode(&d);
    }
}

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
        decode_damaged(
            &data,
            decode,
            Damage {
                cuts_from: 0,
                cut_step: 5,
                flips_from: 2,
                flip_step: 11,
                flip: 0x10,
            },
        );
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

/// The same kept LZMS inputs through both of the decoder's paths (one pass and two passes),
/// which must agree on every one, its truncations and its bit flips.
#[test]
fn lzms_decompress_regressions_two_pass() {
    let (n, _) = replay("lzms_decompress", harness::lzms_decode_two_pass);
    assert!(n >= 10, "expected the kept inputs, found {n}");
}

/// wimlib's LZMS chunks (`tests/codec_vectors/lzms/`, pairs `NAME.lzms` / `NAME.raw`) through
/// both of the decoder's paths, whole (they must decode to the captured bytes) and with 24
/// truncations and 24 bit flips each (the paths must agree on every result). The kept fuzz
/// inputs above rarely decode; these reach the match and delta code with valid data.
#[test]
fn lzms_reference_chunks_two_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/codec_vectors/lzms");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("vector dir exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|e| e != "lzms") {
            continue;
        }
        let Ok(raw) = std::fs::read(path.with_extension("raw")) else {
            continue;
        };
        let chunk = std::fs::read(&path).expect("readable");
        let size = u32::try_from(raw.len()).expect("small chunk").to_le_bytes();
        let mut data = size[..3].to_vec();
        data.extend_from_slice(&chunk);
        let out = harness::lzms_decode_two_pass(&data).expect("a reference chunk decodes");
        assert!(out == raw, "{}: decoded bytes differ", path.display());
        let step = (data.len() / 24).max(1);
        let damage = Damage {
            cuts_from: 3,
            cut_step: step,
            flips_from: 3,
            flip_step: step,
            flip: 0x08,
        };
        decode_damaged(&data, harness::lzms_decode_two_pass, damage);
        n += 1;
    }
    assert!(n >= 8, "expected wimlib's LZMS chunks, found {n}");
}
