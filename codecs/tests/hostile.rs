//! Valid chunks made by wimlib (`tests/codec_vectors/`), damaged at random: a few bytes changed,
//! truncated or extended. A valid start takes the decoders deep into their fast loops (wide
//! refills, extra length bytes, long matches) before the damage, which random bytes rarely do.
//! Every outcome must be Ok or a `DecodeError`: no panic (these tests run with overflow
//! checks in the test profile), no hang, and no dependence on the output buffer's contents.

use std::path::{Path, PathBuf};

use wimcodecs::{lzms, lzx, xpress, DecodeError};

/// (compressed, decoded size, window) of every vector whose name ends in `.ext`.
fn vectors(dir: &str, ext: &str) -> Vec<(Vec<u8>, usize, usize)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/codec_vectors")
        .join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("vector dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let raw = std::fs::read(p.with_extension("raw")).ok()?;
            let name = p.file_stem()?.to_str()?.to_owned();
            let window = name
                .rsplit('.')
                .next()
                .and_then(|w| w.strip_prefix('w')?.parse().ok())
                .unwrap_or(0);
            Some((std::fs::read(&p).expect("vector"), raw.len(), window))
        })
        .collect()
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
}

/// Decodes `rounds` damaged copies of every vector into buffers of two different fills.
fn damage(
    vectors: &[(Vec<u8>, usize, usize)],
    rounds: usize,
    decode: impl Fn(&[u8], &mut [u8], usize) -> Result<(), DecodeError>,
) -> usize {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut failures = 0;
    for (input, size, window) in vectors {
        for _ in 0..rounds {
            let mut d = input.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = rng.next() % d.len();
                d[at] = rng.next() as u8;
            }
            match rng.next() % 4 {
                0 => d.truncate(rng.next() % (d.len() + 1)),
                1 => d.extend((0..rng.next() % 16).map(|_| rng.next() as u8)),
                _ => {}
            }
            let mut a = vec![0u8; *size];
            let mut b = vec![0xA5u8; *size];
            let (ra, rb) = (decode(&d, &mut a, *window), decode(&d, &mut b, *window));
            assert_eq!(ra.is_ok(), rb.is_ok());
            if ra.is_ok() {
                assert!(a == b, "output depends on the buffer's contents");
            } else {
                failures += 1;
            }
        }
    }
    failures
}

#[test]
fn damaged_xpress_chunks() {
    let v = vectors("xpress", "xpress");
    assert!(v.len() >= 5, "expected the committed XPRESS vectors");
    let failed = damage(&v, 300, |i, o, _| xpress::decompress(i, o));
    assert!(failed > 0, "damage must be detected sometimes");
}

#[test]
fn damaged_lzx_chunks() {
    let v = vectors("", "lzx");
    assert!(v.len() >= 6, "expected the committed LZX vectors");
    let failed = damage(&v, 300, lzx::decompress);
    assert!(failed > 0, "damage must be detected sometimes");
}

#[test]
fn damaged_lzms_chunks() {
    let v = vectors("lzms", "lzms");
    assert!(v.len() >= 8, "expected the committed LZMS vectors");
    let failed = damage(&v, 200, |i, o, _| lzms::decompress(i, o));
    assert!(failed > 0, "damage must be detected sometimes");
}
