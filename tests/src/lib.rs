//! Shared helpers for the integration tests in tests/tests/.
//!
//! - [`wimfs_bin`] / [`isofs_bin`]: our binaries, from env `WIMFS_BIN_DIR` or next to the test
//!   executable (`<target>/<profile>/`). They are not built by `cargo test`: run
//!   `cargo build -p mount-helper` (same profile) first.
//! - [`wim_fixtures`]: the generated WIMs (tests/fixtures/make-wim-fixtures.sh, run once into
//!   `<target>/fixtures/wim/` under a file lock, cached by the script's hash).
//! - [`Mounter`] / [`Mount`]: our mount or wimlib's, as an RAII guard with timeouts.
//! - [`tree::walk`] + [`compare::compare`]: a tree manifest and a comparator that lists every
//!   difference.
//! - [`reads`]: random-access pread checks against the reference tree.
//! - [`http`]: a real nginx (http + https with a test CA) and a latency/fault proxy, for the
//!   HTTP source tests and benchmarks.
//! - [`wim`]: a minimal WIM header / blob table reader that tells the corruption tests where
//!   each region of a WIM lies.

pub mod compare;
pub mod http;
pub mod manifest;
pub mod mount;
pub mod mountinfo;
pub mod process;
mod raw_reads;
pub mod reads;
pub mod tree;
pub mod wim;

use std::fs::{self, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

pub use compare::{compare, format_report, CompareOptions};
pub use mount::{Mount, MountFailure, MountOptions, Mounter};
pub use process::{require_tools, run, RunOutput, TempDir};
pub use tree::{walk, walk_with_timeout, Manifest, WalkOptions};

/// `<target>/<profile>/` of the running test executable (`<target>/<profile>/deps/<test>`).
fn profile_dir_of_exe() -> PathBuf {
    let exe = std::env::current_exe().expect("locate the running test executable");
    exe.parent()
        .and_then(Path::parent)
        .expect("test executables live in <target>/<profile>/deps/")
        .to_path_buf()
}

/// The cargo target directory the tests were built into.
pub fn target_dir() -> PathBuf {
    profile_dir_of_exe()
        .parent()
        .expect("<target>/<profile> has a parent")
        .to_path_buf()
}

/// Where our binaries are: env `WIMFS_BIN_DIR` if set, else `<target>/<profile>/`.
pub fn bin_dir() -> PathBuf {
    match std::env::var_os("WIMFS_BIN_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => profile_dir_of_exe(),
    }
}

fn our_bin(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.is_file(),
        "{name} binary not found at {}: build it first (`cargo build -p mount-helper`, same \
         profile and target dir as the tests) or point WIMFS_BIN_DIR at the directory holding it",
        path.display()
    );
    path
}

/// Our `wimfs` binary.
pub fn wimfs_bin() -> PathBuf {
    our_bin("wimfs")
}

/// Our `isofs` binary.
pub fn isofs_bin() -> PathBuf {
    our_bin("isofs")
}

/// This crate's directory (tests/).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The committed hostile WIMs from wimlib's test suite (tests/fixtures/malformed/).
pub fn malformed_dir() -> PathBuf {
    crate_dir().join("fixtures").join("malformed")
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

/// An exclusive flock(2) on a file, released on drop.
struct FileLock(fs::File);

impl FileLock {
    fn acquire(path: &Path) -> FileLock {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .expect("open the fixture lock file");
        // SAFETY: flock on an fd we own; blocks until the lock is ours.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        assert_eq!(
            rc,
            0,
            "flock {}: {}",
            path.display(),
            std::io::Error::last_os_error()
        );
        FileLock(file)
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // SAFETY: unlocking the fd we locked.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// Where the generated WIM fixtures go: env `WIMFS_FIXTURES_DIR` or `<target>/fixtures/wim`.
pub fn wim_fixture_dir() -> PathBuf {
    match std::env::var_os("WIMFS_FIXTURES_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => target_dir().join("fixtures").join("wim"),
    }
}

/// The generated WIM fixtures, built on first use (once per process; the script itself is a
/// no-op when its stamp matches, and a file lock keeps parallel test processes from racing).
pub fn wim_fixtures() -> &'static [WimFixture] {
    static FIXTURES: OnceLock<Vec<WimFixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        require_tools(&["wimlib-imagex", "setfattr", "fusermount3"]);
        let dir = wim_fixture_dir();
        fs::create_dir_all(&dir).expect("create the fixture directory");
        let _lock = FileLock::acquire(&dir.with_extension("lock"));
        let script = crate_dir().join("fixtures").join("make-wim-fixtures.sh");
        let out = run(
            Command::new("bash").arg(&script).arg(&dir),
            Duration::from_secs(600),
        );
        assert!(out.success(), "building the WIM fixtures failed:\n{out}");
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

/// `wimlib-imagex apply WIM IMAGE DEST [args]`; panics with its output on failure.
pub fn apply(wim: &Path, image: u32, dest: &Path, args: &[String]) -> RunOutput {
    let out = run(
        Command::new("wimlib-imagex")
            .arg("apply")
            .arg(wim)
            .arg(image.to_string())
            .arg(dest)
            .args(args),
        Duration::from_secs(300),
    );
    out.expect_success("wimlib-imagex apply");
    out
}

/// Applies image `image` of `wim` into a fresh temp dir and walks it (contents, no xattrs).
/// Returns the temp dir too, since the manifest's root lives in it.
pub fn apply_and_walk(wim: &Path, image: u32, args: &[String]) -> (TempDir, Manifest) {
    let dir = TempDir::new("apply");
    let dest = dir.path().join("tree");
    apply(wim, image, &dest, args);
    let opts = WalkOptions {
        xattrs: false,
        ..WalkOptions::default()
    };
    let m = walk(&dest, &opts);
    (dir, m)
}
