//! Random-range reads across the files of every image at once, each compared byte for byte
//! with the oracle's copy. A fixed seed per thread makes a failure reproduce.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// One file to read: where the mount shows it and the oracle's copy.
#[derive(Debug, Clone)]
pub struct Target {
    /// The image or ISO it belongs to (for the report).
    pub owner: String,
    pub mounted: PathBuf,
    pub oracle: PathBuf,
    pub size: u64,
}

/// Every non-empty regular file below `oracle_root` (symlinks and special files left out), as
/// shown below `mount_root`, skipping relative paths for which `skip` is true.
pub fn targets(
    owner: &str,
    mount_root: &Path,
    oracle_root: &Path,
    skip: &dyn Fn(&Path) -> bool,
) -> Vec<Target> {
    let mut out = Vec::new();
    let mut stack = vec![oracle_root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e.expect("entry").path();
            let rel = p.strip_prefix(oracle_root).expect("below root");
            let m = std::fs::symlink_metadata(&p).expect("lstat");
            if skip(rel) {
                continue;
            }
            if m.is_dir() {
                stack.push(p);
            } else if m.is_file() && m.len() > 0 {
                out.push(Target {
                    owner: owner.to_string(),
                    mounted: mount_root.join(rel),
                    oracle: p,
                    size: m.len(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.oracle.cmp(&b.oracle));
    out
}

/// xorshift64*: small, seedable, good enough to pick offsets.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A read range in a file of `size` bytes: small, medium and large lengths, a quarter of them
/// straddling a 32 KiB chunk boundary (where a wrong chunk shows first).
pub fn pick_range(rng: &mut Rng, size: u64) -> (u64, u64) {
    const CHUNK: u64 = 32 * 1024;
    let offset = if rng.below(4) == 0 && size > CHUNK {
        let boundary = CHUNK * (1 + rng.below((size - 1) / CHUNK));
        boundary.saturating_sub(rng.below(512))
    } else {
        rng.below(size)
    };
    let max = match rng.below(10) {
        0..=4 => 4096,
        5..=7 => 64 * 1024,
        _ => 1024 * 1024,
    };
    let len = 1 + rng.below(max.min(size - offset));
    (offset, len)
}

fn read_range(path: &Path, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0; usize::try_from(len).expect("small")];
    File::open(path)?.read_exact_at(&mut buf, offset)?;
    Ok(buf)
}

/// What one stress thread saw.
#[derive(Debug, Default)]
pub struct Outcome {
    pub reads: usize,
    /// (owner, description) of every failed read.
    pub failures: Vec<(String, String)>,
}

/// `reads` random-range reads over `targets` (each through a fresh open), seeded by `seed`.
pub fn stress(targets: &[Target], seed: u64, reads: usize) -> Outcome {
    let mut rng = Rng::new(seed);
    let mut out = Outcome::default();
    for _ in 0..reads {
        let t = &targets[usize::try_from(rng.below(targets.len() as u64)).expect("index")];
        let (offset, len) = pick_range(&mut rng, t.size);
        out.reads += 1;
        let want = read_range(&t.oracle, offset, len).expect("oracle read");
        let what = format!("{} @{offset}+{len} (seed {seed})", t.mounted.display());
        match read_range(&t.mounted, offset, len) {
            Err(e) => out.failures.push((t.owner.clone(), format!("{what}: {e}"))),
            Ok(got) if got != want => {
                let at = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(0);
                let zeros = got.iter().all(|&b| b == 0);
                out.failures.push((
                    t.owner.clone(),
                    format!(
                        "{what}: wrong bytes from +{at}{}",
                        if zeros { " (all zeros)" } else { "" }
                    ),
                ));
            }
            Ok(_) => {}
        }
    }
    out
}
