//! Small source trees and the images made from them with the real tools, for the HTTP tests.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::process::run;

/// Deterministic incompressible bytes ([`crate::fixtures::noise`] of a spread seed).
pub fn noise(len: usize, seed: u32) -> Vec<u8> {
    crate::fixtures::noise(len, seed.wrapping_mul(0x9E37_79B9))
}

/// `dir/data/f00.bin` .. : `files` files of `size` noise bytes each (seeded by `seed` and the
/// file's number), so two trees with different seeds have the same layout, different bytes.
pub fn noise_tree(dir: &Path, files: u32, size: usize, seed: u32) {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    for i in 0..files {
        std::fs::write(
            data.join(format!("f{i:02}.bin")),
            noise(size, seed.wrapping_mul(1000).wrapping_add(i)),
        )
        .expect("write");
    }
}

fn tool(cmd: &mut Command) {
    run(cmd, Duration::from_secs(300)).expect_success("fixture tool");
}

pub use crate::fixtures::rr_iso as iso;
pub use crate::wimlib::capture;

/// Sets `path`'s mtime to `secs` after the epoch (nginx's ETag is mtime and size).
pub fn set_mtime(path: &Path, secs: u64) {
    tool(
        Command::new("touch")
            .arg("-d")
            .arg(format!("@{secs}"))
            .arg(path),
    );
}
