//! Decodes the LZX chunks made by the reference encoder (`wimlib-imagex capture --compress=lzx`,
//! default 32 KiB chunks, `--chunk-size=64K` and `--chunk-size=2M`) and compares them with the
//! captured files' bytes. The pairs `NAME.w<window>.lzx` / `NAME.w<window>.raw` under
//! `tests/codec_vectors/` were cut out of those WIMs by `extract_lzx_chunks.py` (see its header
//! for the exact commands). Set `LZX_VECTOR_DIR` to check another directory of such pairs too.

use std::path::{Path, PathBuf};

use wimcodecs::lzx;

fn window_of(path: &Path) -> usize {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("utf-8 name");
    let w = stem.rsplit('.').next().expect("window part");
    w.strip_prefix('w')
        .and_then(|n| n.parse().ok())
        .expect("name ends in .w<window>")
}

fn pairs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("vector dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "lzx"))
        .collect();
    v.sort();
    v
}

fn check_dir(dir: &Path) -> usize {
    let mut n = 0;
    for lzx_path in pairs(dir) {
        let window = window_of(&lzx_path);
        let compressed = std::fs::read(&lzx_path).expect("lzx file");
        let raw = std::fs::read(lzx_path.with_extension("raw")).expect("raw file");
        let mut out = vec![0u8; raw.len()];
        lzx::decompress(&compressed, &mut out, window)
            .unwrap_or_else(|e| panic!("{}: {e}", lzx_path.display()));
        assert!(out == raw, "{}: decoded bytes differ", lzx_path.display());
        // Any truncation must fail (or, at worst, decode differently), never panic.
        for cut in [compressed.len() / 2, compressed.len().saturating_sub(2)] {
            let mut o = vec![0u8; raw.len()];
            let r = lzx::decompress(&compressed[..cut], &mut o, window);
            assert!(
                r.is_err() || o != raw || cut == compressed.len(),
                "{}",
                lzx_path.display()
            );
        }
        n += 1;
    }
    n
}

#[test]
fn reference_vectors_decode() {
    if let Ok(extra) = std::env::var("LZX_VECTOR_DIR") {
        let m = check_dir(Path::new(&extra));
        println!("checked {m} pairs in {extra}");
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/codec_vectors");
    let n = check_dir(&dir);
    assert!(n >= 6, "expected the committed LZX vectors, found {n}");
}
