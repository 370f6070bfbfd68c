//! The offline-servicing workflow end to end: mount --rw, add/change/delete/rename files,
//! unmount --commit; then wimlib-imagex verifies the WIM and applies exactly the expected
//! tree, the other image is untouched, content already in the WIM adds no blob, and a re-mount
//! shows the same. Also: --discard, refusing to commit with open files, refusing a second
//! read-write mount of a WIM while the first one's daemon lives.

mod support;

use std::fs;
use std::os::unix::fs::FileExt;
use std::path::Path;

use support::*;

/// A small Windows-like image and a second image sharing files with it.
fn make_images(dir: &Path, compress: &str) -> std::path::PathBuf {
    let src = dir.join("src");
    fs::create_dir_all(src.join("Windows/System32/drivers/etc")).expect("mkdir");
    fs::create_dir_all(src.join("Windows/INF")).expect("mkdir");
    fs::create_dir_all(src.join("Users/Public/Desktop/sub")).expect("mkdir");
    fs::create_dir_all(src.join("Program Files/App")).expect("mkdir");
    fs::write(
        src.join("Windows/System32/drivers/etc/hosts"),
        "127.0.0.1 localhost\r\n",
    )
    .expect("write");
    fs::write(src.join("Windows/INF/base.inf"), "[Version]\r\n").expect("write");
    fs::write(src.join("Users/Public/Desktop/a.lnk"), noise(5000, 1)).expect("write");
    fs::write(src.join("Users/Public/Desktop/sub/b.txt"), "b").expect("write");
    fs::write(src.join("Program Files/App/big.bin"), noise(300_000, 2)).expect("write");
    fs::write(
        src.join("Program Files/App/config.ini"),
        "x=1\n".repeat(20000),
    )
    .expect("write");
    fs::hard_link(
        src.join("Program Files/App/config.ini"),
        src.join("Program Files/App/config-link.ini"),
    )
    .expect("link");
    std::os::unix::fs::symlink("App/config.ini", src.join("Program Files/cfg")).expect("symlink");
    let wim = dir.join("install.wim");
    let flag = format!("--compress={compress}");
    wimlib(&[
        "capture",
        src.to_str().expect("utf-8"),
        wim.to_str().expect("utf-8"),
        "Image One",
        &flag,
    ]);
    let src2 = dir.join("src2");
    fs::create_dir_all(&src2).expect("mkdir");
    fs::write(src2.join("shared.bin"), noise(300_000, 2)).expect("write");
    fs::write(src2.join("own.txt"), "image two").expect("write");
    wimlib(&[
        "append",
        src2.to_str().expect("utf-8"),
        wim.to_str().expect("utf-8"),
        "Image Two",
    ]);
    wim
}

/// The edits of the scenario, made with plain file operations under `root`.
fn edit(root: &Path, drivers: &Path) {
    run(std::process::Command::new("cp")
        .arg("-r")
        .arg(drivers)
        .arg(root.join("Windows/INF/extra")));
    fs::create_dir_all(root.join("Windows/Panther")).expect("mkdir");
    fs::write(
        root.join("Windows/Panther/autounattend.xml"),
        "<unattend/>\n",
    )
    .expect("write");
    // Change a file in place: append, and overwrite bytes in the middle of a big file.
    let mut hosts = fs::read(root.join("Windows/System32/drivers/etc/hosts")).expect("read");
    hosts.extend_from_slice(b"10.0.0.1 server\r\n");
    fs::write(root.join("Windows/System32/drivers/etc/hosts"), hosts).expect("write");
    let big = fs::OpenOptions::new()
        .write(true)
        .open(root.join("Program Files/App/big.bin"))
        .expect("open");
    big.write_all_at(b"PATCHED", 100_000).expect("pwrite");
    drop(big);
    fs::remove_dir_all(root.join("Users/Public/Desktop")).expect("rm -r");
    fs::rename(
        root.join("Program Files/App"),
        root.join("Program Files/Application"),
    )
    .expect("mv");
    // Content the WIM already has (image two's file) must not add a blob.
    fs::write(root.join("copy-of-shared.bin"), noise(300_000, 2)).expect("write");
    std::os::unix::fs::symlink(
        "../Windows/Panther/autounattend.xml",
        root.join("Program Files/unattend-link"),
    )
    .expect("symlink");
    fs::write(root.join("empty.txt"), "").expect("write");
}

