//! wimlib-imagex, the reference tool: capturing trees into WIMs, applying images to
//! directories, verifying WIMs. Each call panics with the tool's output when it fails.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use crate::manifest::Manifest;
use crate::process::{run, run_ok, RunOutput};
use crate::same_tree::assert_same_tree;
use crate::scratch::TempDir;
use crate::tree::{walk, WalkOptions};

/// `wimlib-imagex ARGS...`, which must succeed.
pub fn wimlib(args: &[&str]) -> Output {
    run_ok(Command::new("wimlib-imagex").args(args))
}

/// `wimlib-imagex capture SRC WIM --compress=COMPRESS`.
pub fn capture(src: &Path, wim: &Path, compress: &str) {
    run_ok(
        Command::new("wimlib-imagex")
            .arg("capture")
            .arg(src)
            .arg(wim)
            .arg(format!("--compress={compress}")),
    );
}

/// `wimlib-imagex apply WIM IMAGE DEST`.
pub fn apply(wim: &Path, image: &str, dest: &Path) {
    run_ok(
        Command::new("wimlib-imagex")
            .arg("apply")
            .arg(wim)
            .arg(image)
            .arg(dest),
    );
}

/// `wimlib-imagex verify WIM`: wimlib checks every blob of the WIM.
pub fn verify(wim: &Path) {
    run_ok(Command::new("wimlib-imagex").arg("verify").arg(wim));
}

/// `wimlib-imagex apply WIM IMAGE DEST [args]` with a 300 s timeout; panics with its output on
/// failure.
pub fn apply_with_args(wim: &Path, image: u32, dest: &Path, args: &[String]) -> RunOutput {
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
    apply_with_args(wim, image, &dest, args);
    let opts = WalkOptions {
        xattrs: false,
        ..WalkOptions::default()
    };
    let m = walk(&dest, &opts);
    (dir, m)
}

/// The check after a commit: wimlib verifies `wim`, and image `image` of it applies to exactly
/// the tree `expected` (see [`assert_same_tree`]).
#[track_caller]
pub fn assert_wim_image(wim: &Path, image: &str, expected: &Path) {
    verify(wim);
    assert_wim_total_bytes(wim);
    let dir = TempDir::new("applied");
    let applied = dir.join("tree");
    apply(wim, image, &applied);
    assert_same_tree(&applied, expected);
}

/// The WIM-level `<TOTALBYTES>` of `wim`'s XML data (outside every `<IMAGE>`) is the XML data's
/// offset in the file, as wimlib and WIMGAPI write it.
#[track_caller]
pub fn assert_wim_total_bytes(wim: &Path) {
    let header =
        String::from_utf8_lossy(&wimlib(&["info", &wim.to_string_lossy(), "--header"]).stdout)
            .into_owned();
    let xml_offset: u64 = header
        .lines()
        .find_map(|l| l.trim().strip_prefix("XML Data Offset"))
        .and_then(|rest| rest.trim().trim_start_matches('=').trim().parse().ok())
        .unwrap_or_else(|| {
            panic!("no XML Data Offset in `wimlib-imagex info --header`:\n{header}")
        });
    let raw = wimlib(&["info", &wim.to_string_lossy(), "--xml"]).stdout;
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    let xml = String::from_utf16_lossy(&units);
    let mut outside = String::new();
    let mut rest = xml.as_str();
    while let Some(start) = rest.find("<IMAGE") {
        outside.push_str(&rest[..start]);
        let end = rest[start..]
            .find("</IMAGE>")
            .unwrap_or_else(|| panic!("unterminated <IMAGE> in the XML of {}", wim.display()));
        rest = &rest[start + end + "</IMAGE>".len()..];
    }
    outside.push_str(rest);
    let total: Vec<&str> = outside
        .split("<TOTALBYTES>")
        .skip(1)
        .filter_map(|s| s.split("</TOTALBYTES>").next())
        .collect();
    assert_eq!(
        total,
        vec![xml_offset.to_string()],
        "the WIM-level TOTALBYTES of {} must be the XML data offset",
        wim.display()
    );
}
