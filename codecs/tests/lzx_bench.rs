//! Throughput and ratio measurements over a "pack" of chunks cut from a real LZX WIM. Ignored
//! by default; run with
//!
//! ```text
//! LZX_BENCH_PACK=/tmp/corpus32k.pack cargo test --release -p wimcodecs --test lzx_bench \
//!     -- --ignored --nocapture
//! ```
//!
//! A pack is a sequence of records `u8 kind (0 = LZX chunk, 1 = stored raw), u32 window,
//! u32 compressed length, u32 raw length, compressed bytes, raw bytes` (little-endian), as
//! written by `tests/codec_vectors/extract_lzx_chunks.py WIM SRC --pack PACK` from a WIM made
//! by `wimlib-imagex capture SRC WIM --compress=lzx [--chunk-size=2M]`. The same pack fed to
//! `tests/codec_vectors/wimlib_lzx_bench.c` gives wimlib's own numbers; a pack of our output
//! (`write_our_pack`) fed to it checks that wimlib decodes what we encode.

use std::time::Instant;

/// CPU time of this thread, seconds (the machine may be shared: wall time is noisy).
fn cpu_secs() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the valid, exclusive `ts`.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

use wimcodecs::lzx;

struct Chunk {
    lzx: bool,
    window: usize,
    comp: Vec<u8>,
    raw: Vec<u8>,
}

fn load() -> Option<Vec<Chunk>> {
    let path = std::env::var("LZX_BENCH_PACK").ok()?;
    let data = std::fs::read(&path).expect("pack file");
    let mut v = Vec::new();
    let mut p = 0;
    let u32_at =
        |p: usize| u32::from_le_bytes(data[p..p + 4].try_into().expect("4 bytes")) as usize;
    while p < data.len() {
        let kind = data[p];
        let window = u32_at(p + 1);
        let cl = u32_at(p + 5);
        let rl = u32_at(p + 9);
        p += 13;
        let comp = data[p..p + cl].to_vec();
        p += cl;
        let raw = data[p..p + rl].to_vec();
        p += rl;
        v.push(Chunk {
            lzx: kind == 0,
            window,
            comp,
            raw,
        });
    }
    Some(v)
}

#[test]
#[ignore]
fn decode_throughput() {
    let Some(chunks) = load() else {
        eprintln!("set LZX_BENCH_PACK");
        return;
    };
    let lzx: Vec<&Chunk> = chunks.iter().filter(|c| c.lzx).collect();
    let total: usize = lzx.iter().map(|c| c.raw.len()).sum();
    let mut out = vec![0u8; 2 << 20];
    // Verify once, then time the best of 3 passes.
    for c in &lzx {
        let o = &mut out[..c.raw.len()];
        lzx::decompress(&c.comp, o, c.window).expect("decodes");
        assert!(o == &c.raw[..]);
    }
    let mut best = f64::MAX;
    let mut best_wall = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let c0 = cpu_secs();
        for c in &lzx {
            lzx::decompress(&c.comp, &mut out[..c.raw.len()], c.window).expect("decodes");
        }
        best = best.min(cpu_secs() - c0);
        best_wall = best_wall.min(t.elapsed().as_secs_f64());
    }
    println!(
        "decoded {} LZX chunks, {:.1} MB in {:.3} s CPU ({:.3} s wall): {:.0} MB/s (single thread)",
        lzx.len(),
        total as f64 / 1e6,
        best,
        best_wall,
        total as f64 / 1e6 / best
    );
}

#[test]
#[ignore]
fn compress_ratio_vs_reference() {
    let Some(chunks) = load() else {
        eprintln!("set LZX_BENCH_PACK");
        return;
    };
    // LZX_BENCH_STRIDE=k: only every k-th chunk (quicker tuning runs).
    let stride = std::env::var("LZX_BENCH_STRIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1usize);
    let chunks: Vec<&Chunk> = chunks.iter().step_by(stride.max(1)).collect();
    let (mut raw, mut theirs, mut ours) = (0usize, 0usize, 0usize);
    let c0 = cpu_secs();
    let mut out = vec![0u8; 2 << 20];
    for c in chunks.iter().copied() {
        raw += c.raw.len();
        theirs += c.comp.len();
        let mine = match lzx::compress(&c.raw, c.window) {
            Some(v) => {
                let o = &mut out[..c.raw.len()];
                lzx::decompress(&v, o, c.window).expect("our output decodes");
                assert!(o == &c.raw[..], "round trip");
                v.len()
            }
            None => c.raw.len(),
        };
        ours += mine;
    }
    let secs = cpu_secs() - c0;
    println!(
        "{} chunks, {:.1} MB raw: reference {} bytes, ours {} bytes ({:+.2}%), {:.1} MB/s CPU \
         (compress + verify)",
        chunks.len(),
        raw as f64 / 1e6,
        theirs,
        ours,
        (ours as f64 / theirs as f64 - 1.0) * 100.0,
        raw as f64 / 1e6 / secs
    );
}

/// Writes our compressed chunks as a pack (`LZX_BENCH_OUT`), for decoding by another LZX
/// implementation (for instance wimlib's `wimlib_decompress`) to check compatibility.
#[test]
#[ignore]
fn write_our_pack() {
    let (Some(chunks), Ok(out_path)) = (load(), std::env::var("LZX_BENCH_OUT")) else {
        eprintln!("set LZX_BENCH_PACK and LZX_BENCH_OUT");
        return;
    };
    let stride = std::env::var("LZX_BENCH_STRIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1usize);
    let mut out = Vec::new();
    let mut n = 0;
    for c in chunks.iter().step_by(stride.max(1)) {
        let (kind, comp) = match lzx::compress(&c.raw, c.window) {
            Some(v) => (0u8, v),
            None => (1u8, c.raw.clone()),
        };
        out.push(kind);
        out.extend_from_slice(&(c.window as u32).to_le_bytes());
        out.extend_from_slice(&(comp.len() as u32).to_le_bytes());
        out.extend_from_slice(&(c.raw.len() as u32).to_le_bytes());
        out.extend_from_slice(&comp);
        out.extend_from_slice(&c.raw);
        n += 1;
    }
    std::fs::write(&out_path, out).expect("write pack");
    println!("wrote {n} chunks to {out_path}");
}
