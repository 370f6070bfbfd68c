//! Our XPRESS and LZX compressors against wimlib's on the same chunks, in one run: total
//! compressed size and compression speed per core (docs/benchmarks.md, "XPRESS/LZX compressors
//! per core vs wimlib"; driven by `codecs/bench/bench-compressors.sh`).
//!
//! ```text
//! cargo run --release -p wimcodecs --features wimlib-bench --example compress_bench -- \
//!     [--codec xpress|xpress-fast|lzx|lzx-fast|all] [--chunk BYTES] [--max-bytes BYTES] \
//!     [--rounds N] [--only ours|wimlib|none] [--wimlib-level N] PATH...
//! ```
//!
//! The files under the PATHs (directories walked recursively, in sorted order; symlinks
//! skipped) are cut into chunks of `--chunk` bytes (default 32768, the WIM default), each file
//! on its own as in a non-solid WIM resource. When they hold more than `--max-bytes` (default
//! 64 MiB), every k-th chunk is taken so that the sample spans all of them. Each chunk is
//! compressed by ours and by wimlib (`wimlib_compress` at its default level 50, as
//! `wimlib-imagex capture` uses it; through `wimcodecs::wimlib_ffi`), one after the other, so
//! that a change in the machine's load hits both alike; a chunk that does not shrink counts at
//! its raw size, as a WIM stores it. Speeds are input MB per second of this thread's CPU time,
//! the best of `--rounds` (default 3) passes. In the first pass every chunk of ours is decoded
//! by our decoder and by wimlib's and compared with the input.
//!
//! `--wimlib-level N` sets wimlib's compression level (default 0, its default 50; e.g. 44 for
//! its LZX compressor with one optimization pass instead of two).
//!
//! `lzx-fast` and `xpress-fast` are our compressors at `Effort::Fast` (the commit's), against
//! the same wimlib level.
//!
//! `--only ours|wimlib` runs one compressor only, without verification, and `--only none`
//! only loads the data: for `valgrind --tool=callgrind`, whose instruction counts do not depend
//! on the machine's load (subtract the `none` run's count, the loading).

mod bench_support;

use std::path::PathBuf;
use std::time::Duration;

use bench_support::{cpu_time, walk};

use wimcodecs::wimlib_ffi::{Compressor, Decompressor, LZX, XPRESS};
use wimcodecs::{lzx, xpress};

/// Which compressors run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Only {
    Both,
    Ours,
    Wimlib,
    Neither,
}

/// One codec: our compressor and decoder, and wimlib's type number.
struct Codec {
    name: &'static str,
    ctype: i32,
    compress: fn(&[u8], usize) -> Option<Vec<u8>>,
    decompress: fn(&[u8], &mut [u8], usize) -> bool,
}

fn xpress_compress(c: &[u8], _chunk: usize) -> Option<Vec<u8>> {
    xpress::compress(c)
}

fn xpress_decompress(c: &[u8], out: &mut [u8], _chunk: usize) -> bool {
    xpress::decompress(c, out).is_ok()
}

fn lzx_decompress(c: &[u8], out: &mut [u8], chunk: usize) -> bool {
    lzx::decompress(c, out, chunk).is_ok()
}

fn xpress_compress_fast(c: &[u8], _chunk: usize) -> Option<Vec<u8>> {
    xpress::compress_with(c, xpress::Effort::Fast)
}

fn lzx_compress_fast(c: &[u8], chunk: usize) -> Option<Vec<u8>> {
    lzx::compress_with(c, chunk, lzx::Effort::Fast)
}

const CODECS: [Codec; 4] = [
    Codec {
        name: "XPRESS",
        ctype: XPRESS,
        compress: xpress_compress,
        decompress: xpress_decompress,
    },
    Codec {
        name: "XPRESS-fast",
        ctype: XPRESS,
        compress: xpress_compress_fast,
        decompress: xpress_decompress,
    },
    Codec {
        name: "LZX",
        ctype: LZX,
        compress: lzx::compress,
        decompress: lzx_decompress,
    },
    Codec {
        name: "LZX-fast",
        ctype: LZX,
        compress: lzx_compress_fast,
        decompress: lzx_decompress,
    },
];

