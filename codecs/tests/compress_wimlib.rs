//! Our XPRESS and LZX encoders against wimlib's decoder (`wimlib_decompress`, libwim) as the
//! oracle, and our own decoders, on real chunks: every 32 KiB chunk of this test's own
//! executable (x86-64 machine code, symbol tables, debug information: the kind of data a
//! Windows image holds most of), of the committed codec vectors' raw files (text, binaries),
//! and a few synthetic edge cases. Also checks that the encoders shrink what they must and
//! that their output is within 3% of wimlib's (a gross regression in the parse fails).

use wimcodecs::wimlib_ffi::{Compressor, Decompressor, LZX, XPRESS};
use wimcodecs::{lzx, xpress};

const CHUNK: usize = 32768;

/// The chunks the tests use: this executable's, then the vectors' raw files'.
fn real_chunks() -> Vec<Vec<u8>> {
    let exe = std::env::current_exe().expect("test executable path");
    let mut files = vec![std::fs::read(&exe).expect("read the test executable")];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/codec_vectors");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("codec_vectors directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "raw"))
        .collect();
    names.sort();
    for p in names {
        files.push(std::fs::read(&p).expect("read a raw vector"));
    }
    let chunks: Vec<Vec<u8>> = files
        .iter()
        .flat_map(|f| f.chunks(CHUNK).map(<[u8]>::to_vec))
        .collect();
    assert!(
        chunks.len() >= 100,
        "expected many real chunks, got {}",
        chunks.len()
    );
    chunks
}

/// Edge cases: tiny, all one byte, long runs then noise, 64 KiB (XPRESS's largest chunk).
fn synthetic() -> Vec<Vec<u8>> {
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut noise = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect()
    };
    let mut runs = vec![0u8; 20000];
    runs.extend(noise(5000));
    runs.extend(vec![0xE8; 7768]);
    let mut wide = noise(300);
    while wide.len() < 65536 {
        let k = wide.len() % 300;
        wide.push(wide[k] ^ (wide.len() / 4096) as u8);
    }
    vec![
        b"abcabcabcabcabcabcabcabcabcabc".repeat(40),
        vec![0u8; CHUNK],
        vec![0xE8; CHUNK],
        runs,
        noise(CHUNK),
        wide,
    ]
}

/// Compresses every chunk with ours; decodes each result with our decoder and wimlib's;
/// returns (our total, wimlib's total, number of chunks we stored raw).
fn check(
    ctype: i32,
    chunks: &[Vec<u8>],
    window: usize,
    ours: impl Fn(&[u8]) -> Option<Vec<u8>>,
    our_decode: impl Fn(&[u8], &mut [u8]) -> bool,
) -> (usize, usize, usize) {
    let mut wimlib = Compressor::new(ctype, window, 0);
    let mut dec = Decompressor::new(ctype, window);
    let (mut total, mut reference, mut raw) = (0, 0, 0);
    for (i, c) in chunks.iter().enumerate() {
        let packed = ours(c);
        if let Some(p) = &packed {
            assert!(
                p.len() < c.len(),
                "chunk {i}: output not smaller than input"
            );
            let mut out = vec![0u8; c.len()];
            assert!(
                our_decode(p, &mut out),
                "chunk {i}: our decoder rejects our output"
            );
            assert!(out == *c, "chunk {i}: our decoder gives other bytes");
            out.fill(0);
            assert!(
                dec.decompress(p, &mut out),
                "chunk {i}: wimlib rejects our output"
            );
            assert!(out == *c, "chunk {i}: wimlib decodes other bytes");
        } else {
            raw += 1;
        }
        total += packed.map_or(c.len(), |p| p.len());
        reference += wimlib.compress(c).map_or(c.len(), |p| p.len());
    }
    (total, reference, raw)
}

fn xpress_ours(c: &[u8]) -> Option<Vec<u8>> {
    xpress::compress(c)
}

fn xpress_decode(p: &[u8], out: &mut [u8]) -> bool {
    xpress::decompress(p, out).is_ok()
}

fn lzx_decode(window: usize) -> impl Fn(&[u8], &mut [u8]) -> bool {
    move |p, out| lzx::decompress(p, out, window).is_ok()
}

