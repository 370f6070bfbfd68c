//! The root xattr `wimfs.cache_stats` of a mounted WIM image (`hits= misses= decoded_bytes=
//! held_bytes= spill_bytes= ...`), read with getfattr, for tests that bound decoding work; and
//! the FUSE adapter's `fuse.request_counts` (`lookup= read= ...`), for tests that bound round
//! trips.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::process::run_ok;

/// The `name=` fields of the root xattr `wimfs.cache_stats` of the WIM image at `root` (a wimfs
/// mount, or an image directory of an `isofs mount --all --wim`).
pub fn cache_stats(root: &Path) -> BTreeMap<String, u64> {
    xattr_fields(root, "wimfs.cache_stats")
}

/// The FUSE requests of each kind the mount at `root` has answered (root xattr
/// `fuse.request_counts`).
pub fn request_counts(root: &Path) -> BTreeMap<String, u64> {
    xattr_fields(root, "fuse.request_counts")
}

/// The `name=number` fields of xattr `xattr` of `path`.
fn xattr_fields(path: &Path, xattr: &str) -> BTreeMap<String, u64> {
    let out = run_ok(
        Command::new("getfattr")
            .args(["--only-values", "-n", xattr])
            .arg(path),
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// One field of [`cache_stats`], which must be there.
pub fn cache_stat(root: &Path, name: &str) -> u64 {
    let stats = cache_stats(root);
    *stats
        .get(name)
        .unwrap_or_else(|| panic!("no {name}= in wimfs.cache_stats {stats:?}"))
}
