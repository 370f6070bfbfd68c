//! The command line reports mistakes clearly, with a non-zero exit: a missing file, something
//! that is not a WIM, an image that does not exist, a busy mount point, a mount point that is
//! not a directory. `info` lists images with their counts; images can be named.

mod support;

use std::fs;

use support::*;

fn fails_with(args: &[&std::ffi::OsStr], needle: &str) {
    let out = wimfs().args(args).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(
        stderr.contains(needle),
        "{args:?}: expected {needle:?} in {stderr:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn mistakes_are_reported() {
    let scratch = TempDir::new("cli");
    let dir = scratch.path();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/sample.wim");
    let m = dir.join("m");
    fs::create_dir_all(&m).expect("mkdir");
    let os = |s: &str| std::ffi::OsString::from(s);
    let missing = dir.join("nope.wim");
    fails_with(
        &[&os("mount"), missing.as_os_str(), &os("1"), m.as_os_str()],
        "No such file",
    );
    let not_wim = dir.join("text.wim");
    fs::write(&not_wim, vec![b'x'; 4096]).expect("write");
    fails_with(
        &[&os("mount"), not_wim.as_os_str(), &os("1"), m.as_os_str()],
        "not a WIM",
    );
    fails_with(&[&os("info"), not_wim.as_os_str()], "not a WIM");
    fails_with(
        &[&os("mount"), sample.as_os_str(), &os("7"), m.as_os_str()],
        "no image 7",
    );
    fails_with(
        &[
            &os("mount"),
            sample.as_os_str(),
            &os("No Such Name"),
            m.as_os_str(),
        ],
        "no image named",
    );
    fails_with(
        &[
            &os("mount"),
            sample.as_os_str(),
            &os("1"),
            not_wim.as_os_str(),
        ],
        "not a directory",
    );
    // By name, then the same mount point again: busy.
    let mount = MountGuard::wimfs(&sample, "Windows folder only", &m, &[]);
    let busy = wimfs()
        .arg("mount")
        .arg(&sample)
        .arg("1")
        .arg(&m)
        .output()
        .expect("runs");
    mount.unmount();
    assert!(!busy.status.success());
    assert!(
        String::from_utf8_lossy(&busy.stderr).contains("busy"),
        "{}",
        String::from_utf8_lossy(&busy.stderr)
    );
    fails_with(&[&os("unmount"), m.as_os_str()], "not mounted");
}

#[test]
fn info_lists_images() {
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/sample.wim");
    let out = run(wimfs().arg("info").arg(&sample));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Compression: LZX"), "{text}");
    assert!(
        text.contains("Sample Windows") && text.contains("Windows folder only"),
        "{text}"
    );
    let one = run(wimfs().arg("info").arg(&sample).arg("Sample Windows"));
    assert!(String::from_utf8_lossy(&one.stdout).contains("DIRCOUNT"));
    let xml = run(wimfs().arg("info").arg("--xml").arg(&sample));
    assert!(String::from_utf8_lossy(&xml.stdout).starts_with("<WIM>"));
}
