//! Decodes the LZMS chunks made by the reference encoder (`wimlib-imagex capture
//! --compress=lzms`, default 128 KiB chunks and `--chunk-size=32K`, and `--solid`) and compares
//! them with the captured files' bytes. The pairs `NAME.lzms` / `NAME.raw` (or `NAME.sha1`,
//! "HEX SIZE", for chunks too big to commit) under `tests/codec_vectors/lzms/` were cut out of
//! those WIMs by `tests/codec_vectors/extract_lzms_chunks.py`; `MANIFEST` there lists the
//! commands. Set `LZMS_VECTOR_DIR` to check another directory of such pairs too.

use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};
use wimcodecs::lzms;

fn chunks(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("vector dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "lzms"))
        .collect();
    v.sort();
    v
}

/// What a chunk must decode to: its bytes, or a SHA-1 and a size.
enum Expected {
    Bytes(Vec<u8>),
    Digest(String, usize),
}

fn expected(lzms_path: &Path) -> Expected {
    let raw = lzms_path.with_extension("raw");
    if raw.exists() {
        return Expected::Bytes(std::fs::read(raw).expect("raw file"));
    }
    let text = std::fs::read_to_string(lzms_path.with_extension("sha1")).expect(".raw or .sha1");
    let mut it = text.split_whitespace();
    let hex = it.next().expect("digest").to_string();
    let size = it.next().and_then(|s| s.parse().ok()).expect("size");
    Expected::Digest(hex, size)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_dir(dir: &Path) -> usize {
    let mut n = 0;
    for path in chunks(dir) {
        let compressed = std::fs::read(&path).expect("lzms file");
        let want = expected(&path);
        let size = match &want {
            Expected::Bytes(b) => b.len(),
            Expected::Digest(_, s) => *s,
        };
        let mut out = vec![0u8; size];
        lzms::decompress(&compressed, &mut out)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        match &want {
            Expected::Bytes(b) => {
                if let Some(i) = out.iter().zip(b).position(|(x, y)| x != y) {
                    panic!("{}: decoded bytes differ from byte {i}", path.display());
                }
            }
            Expected::Digest(h, _) => {
                assert_eq!(&hex(&Sha1::digest(&out)), h, "{}", path.display());
            }
        }
        n += 1;
    }
    n
}

/// Truncated and bit-flipped copies of every committed chunk: never a panic; a truncated chunk
/// must fail or decode to something else.
#[test]
fn damaged_vectors_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/codec_vectors/lzms");
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for path in chunks(&dir) {
        let compressed = std::fs::read(&path).expect("lzms file");
        let size = match expected(&path) {
            Expected::Bytes(b) => b.len(),
            Expected::Digest(_, s) => s,
        };
        let mut good = vec![0u8; size];
        lzms::decompress(&compressed, &mut good).expect("decodes");
        let mut out = vec![0u8; size];
        let n = compressed.len();
        for cut in [n / 4, n / 2, n - 2, 2] {
            let cut = cut & !1;
            if cut >= n {
                continue;
            }
            let r = lzms::decompress(&compressed[..cut], &mut out);
            assert!(r.is_err() || out != good, "{} cut at {cut}", path.display());
            // The tail alone (the backward stream intact, the forward one gone).
            let _ = lzms::decompress(&compressed[n - cut..], &mut out);
        }
        for _ in 0..40 {
            let mut damaged = compressed.clone();
            for _ in 0..1 + next() % 4 {
                let bit = (next() % (8 * n as u64)) as usize;
                damaged[bit / 8] ^= 1 << (bit % 8);
            }
            let _ = lzms::decompress(&damaged, &mut out);
        }
        // Wrong output sizes.
        for size in [1, 2, 17, 18, size / 2, size + 1, 2 * size] {
            let mut o = vec![0u8; size];
            let _ = lzms::decompress(&compressed, &mut o);
        }
    }
}

#[test]
fn reference_vectors_decode() {
    if let Ok(extra) = std::env::var("LZMS_VECTOR_DIR") {
        let m = check_dir(Path::new(&extra));
        println!("checked {m} chunks in {extra}");
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/codec_vectors/lzms");
    let n = check_dir(&dir);
    assert!(n >= 6, "expected the committed LZMS vectors, found {n}");
}

/// Decode speed over a directory of chunks (`LZMS_BENCH_DIR`, e.g. every chunk of a WIM cut
/// out by `extract_lzms_chunks.py`): `cargo test --release -p wimcodecs --test lzms_vectors --
/// --ignored --nocapture`. Compare with `bench_wimlib_lzms.py DIR` (wimlib's decoder, same
/// chunks).
#[test]
#[ignore = "benchmark; needs LZMS_BENCH_DIR"]
fn bench_dir() {
    let Ok(dir) = std::env::var("LZMS_BENCH_DIR") else {
        println!("LZMS_BENCH_DIR not set");
        return;
    };
    let rounds: usize = std::env::var("LZMS_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let items: Vec<(Vec<u8>, usize)> = chunks(Path::new(&dir))
        .into_iter()
        .map(|p| {
            let size = match expected(&p) {
                Expected::Bytes(b) => b.len(),
                Expected::Digest(_, s) => s,
            };
            (std::fs::read(&p).expect("lzms file"), size)
        })
        .collect();
    assert!(check_dir(Path::new(&dir)) == items.len());
    let total: usize = items.iter().map(|(_, s)| s).sum();
    let max = items.iter().map(|(_, s)| *s).max().unwrap_or(0);
    let mut out = vec![0u8; max];
    let (mut best, mut best_cpu) = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        let (t0, c0) = (std::time::Instant::now(), thread_cpu_seconds());
        for (c, size) in &items {
            lzms::decompress(c, &mut out[..*size]).expect("decodes");
        }
        best = best.min(t0.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(thread_cpu_seconds() - c0);
    }
    println!(
        "wimfs lzms: {} chunks, {total} bytes out, best of {rounds}: {best:.3} s wall = {:.1} MB/s, \
         {best_cpu:.2} s CPU = {:.1} MB/s",
        items.len(),
        total as f64 / best / 1e6,
        total as f64 / best_cpu / 1e6
    );
}

/// CPU time of this thread (user + system), from /proc (10 ms resolution): steadier than wall
/// time on a shared machine.
fn thread_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the parenthesized command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}
