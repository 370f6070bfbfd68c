//! XPRESS test vectors made by the reference implementation: chunks of a WIM captured with
//! `wimlib-imagex capture SRC v.wim --compress=xpress` (wimlib 1.13.5) from the files that
//! `tests/codec_vectors/make_xpress_sources.py` writes, split out by `extract_chunks.py` (see its
//! docstring). Each `NAME.NNN.xpress` must decode to `NAME.NNN.raw`; a chunk without `.xpress`
//! was stored raw. The reassembled blobs must have the SHA-1 of the WIM's blob table
//! (`MANIFEST`). Our compressor's output for the same chunks must round-trip too.
//!
//! Two `#[ignore]`d tests measure things for the docs:
//! - `xpress_decode_throughput`: `XPRESS_BENCH_DIR=<dir of .xpress/.raw pairs> cargo test
//!   --release -p wimcodecs --test xpress_vectors -- --ignored --nocapture xpress_decode_throughput`
//! - `xpress_ratio_vs_wimlib`: the same variable; sums our compressed sizes against wimlib's.
//! - `xpress_write_ours`: `XPRESS_OURS_DIR=<dir>` writes `X.ours`, our compression of each
//!   `X.raw` there (none where it does not shrink), for `codec_vectors/reencode_wim.py` to put
//!   into a WIM that wimlib then verifies: the check that wimlib decodes our output.

use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};
use wimcodecs::xpress::{compress, decompress};

fn vector_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/codec_vectors/xpress")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `(name, sha1 hex, size, nchunks)` from the manifest.
fn manifest(dir: &Path) -> Vec<(String, String, usize, usize)> {
    let text = String::from_utf8(read(&dir.join("MANIFEST"))).expect("utf-8 manifest");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 4, "manifest line {l:?}");
            let num = |s: &str| s.parse::<usize>().expect("number");
            (f[2].to_string(), f[0].to_string(), num(f[1]), num(f[3]))
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn wimlib_chunks_decode_and_match_blob_sha1() {
    let dir = vector_dir();
    let blobs = manifest(&dir);
    assert!(blobs.len() >= 5);
    let mut decoded_chunks = 0;
    for (name, sha1, size, nchunks) in blobs {
        let mut blob = Vec::with_capacity(size);
        for i in 0..nchunks {
            let raw = read(&dir.join(format!("{name}.{i:03}.raw")));
            let xpress = dir.join(format!("{name}.{i:03}.xpress"));
            if xpress.exists() {
                let compressed = read(&xpress);
                let mut out = vec![0u8; raw.len()];
                decompress(&compressed, &mut out)
                    .unwrap_or_else(|e| panic!("{}: {e}", xpress.display()));
                assert!(
                    out == raw,
                    "{} decodes to different bytes",
                    xpress.display()
                );
                decoded_chunks += 1;
                blob.extend_from_slice(&out);

                // Our compressor on the same chunk: must round-trip; note the size.
                if let Some(ours) = compress(&raw) {
                    let mut back = vec![0u8; raw.len()];
                    decompress(&ours, &mut back).expect("our output decodes");
                    assert!(back == raw);
                    eprintln!(
                        "{name}.{i:03}: {} bytes, wimlib {}, ours {}",
                        raw.len(),
                        compressed.len(),
                        ours.len()
                    );
                }
            } else {
                blob.extend_from_slice(&raw);
            }
        }
        assert_eq!(blob.len(), size, "{name}");
        assert_eq!(
            hex(&Sha1::digest(&blob)),
            sha1,
            "{name}: SHA-1 of the reassembled blob"
        );
    }
    assert!(decoded_chunks >= 8);
}

/// CPU time of this thread in seconds: steadier than wall time on a shared, loaded machine.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0);
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// All `(compressed, raw)` pairs in `XPRESS_BENCH_DIR`.
fn bench_pairs() -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let dir = PathBuf::from(std::env::var_os("XPRESS_BENCH_DIR")?);
    let mut pairs = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("bench dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.extension().is_some_and(|e| e == "xpress") {
            pairs.push((read(&p), read(&p.with_extension("raw"))));
        }
    }
    Some(pairs)
}

#[test]
#[ignore = "benchmark: needs XPRESS_BENCH_DIR"]
fn xpress_decode_throughput() {
    let Some(pairs) = bench_pairs() else { return };
    let total: usize = pairs.iter().map(|(_, r)| r.len()).sum();
    let mut out = vec![0u8; 65536];
    for (c, r) in &pairs {
        decompress(c, &mut out[..r.len()]).expect("decodes");
        assert!(out[..r.len()] == r[..]);
    }
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = cpu_seconds();
        for (c, r) in &pairs {
            decompress(c, &mut out[..r.len()]).expect("decodes");
        }
        best = best.min(cpu_seconds() - t);
    }
    eprintln!(
        "{} chunks, {:.1} MiB out: best of 5 {:.3} s CPU = {:.0} MB/s",
        pairs.len(),
        total as f64 / (1 << 20) as f64,
        best,
        total as f64 / best / 1e6
    );
}

#[test]
#[ignore = "measurement: needs XPRESS_BENCH_DIR"]
fn xpress_ratio_vs_wimlib() {
    let Some(pairs) = bench_pairs() else { return };
    let (mut raw, mut theirs, mut ours) = (0usize, 0usize, 0usize);
    let t = cpu_seconds();
    for (c, r) in &pairs {
        raw += r.len();
        theirs += c.len();
        ours += compress(r).map_or(r.len(), |v| v.len());
    }
    let secs = cpu_seconds() - t;
    eprintln!(
        "{} chunks, {raw} bytes: wimlib {theirs} ({:.2}%), ours {ours} ({:.2}%), ours at {:.0} MB/s",
        pairs.len(),
        100.0 * theirs as f64 / raw as f64,
        100.0 * ours as f64 / raw as f64,
        raw as f64 / secs / 1e6
    );
}

#[test]
#[ignore = "tool: needs XPRESS_OURS_DIR"]
fn xpress_write_ours() {
    let Some(dir) = std::env::var_os("XPRESS_OURS_DIR") else {
        return;
    };
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("dir") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "raw") {
            let ours = p.with_extension("ours");
            match compress(&read(&p)) {
                Some(c) => std::fs::write(&ours, c).expect("write"),
                None => {
                    let _ = std::fs::remove_file(&ours);
                }
            }
            n += 1;
        }
    }
    eprintln!("{n} chunks compressed");
}
