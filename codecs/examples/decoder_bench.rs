//! Decoder speed per core against wimlib's, on the same chunks in one run.
//!
//! ```text
//! cargo run --release -p wimcodecs --features wimlib-bench --example decoder_bench -- \
//!     [--rounds N] [--only ours|wimlib] PACK...
//! ```
//!
//! Each PACK holds the compressed chunks of one WIM (`codecs/bench/wim_chunk_pack.py`). Every
//! chunk is decoded once by wimlib (`wimlib_decompress`, the public API of libwim, linked
//! through the small FFI declaration below; Debian package `libwim-dev`) and once by ours, and
//! the outputs must be identical. Then, `N` times (default 5), alternating, every chunk of the
//! pack is decoded by each side on this thread; the best round of each is reported as MB/s of
//! decoded output per second of this thread's CPU time, with the speed ratio ours / wimlib
//! (above 1: ours is faster) and the time ratio (below 1: ours is faster). `codecs/bench/bench-decoders.sh` makes the packs and runs this.

use std::time::Duration;

use wimcodecs::wimlib_ffi::Decompressor;

/// One compressed chunk of a pack.
struct Chunk {
    codec: u8,
    window: usize,
    stored: Vec<u8>,
    raw_len: usize,
}

fn load(path: &str) -> Vec<Chunk> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut chunks = Vec::new();
    let mut pos = 0;
    let u32_at =
        |p: usize| u32::from_le_bytes(data[p..p + 4].try_into().expect("4 bytes")) as usize;
    while pos + 13 <= data.len() {
        let (codec, window, len, raw_len) =
            (data[pos], u32_at(pos + 1), u32_at(pos + 5), u32_at(pos + 9));
        let stored = data[pos + 13..pos + 13 + len].to_vec();
        chunks.push(Chunk {
            codec,
            window,
            stored,
            raw_len,
        });
        pos += 13 + len;
    }
    assert!(!chunks.is_empty(), "{path}: no chunks");
    chunks
}

/// Decodes one chunk with our decoder.
fn ours(c: &Chunk, out: &mut [u8]) {
    let r = match c.codec {
        1 => wimcodecs::xpress::decompress(&c.stored, out),
        2 => wimcodecs::lzx::decompress(&c.stored, out, c.window),
        _ => wimcodecs::lzms::decompress(&c.stored, out),
    };
    if let Err(e) = r {
        panic!("our decoder failed: {e}");
    }
}

/// wimlib's decompressor for one pack (through `wimcodecs::wimlib_ffi`).
struct Wimlib(Decompressor);

impl Wimlib {
    fn new(codec: u8, max_block: usize) -> Self {
        Wimlib(Decompressor::new(i32::from(codec), max_block))
    }

    fn decode(&mut self, c: &Chunk, out: &mut [u8]) {
        assert!(
            self.0.decompress(&c.stored, out),
            "wimlib_decompress failed"
        );
    }
}

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn time(chunks: &[Chunk], out: &mut [u8], f: &mut dyn FnMut(&Chunk, &mut [u8])) -> f64 {
    let t0 = thread_cpu();
    for c in chunks {
        f(c, &mut out[..c.raw_len]);
    }
    (thread_cpu() - t0).as_secs_f64()
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut rounds = 5;
    if let Some(i) = args.iter().position(|a| a == "--rounds") {
        rounds = args
            .get(i + 1)
            .and_then(|n| n.parse().ok())
            .expect("--rounds N");
        args.drain(i..i + 2);
    }
    // For profiling one side: `--only ours` or `--only wimlib` (after the output check).
    let mut only = String::new();
    if let Some(i) = args.iter().position(|a| a == "--only") {
        only = args.get(i + 1).cloned().expect("--only ours|wimlib");
        args.drain(i..i + 2);
    }
    println!(
        "| chunks | codec (largest chunk) | decoded MiB | ours MB/s | wimlib MB/s | \
         speed ours/wimlib | time ours/wimlib |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for path in &args {
        let chunks = load(path);
        let max = chunks
            .iter()
            .map(|c| c.raw_len.max(c.window))
            .max()
            .unwrap_or(0);
        let total: usize = chunks.iter().map(|c| c.raw_len).sum();
        let mut wimlib = Wimlib::new(chunks[0].codec, max);
        let (mut a, mut b) = (vec![0u8; max], vec![0u8; max]);
        for (k, c) in chunks.iter().enumerate() {
            wimlib.decode(c, &mut a[..c.raw_len]);
            ours(c, &mut b[..c.raw_len]);
            assert!(
                a[..c.raw_len] == b[..c.raw_len],
                "{path}: chunk {k} decodes differently"
            );
        }
        let (mut best_ours, mut best_wimlib) = (f64::MAX, f64::MAX);
        for _ in 0..rounds {
            if only != "wimlib" {
                best_ours = best_ours.min(time(&chunks, &mut b, &mut ours));
            }
            if only != "ours" {
                let t = time(&chunks, &mut a, &mut |c, o| wimlib.decode(c, o));
                best_wimlib = best_wimlib.min(t);
            }
        }
        let name = ["", "XPRESS", "LZX", "LZMS"][usize::from(chunks[0].codec.min(3))];
        let (o, w) = (
            total as f64 / best_ours / 1e6,
            total as f64 / best_wimlib / 1e6,
        );
        println!(
            "| {} of {path} | {name} ({} KiB) | {:.1} | {o:.0} | {w:.0} | {:.2} | {:.2} |",
            chunks.len(),
            chunks.iter().map(|c| c.raw_len).max().unwrap_or(0) / 1024,
            total as f64 / (1 << 20) as f64,
            o / w,
            w / o
        );
    }
}