fn scenario(compress: &str) {
    let scratch = TempDir::new(&format!("service-{compress}"));
    let dir = scratch.path();
    let wim = make_images(dir, compress);
    let drivers = dir.join("drivers");
    fs::create_dir_all(drivers.join("net")).expect("mkdir");
    fs::write(drivers.join("net/e1000.inf"), "[Version]\r\nClass=Net\r\n").expect("write");
    fs::write(drivers.join("net/e1000.sys"), noise(70_000, 9)).expect("write");
    fs::write(drivers.join("readme.txt"), "drivers").expect("write");

    // The expected tree: the original, edited by plain file operations.
    let expected = dir.join("expected");
    apply(&wim, "1", &expected);
    edit(&expected, &drivers);
    let image2 = dir.join("image2-before");
    apply(&wim, "2", &image2);
    let entries_before = blob_table_entries(&wim);

    let m = dir.join("m");
    let staging = dir.join("staging");
    let rw = RwMount::mount(&wim, "1", &m, &staging);
    edit(&m, &drivers);
    // Plain unmount is refused while there are changes.
    let refused = rw.try_unmount(&[]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--commit"));
    // So is a commit while a file is open.
    let open = fs::File::open(m.join("empty.txt")).expect("open");
    let busy = rw.try_unmount(&["--commit"]);
    assert!(
        !busy.status.success(),
        "commit with an open file must be refused"
    );
    assert!(
        String::from_utf8_lossy(&busy.stderr).contains("open"),
        "{}",
        String::from_utf8_lossy(&busy.stderr)
    );
    drop(open);
    std::thread::sleep(std::time::Duration::from_millis(200));
    rw.commit();
    assert!(
        !staging.exists(),
        "the staging directory is removed after a commit"
    );

    assert_wim_image(&wim, "1", &expected);
    assert_wim_image(&wim, "2", &image2);

    // New contents: drivers (3 files), autounattend, hosts, big.bin, 2 symlinks' reparse data,
    // and the new metadata replaces the old one; copy-of-shared.bin and empty.txt add nothing.
    let entries_after = blob_table_entries(&wim);
    let old_only: u64 = 4; // the old hosts, big.bin, and the two Desktop files are gone
    assert_eq!(
        entries_after,
        entries_before + 8 - old_only,
        "blob table: {entries_before} -> {entries_after}"
    );

    // Our own read-only mount shows the same.
    let ro = MountGuard::wimfs(&wim, "1", &m, &[]);
    assert_same_tree(ro.path(), &expected);
    ro.unmount();
}

#[test]
fn servicing_uncompressed() {
    scenario("none");
}

#[test]
fn servicing_xpress() {
    scenario("xpress");
}

#[test]
fn servicing_lzx() {
    scenario("lzx");
}

#[test]
fn servicing_lzms() {
    scenario("lzms");
}

#[test]
fn discard_leaves_the_wim_byte_for_byte() {
    let scratch = TempDir::new("discard");
    let dir = scratch.path();
    let wim = make_images(dir, "lzx");
    let before = fs::read(&wim).expect("read");
    let rw = RwMount::mount(&wim, "1", &dir.join("m"), &dir.join("st"));
    fs::write(rw.path().join("new.txt"), "x").expect("write");
    fs::remove_file(rw.path().join("Windows/INF/base.inf")).expect("rm");
    rw.discard();
    assert_eq!(fs::read(&wim).expect("read"), before);
    assert!(!dir.join("st").exists());
}

#[test]
fn rebuild_compacts_the_wim() {
    let scratch = TempDir::new("rebuild");
    let dir = scratch.path();
    let wim = make_images(dir, "lzx");
    let before = fs::metadata(&wim).expect("stat").len();
    let expected = dir.join("expected");
    apply(&wim, "1", &expected);
    fs::remove_file(expected.join("Program Files/App/big.bin")).expect("rm");
    let rw = RwMount::mount(&wim, "1", &dir.join("m"), &dir.join("st"));
    fs::remove_file(rw.path().join("Program Files/App/big.bin")).expect("rm");
    rw.commit_with(&["--rebuild"]);
    let after = fs::metadata(&wim).expect("stat").len();
    // image 2 still has its own copy of the random data; image 1's was the same blob, so the
    // saving is what was only image 1's: at least the old metadata and blob table.
    assert!(after < before, "{before} -> {after}");
    assert_wim_image(&wim, "1", &expected);
    assert!(!dir.join("install.wim.rebuild-tmp").exists());
}

#[test]
fn a_second_rw_mount_is_refused_while_the_first_daemon_lives() {
    let scratch = TempDir::new("second-rw");
    let dir = scratch.path();
    let wim = make_images(dir, "xpress");
    let m2 = dir.join("m2");
    fs::create_dir_all(&m2).expect("mkdir");
    // The first mount's parent has exited by now; its daemon must still hold the WIM's lock.
    let first = RwMount::mount(&wim, "1", &dir.join("m1"), &dir.join("st1"));
    let second = wimfs()
        .args(["mount", "--rw", "--staging-dir"])
        .arg(dir.join("st2"))
        .arg(&wim)
        .arg("1")
        .arg(&m2)
        .output()
        .expect("run wimfs");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "second rw mount succeeded");
    assert!(stderr.contains("already mounted read-write"), "{stderr}");
    // A read-only mount still works.
    MountGuard::wimfs(&wim, "1", &m2, &[]).unmount();
    first.discard();
}
