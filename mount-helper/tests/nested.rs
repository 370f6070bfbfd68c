//! Images inside images, read in place. A WIM inside an ISO (ISO 9660 + Rock Ridge by
//! xorriso, plain ISO 9660 and UDF by genisoimage), mounted as `OUTER.iso:/sources/install.wim`
//! or with `--inner`, equals the same WIM mounted directly (and wimlib's apply); an ISO inside
//! an ISO mounts like the inner ISO itself; read-write mounts of a nested WIM are refused.

mod support;

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use support::*;

struct Fixture {
    _scratch: TempDir,
    dir: PathBuf,
    wim: PathBuf,
    applied: PathBuf,
    /// (outer ISO, path of the WIM inside it)
    isos: Vec<(PathBuf, &'static str)>,
}

fn fixture(name: &str) -> Fixture {
    let scratch = TempDir::new(name);
    let dir = scratch.path().to_path_buf();
    let src = dir.join("src");
    fs::create_dir_all(src.join("Windows/System32")).expect("mkdir");
    fs::write(src.join("Windows/System32/big.bin"), noise(700_000, 4)).expect("write");
    fs::write(src.join("Windows/win.ini"), "[x]\r\n".repeat(5000)).expect("write");
    std::os::unix::fs::symlink("win.ini", src.join("Windows/link")).expect("symlink");
    let root = dir.join("isoroot");
    fs::create_dir_all(root.join("sources")).expect("mkdir");
    let wim = root.join("sources/install.wim");
    capture(&src, &wim, "lzx");
    let applied = dir.join("applied");
    apply(&wim, "1", &applied);
    let rr = dir.join("rr.iso");
    rr_iso(&root, &rr);
    let plain = dir.join("plain.iso");
    run(Command::new("genisoimage")
        .args(["-quiet", "-o"])
        .arg(&plain)
        .arg(&root));
    let udf = dir.join("udf.iso");
    udf_iso(&root, &udf);
    fs::create_dir_all(dir.join("m")).expect("mkdir");
    fs::create_dir_all(dir.join("direct")).expect("mkdir");
    Fixture {
        isos: vec![
            (rr, "/sources/install.wim"),
            (plain, "/SOURCES/INSTALL.WIM"),
            (udf, "/sources/install.wim"),
        ],
        _scratch: scratch,
        dir,
        wim,
        applied,
    }
}

#[test]
fn a_wim_inside_an_iso_mounts_like_the_wim_itself() {
    let f = fixture("nested");
    let (m, direct) = (f.dir.join("m"), f.dir.join("direct"));
    let whole = MountGuard::ours(
        wimfs().arg("mount").arg(&f.wim).arg("1").arg(&direct),
        &direct,
    );
    assert_same_tree(&direct, &f.applied);
    for (iso, inner) in &f.isos {
        let spec = format!("{}:{inner}", iso.display());
        let info = run(wimfs().arg("info").arg(&spec));
        assert!(String::from_utf8_lossy(&info.stdout).contains("LZX"));
        let nested = MountGuard::ours(wimfs().arg("mount").arg(&spec).arg("1").arg(&m), &m);
        assert_same_tree(&m, &direct);
        nested.unmount();
        // The explicit form, for outer paths that contain ':'.
        let nested = MountGuard::ours(
            wimfs()
                .arg("mount")
                .arg(iso)
                .args(["--inner", inner, "1"])
                .arg(&m),
            &m,
        );
        assert_same_tree(&m, &direct);
        nested.unmount();
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
    whole.unmount();
    let missing = wimfs()
        .arg("info")
        .arg(format!("{}:/nope.wim", f.isos[0].0.display()))
        .output()
        .expect("runs");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such file"));
}

#[test]
fn an_iso_inside_an_iso_mounts_like_the_inner_iso() {
    let f = fixture("iso-in-iso");
    let (m, direct) = (f.dir.join("m"), f.dir.join("direct"));
    // The outer image holds the three ISOs, one in a directory whose name has a ':'.
    let outer_root = f.dir.join("outer");
    fs::create_dir_all(outer_root.join("a:b")).expect("mkdir");
    for (iso, _) in &f.isos {
        let name = iso.file_name().expect("name");
        fs::copy(iso, outer_root.join("a:b").join(name)).expect("copy");
    }
    let outer = f.dir.join("outer.iso");
    run(Command::new("xorriso")
        .args(["-as", "mkisofs", "-R", "-o"])
        .arg(&outer)
        .arg(&outer_root));
    for (iso, _) in &f.isos {
        let inner = format!("/a:b/{}", iso.file_name().expect("name").to_string_lossy());
        let info = run(isofs()
            .arg("info")
            .arg(format!("{}:{inner}", outer.display())));
        let direct_info = run(isofs().arg("info").arg(iso));
        assert_eq!(info.stdout, direct_info.stdout);
        let alone = MountGuard::ours(isofs().arg("mount").arg(iso).arg(&direct), &direct);
        let nested = MountGuard::ours(
            isofs()
                .arg("mount")
                .arg(&outer)
                .args(["--inner", &inner])
                .arg(&m),
            &m,
        );
        assert_same_tree(&m, &direct);
        nested.unmount();
        alone.unmount();
    }
    let bad = isofs()
        .arg("mount")
        .arg(&outer)
        .args(["--inner", "/a:b/none.iso"])
        .arg(&m)
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("none.iso"));
}

#[test]
fn a_split_wim_inside_an_iso_finds_its_parts() {
    let f = fixture("swm-in-iso");
    let root = f.dir.join("swmroot");
    fs::create_dir_all(root.join("sources")).expect("mkdir");
    let swm = root.join("sources/install.swm");
    wimlib(&[
        "split",
        f.wim.to_str().expect("utf-8"),
        swm.to_str().expect("utf-8"),
        "0.3",
    ]);
    let parts = fs::read_dir(root.join("sources")).expect("ls").count();
    assert!(parts >= 2, "the WIM was not split ({parts} part)");
    // An unrelated file that looks like a part: ignored (its GUID differs).
    fs::copy(&f.wim, root.join("sources/install9.swm")).expect("copy");
    let iso = f.dir.join("swm.iso");
    udf_iso(&root, &iso);
    let m = f.dir.join("m");
    let spec = format!("{}:/sources/install.swm", iso.display());
    let info = run(wimfs().arg("info").arg(&spec));
    assert!(String::from_utf8_lossy(&info.stdout).contains(&format!("Part:        1/{parts}")));
    let mount = MountGuard::ours(wimfs().arg("mount").arg(&spec).arg("1").arg(&m), &m);
    assert_same_tree(&m, &f.applied);
    mount.unmount();
}