/// Of `count` real chunks compressed by `codec`, fewer than a quarter stored raw, and our output
/// under 1.03x wimlib's size.
#[track_caller]
fn real_chunks_like_wimlib(codec: &str, count: usize, ours: usize, theirs: usize, raw: usize) {
    real_chunks_within(codec, count, (ours, theirs, raw), 1.03);
}

/// Like [`real_chunks_like_wimlib`] with the size bound `within` times wimlib's (a commit's
/// effort trades some size for speed: docs/benchmarks.md).
fn real_chunks_within(
    codec: &str,
    count: usize,
    (ours, theirs, raw): (usize, usize, usize),
    within: f64,
) {
    eprintln!("{codec}: {count} chunks, ours {ours} bytes, wimlib {theirs}");
    assert!(raw < count / 4, "{raw} of {count} chunks stored raw");
    assert!(
        (ours as f64) < theirs as f64 * within,
        "{codec} output {ours} bytes, wimlib's {theirs}"
    );
}

#[test]
fn xpress_real_chunks_decode_with_wimlib() {
    let chunks = real_chunks();
    let (ours, theirs, raw) = check(XPRESS, &chunks, CHUNK, xpress_ours, xpress_decode);
    real_chunks_like_wimlib("XPRESS", chunks.len(), ours, theirs, raw);
}

#[test]
fn xpress_edge_cases_decode_with_wimlib() {
    let chunks = synthetic();
    let (_, _, raw) = check(XPRESS, &chunks, 65536, xpress_ours, xpress_decode);
    assert_eq!(raw, 1, "only the noise chunk is stored raw");
}

#[test]
fn xpress_fast_effort_decodes_with_wimlib() {
    let fast = |c: &[u8]| xpress::compress_with(c, xpress::Effort::Fast);
    let chunks = real_chunks();
    let sizes = check(XPRESS, &chunks, CHUNK, fast, xpress_decode);
    real_chunks_within("XPRESS (fast)", chunks.len(), sizes, 1.04);
    let (_, _, raw) = check(XPRESS, &synthetic(), 65536, fast, xpress_decode);
    assert_eq!(raw, 1, "only the noise chunk is stored raw");
}

#[test]
fn lzx_real_chunks_decode_with_wimlib() {
    let chunks = real_chunks();
    let ours = |c: &[u8]| lzx::compress(c, CHUNK);
    let (ours, theirs, raw) = check(LZX, &chunks, CHUNK, ours, lzx_decode(CHUNK));
    real_chunks_like_wimlib("LZX", chunks.len(), ours, theirs, raw);
}

#[test]
fn lzx_fast_effort_real_chunks_decode_with_wimlib() {
    let chunks = real_chunks();
    let ours = |c: &[u8]| lzx::compress_with(c, CHUNK, lzx::Effort::Fast);
    let sizes = check(LZX, &chunks, CHUNK, ours, lzx_decode(CHUNK));
    real_chunks_within("LZX (fast)", chunks.len(), sizes, 1.05);
}

#[test]
fn lzx_edge_cases_and_large_windows_decode_with_wimlib() {
    let chunks: Vec<Vec<u8>> = synthetic()
        .into_iter()
        .filter(|c| c.len() <= CHUNK)
        .collect();
    let ours = |c: &[u8]| lzx::compress(c, CHUNK);
    let (_, _, raw) = check(LZX, &chunks, CHUNK, ours, lzx_decode(CHUNK));
    assert_eq!(raw, 1, "only the noise chunk is stored raw");
    // 1 MiB chunks (`--chunk-size=1M`): several 64 KiB blocks per chunk.
    let exe = std::fs::read(std::env::current_exe().expect("exe")).expect("read exe");
    let big: Vec<Vec<u8>> = exe.chunks(1 << 20).take(3).map(<[u8]>::to_vec).collect();
    let window = 1 << 20;
    let ours = |c: &[u8]| lzx::compress(c, window);
    let (_, _, raw) = check(LZX, &big, window, ours, lzx_decode(window));
    assert_eq!(raw, 0, "machine code shrinks");
}
