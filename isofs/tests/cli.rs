//! Runs cli.sh (end-to-end checks of the `isofs` command line through FUSE) against the
//! workspace's built binary. The binary belongs to the mount-helper crate, so this test finds
//! it in the target directory (`cargo build --workspace --bins` first, as scripts/test does)
//! and is skipped, with a message, when it or FUSE is missing (under CI it fails instead).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn binary() -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../target"));
    ["debug", "release"]
        .iter()
        .map(|p| target.join(p).join("isofs"))
        .find(|p| p.is_file())
}

#[test]
fn command_line_end_to_end() {
    let Some(bin) = binary() else {
        support::skip_unless_ci("there is no built isofs binary (cargo build --workspace --bins)");
        return;
    };
    if !Path::new("/dev/fuse").exists() {
        support::skip_unless_ci("there is no /dev/fuse");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&bin)
        .output()
        .expect("bash runs");
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{}: {text}", bin.display());
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
