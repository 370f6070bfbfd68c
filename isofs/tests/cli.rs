//! Runs cli.sh (end-to-end checks of the `isofs` command line through FUSE) against the
//! binary built from this tree. The binary belongs to the mount-helper crate, so this test
//! finds it where Cargo puts it for this profile (`cargo build --workspace --bins` first, as
//! scripts/test does; the test kit's `built_bin_or_skip`) and is skipped, with a message, when
//! it or FUSE is missing (under CI it fails instead).

use std::path::Path;
use std::process::Command;

#[test]
fn command_line_end_to_end() {
    let Some(bin) = tests::built_bin_or_skip("isofs") else {
        return;
    };
    if !tests::fuse_or_skip() {
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
