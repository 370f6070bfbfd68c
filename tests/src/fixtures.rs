//! Fixture builders: the committed fixture scripts (tests/fixtures/*.sh) run once per target
//! directory under a file lock (each script caches its output by its own hash), and small trees
//! and images made on the spot with the real tools (noise files, xorriso / genisoimage ISOs).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::bins::{crate_dir, target_dir};
use crate::lock::FileLock;
use crate::process::{require_tools, run, run_ok};

/// Runs the committed fixture script `tests/fixtures/<script>` into `dir` (created) under the
/// lock `<dir>.lock`, so parallel test processes build it once; returns `dir`.
pub fn script_fixture(script: &str, dir: &Path) -> PathBuf {
    fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    let _lock = FileLock::acquire(&dir.with_extension("lock"));
    let script = crate_dir().join("fixtures").join(script);
    let out = run(
        Command::new("bash").arg(&script).arg(dir),
        Duration::from_secs(900),
    );
    assert!(out.success(), "building the fixture failed:\n{out}");
    dir.to_path_buf()
}

/// `<target>/fixtures/<name>`: where [`script_fixture`] outputs live by default.
pub fn fixture_dir(name: &str) -> PathBuf {
    target_dir().join("fixtures").join(name)
}

/// One generated WIM, as listed in the fixture directory's fixtures.tsv.
#[derive(Debug, Clone)]
pub struct WimFixture {
    /// File name, e.g. `lzx.wim`.
    pub name: String,
    /// Full path.
    pub path: PathBuf,
    /// Number of images.
    pub images: u32,
    /// Extra `wimlib-imagex apply` arguments (`--unix-data`).
    pub apply_args: Vec<String>,
    /// What it is.
    pub note: String,
}

impl WimFixture {
    /// Captured with `--unix-data`: modes and owners are meaningful.
    pub fn unix_data(&self) -> bool {
        self.apply_args.iter().any(|a| a == "--unix-data")
    }
}

/// Where the generated WIM fixtures go: env `WIMFS_FIXTURES_DIR` or `<target>/fixtures/wim`.
pub fn wim_fixture_dir() -> PathBuf {
    match std::env::var_os("WIMFS_FIXTURES_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => fixture_dir("wim"),
    }
}

/// The generated WIM fixtures (tests/fixtures/make-wim-fixtures.sh), built on first use.
pub fn wim_fixtures() -> &'static [WimFixture] {
    static FIXTURES: OnceLock<Vec<WimFixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        require_tools(&["wimlib-imagex", "setfattr", "fusermount3"]);
        let dir = script_fixture("make-wim-fixtures.sh", &wim_fixture_dir());
        let list = fs::read_to_string(dir.join("fixtures.tsv"))
            .expect("the fixture script writes fixtures.tsv");
        list.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let f: Vec<&str> = line.split('\t').collect();
                assert!(f.len() >= 4, "bad fixtures.tsv line {line:?}");
                WimFixture {
                    name: f[0].to_string(),
                    path: dir.join(f[0]),
                    images: f[1].parse().expect("image count in fixtures.tsv"),
                    apply_args: f[2].split_whitespace().map(String::from).collect(),
                    note: f[3].to_string(),
                }
            })
            .collect()
    })
}

/// The generated fixture called `name` (panics if the script made none of that name).
pub fn wim_fixture(name: &str) -> &'static WimFixture {
    wim_fixtures()
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no WIM fixture named {name:?} in fixtures.tsv"))
}

/// Deterministic pseudo-random bytes (xorshift32), distinct for each seed.
pub fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// An ISO 9660 + Rock Ridge + Joliet image of `root` made by xorriso.
pub fn rr_iso(root: &Path, iso: &Path) {
    run_ok(
        Command::new("xorriso")
            .args(["-as", "mkisofs", "-R", "-J", "-o"])
            .arg(iso)
            .arg(root),
    );
}

/// A UDF bridge image of `root` made by genisoimage.
pub fn udf_iso(root: &Path, iso: &Path) {
    run_ok(
        Command::new("genisoimage")
            .args(["-quiet", "-udf", "-o"])
            .arg(iso)
            .arg(root),
    );
}

/// Copies a tree with `cp -a`.
pub fn copy_tree(from: &Path, to: &Path) {
    run_ok(Command::new("cp").arg("-a").arg(from).arg(to));
}