fn main() {
    let mut chunk = 32_768usize;
    let mut max_bytes = 64usize << 20;
    let mut rounds = 3usize;
    let mut codec = String::from("all");
    let mut only = Only::Both;
    let mut level = 0u32;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--chunk" => chunk = value().parse().expect("--chunk BYTES"),
            "--max-bytes" => max_bytes = value().parse().expect("--max-bytes BYTES"),
            "--rounds" => rounds = value().parse().expect("--rounds N"),
            "--codec" => codec = value(),
            "--wimlib-level" => level = value().parse().expect("--wimlib-level N"),
            "--only" => {
                only = match value().as_str() {
                    "ours" => Only::Ours,
                    "wimlib" => Only::Wimlib,
                    "none" => Only::Neither,
                    o => panic!("--only ours|wimlib|none, not {o}"),
                }
            }
            _ => paths.push(PathBuf::from(a)),
        }
    }
    let chunks = load(&paths, chunk, max_bytes);
    let total: usize = chunks.iter().map(Vec::len).sum();
    println!(
        "{:.1} MB in {} chunks of at most {} bytes from {:?}",
        total as f64 / 1e6,
        chunks.len(),
        chunk,
        paths
    );
    for c in CODECS
        .iter()
        .filter(|c| codec == "all" || c.name.eq_ignore_ascii_case(&codec))
    {
        if only != Only::Neither {
            run(c, &chunks, chunk, rounds.max(1), only, level);
        }
    }
}

/// The chunks of the files under `paths`, sampled down to about `max_bytes`.
fn load(paths: &[PathBuf], chunk: usize, max_bytes: usize) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    for p in paths {
        walk(p, &mut files);
    }
    let mut all: Vec<Vec<u8>> = Vec::new();
    for f in &files {
        if let Ok(data) = std::fs::read(f) {
            all.extend(data.chunks(chunk).map(<[u8]>::to_vec));
        }
    }
    let total: usize = all.iter().map(Vec::len).sum();
    assert!(total > 0, "no data under {paths:?}");
    let stride = total.div_ceil(max_bytes.max(1)).max(1);
    all.into_iter().step_by(stride).collect()
}

fn run(c: &Codec, chunks: &[Vec<u8>], chunk: usize, rounds: usize, only: Only, level: u32) {
    let mut wimlib = Compressor::new(c.ctype, chunk, level);
    let mut wimlib_dec = Decompressor::new(c.ctype, chunk);
    let total: usize = chunks.iter().map(Vec::len).sum();
    let (mut best_ours, mut best_wimlib) = (Duration::MAX, Duration::MAX);
    let (mut ours_size, mut wimlib_size) = (0usize, 0usize);
    let mut out = vec![0u8; chunk];
    for round in 0..rounds {
        let (mut t_ours, mut t_wimlib) = (Duration::ZERO, Duration::ZERO);
        let (mut s_ours, mut s_wimlib) = (0usize, 0usize);
        for data in chunks {
            if only != Only::Wimlib {
                let t = cpu_time();
                let o = (c.compress)(data, chunk);
                t_ours += cpu_time() - t;
                s_ours += o.as_ref().map_or(data.len(), Vec::len);
                if round == 0 && only == Only::Both {
                    if let Some(packed) = &o {
                        let out = &mut out[..data.len()];
                        assert!(
                            (c.decompress)(packed, out, chunk) && out == &data[..],
                            "{}: our decoder rejects or changes our chunk",
                            c.name
                        );
                        out.fill(0);
                        assert!(
                            wimlib_dec.decompress(packed, out) && out == &data[..],
                            "{}: wimlib's decoder rejects or changes our chunk",
                            c.name
                        );
                    }
                }
            }
            if only != Only::Ours {
                let t = cpu_time();
                let w = wimlib.compress(data);
                t_wimlib += cpu_time() - t;
                s_wimlib += w.as_ref().map_or(data.len(), Vec::len);
            }
        }
        best_ours = best_ours.min(t_ours);
        best_wimlib = best_wimlib.min(t_wimlib);
        (ours_size, wimlib_size) = (s_ours, s_wimlib);
    }
    let mb = total as f64 / 1e6;
    let speed = |t: Duration| mb / t.as_secs_f64().max(1e-9);
    println!(
        "{:6} ours {:>11} bytes {:7.2} MB/s | wimlib {:>11} bytes {:7.2} MB/s | size ours/wimlib \
         {:.4} ({:+.2}%) | speed ours/wimlib {:.2}{}",
        c.name,
        ours_size,
        speed(best_ours),
        wimlib_size,
        speed(best_wimlib),
        ours_size as f64 / wimlib_size.max(1) as f64,
        (ours_size as f64 / wimlib_size.max(1) as f64 - 1.0) * 100.0,
        speed(best_ours) / speed(best_wimlib),
        if only == Only::Both {
            "; all our chunks verified by our decoder and wimlib's"
        } else {
            ""
        }
    );
}
