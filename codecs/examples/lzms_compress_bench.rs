//! Our LZMS compressor against wimlib's on the same chunks, in one run: compressed size and
//! compression speed per core.
//!
//! ```text
//! cargo run --release -p wimcodecs --features wimlib-bench --example lzms_compress_bench -- \
//!     [--chunk BYTES] [--solid] [--max-bytes BYTES] [--fast | --light] [--only-ours] PATH...
//! ```
//!
//! The files under the PATHs (directories walked recursively, in sorted order; symlinks
//! skipped) are cut into chunks of `--chunk` bytes (default 131072): each file on its own, as
//! in a non-solid WIM resource, or, with `--solid`, all files concatenated, as in a solid
//! resource (use `--chunk 67108864`). At most `--max-bytes` bytes are read (default 256 MiB).
//! Each chunk is compressed by ours and by wimlib (`wimlib_compress`, default level 50,
//! through `wimcodecs::wimlib_ffi`), alternating; a chunk that does not shrink counts at its
//! raw size, as a WIM stores it. Every chunk of ours is then decoded by wimlib and compared.
//! `--fast` measures `lzms::compress_fast` instead of `lzms::compress`, `--light`
//! `lzms::compress_with_effort(.., Effort::Light)` (what commits use); `--only-ours` skips
//! wimlib's compressor (its columns are then meaningless).
//! Times are this thread's CPU time.

mod bench_support;

use std::path::PathBuf;
use std::time::Duration;

use bench_support::{cpu_time, walk};

use wimcodecs::lzms;
use wimcodecs::wimlib_ffi::{Compressor, Decompressor, LZMS};

fn main() {
    let mut chunk = 131_072usize;
    let mut solid = false;
    let mut skip_wimlib = false;
    let mut fast = false;
    let mut light = false;
    let mut max_bytes = 256usize << 20;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = || -> usize {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{a} needs a number"))
        };
        match a.as_str() {
            "--chunk" => chunk = num(),
            "--max-bytes" => max_bytes = num(),
            "--solid" => solid = true,
            "--only-ours" => skip_wimlib = true,
            "--fast" => fast = true,
            "--light" => light = true,
            _ => paths.push(PathBuf::from(a)),
        }
    }
    let mut files = Vec::new();
    for p in &paths {
        walk(p, &mut files);
    }
    // The data, as the list of chunks a WIM writer would compress.
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut total = 0usize;
    let mut nfiles = 0usize;
    let mut stream: Vec<u8> = Vec::new();
    for f in &files {
        if total >= max_bytes {
            break;
        }
        let Ok(mut data) = std::fs::read(f) else {
            continue;
        };
        data.truncate(max_bytes - total);
        total += data.len();
        nfiles += 1;
        if solid {
            stream.extend_from_slice(&data);
            while stream.len() >= chunk {
                let rest = stream.split_off(chunk);
                chunks.push(std::mem::replace(&mut stream, rest));
            }
        } else {
            chunks.extend(data.chunks(chunk).map(<[u8]>::to_vec));
        }
    }
    if !stream.is_empty() {
        chunks.push(stream);
    }
    assert!(!chunks.is_empty(), "no data under {paths:?}");

    let mut wimlib = Compressor::new(LZMS, chunk, 0);
    let (mut ours_size, mut wimlib_size) = (0usize, 0usize);
    let (mut ours_time, mut wimlib_time) = (Duration::ZERO, Duration::ZERO);
    let mut ours_out = Vec::with_capacity(chunks.len());
    for c in &chunks {
        let t = cpu_time();
        let o = if fast {
            lzms::compress_fast(c)
        } else if light {
            lzms::compress_with_effort(c, lzms::Effort::Light)
        } else {
            lzms::compress(c)
        };
        ours_time += cpu_time() - t;
        let t = cpu_time();
        let w = if skip_wimlib {
            None
        } else {
            wimlib.compress(c)
        };
        wimlib_time += cpu_time() - t;
        ours_size += o.as_ref().map_or(c.len(), Vec::len);
        wimlib_size += w.as_ref().map_or(c.len(), Vec::len);
        ours_out.push(o);
    }
    let mut dec = Decompressor::new(LZMS, chunk);
    let mut out = Vec::new();
    for (c, o) in chunks.iter().zip(&ours_out) {
        if let Some(packed) = o {
            out.resize(c.len(), 0);
            assert!(
                dec.decompress(packed, &mut out) && out == *c,
                "wimlib: our chunk differs"
            );
        }
    }
    let mb = total as f64 / 1e6;
    println!(
        "{} files, {:.1} MB in {} chunks of {} bytes ({}); all our chunks verified by wimlib",
        nfiles,
        mb,
        chunks.len(),
        chunk,
        if solid { "solid" } else { "per file" }
    );
    println!(
        "size:  ours {ours_size}  wimlib {wimlib_size}  ratio {:.3}",
        ours_size as f64 / wimlib_size as f64
    );
    println!(
        "speed: ours {:.2} MB/s ({:.1} s)  wimlib {:.2} MB/s ({:.1} s)  time ratio {:.2}",
        mb / ours_time.as_secs_f64(),
        ours_time.as_secs_f64(),
        mb / wimlib_time.as_secs_f64(),
        wimlib_time.as_secs_f64(),
        ours_time.as_secs_f64() / wimlib_time.as_secs_f64()
    );
}
