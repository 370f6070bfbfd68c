//! Where things are: our binaries as built from this tree, the target directory, this crate's
//! directory.
//!
//! The binaries belong to the `mount-helper` crate. Its own integration tests get them built by
//! `cargo test`; every other test finds them next to its executable (`<target>/<profile>/`, the
//! same profile it was built with), so run `cargo build -p mount-helper` first, or point
//! `WIMFS_BIN_DIR` at a directory holding them.

use std::path::{Path, PathBuf};

use crate::skip::skip_unless_ci;

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

fn missing_bin(name: &str, path: &Path) -> String {
    format!(
        "the {name} binary is not at {}: build it first (`cargo build -p mount-helper`, same \
         profile and target dir as the tests) or point WIMFS_BIN_DIR at the directory holding it",
        path.display()
    )
}

fn our_bin(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(path.is_file(), "{}", missing_bin(name, &path));
    path
}

/// Our `wimfs` binary (panics, saying how to build it, when it is missing).
pub fn wimfs_bin() -> PathBuf {
    our_bin("wimfs")
}

/// Our `isofs` binary (panics, saying how to build it, when it is missing).
pub fn isofs_bin() -> PathBuf {
    our_bin("isofs")
}

/// Our binary `name` as built from this tree, or `None` after [`skip_unless_ci`] when it has
/// not been built (which fails the test under CI).
pub fn built_bin_or_skip(name: &str) -> Option<PathBuf> {
    let path = bin_dir().join(name);
    if path.is_file() {
        return Some(path);
    }
    skip_unless_ci(&missing_bin(name, &path));
    None
}

/// The `tests` crate's directory (tests/ of the workspace).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace's root directory.
pub fn workspace_dir() -> PathBuf {
    crate_dir()
        .parent()
        .expect("tests/ lies in the workspace")
        .to_path_buf()
}

/// The committed hostile WIMs from wimlib's test suite (tests/fixtures/malformed/).
pub fn malformed_dir() -> PathBuf {
    crate_dir().join("fixtures").join("malformed")
}
