//! Our LZMS compressor against wimlib as the oracle: every chunk we compress must decode, with
//! wimlib's decompressor (libwim, the `wimlib-bench` feature), to exactly the input; and
//! wimlib's compressed chunks of the same data must decode with ours. Data: this test's own
//! executable (real x86-64 machine code), text, records, zeros and random bytes, in chunks of
//! the non-solid sizes (32 KiB..1 MiB, and odd sizes) and one multi-mebibyte solid-like chunk.

use wimcodecs::lzms;
use wimcodecs::wimlib_ffi::{Compressor, Decompressor, LZMS};

fn lcg(seed: &mut u64) -> u32 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*seed >> 33) as u32
}

/// Synthetic data: words, counting records, zeros and random bytes, `n` bytes in all.
fn synthetic(n: usize, mut seed: u64) -> Vec<u8> {
    let words = [
        "wim ",
        "lzms ",
        "chunk ",
        "solid ",
        "resource ",
        "offset\n",
        "the ",
        "a ",
    ];
    let mut v = Vec::with_capacity(n + 64);
    while v.len() < n {
        match lcg(&mut seed) % 4 {
            0 => (0..200)
                .for_each(|_| v.extend_from_slice(words[(lcg(&mut seed) % 8) as usize].as_bytes())),
            1 => (0..100u32).for_each(|k| {
                v.extend_from_slice(&k.to_le_bytes());
                v.extend_from_slice(&(k * 7).to_be_bytes());
            }),
            2 => v.resize(v.len() + (lcg(&mut seed) % 3000) as usize, 0),
            _ => (0..500).for_each(|_| v.push(lcg(&mut seed) as u8)),
        }
    }
    v.truncate(n);
    v
}

/// Compresses `chunk` with ours (both parses, the optimal one at both efforts) and checks wimlib's
/// and our decoding of it; also decodes wimlib's compression of it with ours. Returns (our size,
/// wimlib's size).
fn check(chunk: &[u8], max_block: usize) -> (usize, usize) {
    let mut dec = Decompressor::new(LZMS, max_block);
    let ours = lzms::compress(chunk);
    let others = [
        lzms::compress_fast(chunk),
        lzms::compress_with_effort(chunk, lzms::Effort::Light),
    ];
    for packed in ours.iter().chain(others.iter().flatten()) {
        assert!(packed.len() < chunk.len());
        let mut out = vec![0u8; chunk.len()];
        assert!(
            dec.decompress(packed, &mut out),
            "wimlib rejects our chunk of {} bytes",
            chunk.len()
        );
        assert!(
            out == chunk,
            "wimlib decodes our {}-byte chunk differently",
            chunk.len()
        );
        out.fill(0);
        lzms::decompress(packed, &mut out).expect("our decoder");
        assert!(out == chunk);
    }
    let theirs = Compressor::new(LZMS, max_block, 0).compress(chunk);
    if let Some(packed) = &theirs {
        let mut out = vec![0u8; chunk.len()];
        lzms::decompress(packed, &mut out).expect("our decoder on wimlib's chunk");
        assert!(out == chunk);
    }
    let size = |p: &Option<Vec<u8>>| p.as_ref().map_or(chunk.len(), Vec::len);
    (size(&ours), size(&theirs))
}

fn executable() -> Vec<u8> {
    let exe = std::env::current_exe().expect("test executable path");
    std::fs::read(&exe).unwrap_or_else(|e| panic!("{}: {e}", exe.display()))
}

#[test]
fn wimlib_decodes_our_chunks() {
    let exe = executable();
    let text = synthetic(3 << 20, 1);
    let mut total = (0usize, 0usize);
    let mut chunks = 0;
    for data in [&exe[..], &text[..]] {
        for (chunk_size, count) in [(32768usize, 8), (131_072, 8), (1 << 20, 2)] {
            for chunk in data.chunks(chunk_size).take(count) {
                let (o, t) = check(chunk, chunk_size);
                total = (total.0 + o, total.1 + t);
                chunks += 1;
            }
        }
    }
    for (n, seed) in [
        (1usize, 1u64),
        (2, 2),
        (17, 3),
        (18, 4),
        (999, 5),
        (65_537, 6),
    ] {
        check(&synthetic(n, seed), n.max(32768));
        check(&vec![0u8; n], n.max(32768));
        check(&exe[exe.len() / 2..][..n], n.max(32768));
        chunks += 3;
    }
    eprintln!(
        "{chunks} chunks; ours {} bytes, wimlib {} bytes",
        total.0, total.1
    );
    // Not a benchmark: only a guard against gross regressions of the ratio.
    assert!(
        total.0 < total.1 * 3 / 2,
        "ours {} vs wimlib {}",
        total.0,
        total.1
    );
}

#[test]
fn wimlib_decodes_a_solid_sized_chunk() {
    let mut data = executable();
    data.truncate(6 << 20);
    data.extend(synthetic(3 << 20, 9));
    // The executable again, far back: a long-distance match.
    let again = data[..1 << 20].to_vec();
    data.extend(again);
    let (o, t) = check(&data, data.len().next_power_of_two());
    eprintln!("{} bytes: ours {o}, wimlib {t}", data.len());
}
