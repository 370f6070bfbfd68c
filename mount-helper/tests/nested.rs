//! A WIM inside an ISO (ISO 9660 + Rock Ridge by xorriso, UDF by genisoimage), mounted as
//! `OUTER.iso:/sources/install.wim`, equals the same WIM mounted directly and wimlib's apply;
//! read-write mounts of a nested WIM are refused.

mod support;

use std::fs;
use std::process::Command;

use support::*;

#[test]
fn a_wim_inside_an_iso_mounts_like_the_wim_itself() {
    let dir = scratch("nested");
    let src = dir.join("src");
    fs::create_dir_all(src.join("Windows/System32")).expect("mkdir");
    fs::write(src.join("Windows/System32/big.bin"), noise(700_000, 4)).expect("write");
    fs::write(src.join("Windows/win.ini"), "[x]\r\n".repeat(5000)).expect("write");
    std::os::unix::fs::symlink("win.ini", src.join("Windows/link")).expect("symlink");
    let root = dir.join("isoroot");
    fs::create_dir_all(root.join("sources")).expect("mkdir");
    let wim = root.join("sources/install.wim");
    wimlib(&[
        "capture",
        src.to_str().expect("utf-8"),
        wim.to_str().expect("utf-8"),
        "--compress=lzx",
    ]);
    let applied = dir.join("applied");
    wimlib(&[
        "apply",
        wim.to_str().expect("utf-8"),
        "1",
        applied.to_str().expect("utf-8"),
    ]);
    let rr = dir.join("rr.iso");
    run(Command::new("xorriso")
        .args(["-as", "mkisofs", "-R", "-J", "-o"])
        .arg(&rr)
        .arg(&root));
    let udf = dir.join("udf.iso");
    run(Command::new("genisoimage")
        .args(["-quiet", "-udf", "-o"])
        .arg(&udf)
        .arg(&root));
    let m = dir.join("m");
    fs::create_dir_all(&m).expect("mkdir");
    for iso in [&rr, &udf] {
        let spec = format!("{}:/sources/install.wim", iso.display());
        let info = run(wimfs().arg("info").arg(&spec));
        assert!(String::from_utf8_lossy(&info.stdout).contains("LZX"));
        run(wimfs().arg("mount").arg(&spec).arg("1").arg(&m));
        let same = std::panic::catch_unwind(|| assert_same_tree(&m, &applied));
        run(wimfs().arg("unmount").arg(&m));
        if let Err(e) = same {
            std::panic::resume_unwind(e);
        }
        let rw = wimfs()
            .args(["mount", "--rw"])
            .arg(&spec)
            .arg("1")
            .arg(&m)
            .output()
            .expect("runs");
        assert!(!rw.status.success());
        assert!(
            String::from_utf8_lossy(&rw.stderr).contains("read-only"),
            "{}",
            String::from_utf8_lossy(&rw.stderr)
        );
    }
    let missing = wimfs()
        .arg("info")
        .arg(format!("{}:/nope.wim", rr.display()))
        .output()
        .expect("runs");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such file"));
    fs::remove_dir_all(&dir).ok();
}
