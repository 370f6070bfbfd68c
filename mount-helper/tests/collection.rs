//! `isofs mount --all`: every ISO below a directory (a Ventoy stick) in one mount. A good ISO
//! equals the same ISO mounted directly, a WIM inside it (with `--wim`) equals wimlib's apply, a
//! truncated ISO and a non-ISO file named `.iso` show as empty directories whose error is in
//! `user.isofs.error` without disturbing the rest, other files are hidden, ISOs copied in
//! later appear, and idle images are closed and reopened transparently.

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use support::*;

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn error_xattr(path: &Path) -> String {
    let out = run(Command::new("getfattr")
        .args(["--only-values", "-n", "user.isofs.error"])
        .arg(path));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_whole_stick_in_one_mount() {
    let scratch = TempDir::new("collection");
    let dir = scratch.path();
    let src = dir.join("src");
    fs::create_dir_all(src.join("Windows")).expect("mkdir");
    fs::write(src.join("Windows/big.bin"), noise(900_000, 7)).expect("write");
    fs::write(src.join("Windows/win.ini"), "[x]\r\n".repeat(3000)).expect("write");
    let isoroot = dir.join("isoroot");
    fs::create_dir_all(isoroot.join("sources")).expect("mkdir");
    fs::write(isoroot.join("README.TXT"), "boot me").expect("write");
    let wim = isoroot.join("sources/install.wim");
    capture(&src, &wim, "lzx");
    let applied = dir.join("applied");
    apply(&wim, "1", &applied);

    let stick = dir.join("stick");
    fs::create_dir_all(stick.join("Linux")).expect("mkdir");
    let win = stick.join("Win11.iso");
    rr_iso(&isoroot, &win);
    udf_iso(&isoroot, &stick.join("Linux/udf.ISO"));
    let bytes = fs::read(&win).expect("read");
    fs::write(stick.join("truncated.iso"), &bytes[..16 * 2048 + 100]).expect("write");
    fs::write(
        stick.join("fake.iso"),
        b"this is not an image\n".repeat(200),
    )
    .expect("write");
    fs::write(stick.join("notes.txt"), b"hidden").expect("write");
    fs::copy(&wim, stick.join("boot.wim")).expect("copy");

    let (m, direct) = (dir.join("m"), dir.join("direct"));
    fs::create_dir_all(&m).expect("mkdir");
    fs::create_dir_all(&direct).expect("mkdir");
    let log = dir.join("isofs.log");
    let all = MountGuard::ours(
        isofs()
            .args(["-v", "--log"])
            .arg(&log)
            .args(["mount", "--all", "--wim", "--idle-secs", "1"])
            .arg(&stick)
            .arg(&m),
        &m,
    );
    assert_eq!(
        names(&m),
        [
            "Linux",
            "Win11.iso",
            "boot.wim.d",
            "fake.iso",
            "truncated.iso"
        ]
    );
    // Broken images: empty directories with their error readable; logged too.
    assert!(names(&m.join("fake.iso")).is_empty());
    assert!(names(&m.join("truncated.iso")).is_empty());
    assert!(error_xattr(&m.join("fake.iso")).contains("not an ISO"));
    assert!(!error_xattr(&m.join("truncated.iso")).is_empty());
    // The good ones, nested WIMs included.
    assert_eq!(
        fs::read(m.join("Win11.iso/README.TXT")).expect("read"),
        b"boot me"
    );
    assert_eq!(
        fs::read(m.join("Win11.iso/sources/install.wim")).expect("read"),
        fs::read(&wim).expect("read")
    );
    assert_eq!(
        names(&m.join("Win11.iso/sources")),
        ["install.wim", "install.wim.d"]
    );
    assert_eq!(names(&m.join("Win11.iso/sources/install.wim.d")), ["1"]);
    assert_same_tree(&m.join("Win11.iso/sources/install.wim.d/1"), &applied);
    assert_same_tree(&m.join("Linux/udf.ISO/sources/install.wim.d/1"), &applied);
    assert_same_tree(&m.join("boot.wim.d/1"), &applied);
    // An ISO copied onto the stick appears without remounting.
    fs::copy(&win, stick.join("Linux/new.iso")).expect("copy");
    assert_eq!(names(&m.join("Linux")), ["new.iso", "udf.ISO"]);
    assert_eq!(
        fs::read(m.join("Linux/new.iso/README.TXT")).expect("read"),
        b"boot me"
    );
    // Idle images are closed, then reopened on the next access.
    std::thread::sleep(std::time::Duration::from_secs(4));
    let logged = fs::read_to_string(&log).expect("log");
    assert!(logged.contains("closed idle"), "{logged}");
    assert!(logged.contains("fake.iso"), "{logged}");
    assert_eq!(
        fs::read(m.join("Win11.iso/README.TXT")).expect("read"),
        b"boot me"
    );
    // Each image listed equals the same image mounted on its own.
    let alone = MountGuard::ours(
        isofs()
            .arg("mount")
            .arg(stick.join("Linux/udf.ISO"))
            .arg(&direct),
        &direct,
    );
    let got = dir.join("udf-copy");
    // The --wim view adds install.wim.d; compare without it.
    copy_tree(&m.join("Linux/udf.ISO"), &got);
    fs::remove_dir_all(got.join("sources/install.wim.d")).expect("rm");
    assert_same_tree(&got, &direct);
    alone.unmount();
    all.unmount();
    // A mount point inside the directory would list itself: refused.
    fs::create_dir_all(stick.join("mnt")).expect("mkdir");
    let inside = isofs()
        .args(["mount", "--all"])
        .arg(&stick)
        .arg(stick.join("mnt"))
        .output()
        .expect("runs");
    assert!(!inside.status.success());
    assert!(String::from_utf8_lossy(&inside.stderr).contains("inside"));
}
