//! Device nodes, FIFOs and sockets captured by `wimlib-imagex capture --unix-data` (kept as
//! empty files with wimlib's UNIX data: st_mode and st_rdev) are served as what they are, with
//! their device numbers, like the tree they were captured from (issue 12, bug 4). Needs root
//! for mknod (CI runs as root).

mod support;

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::Command;

use support::*;

fn mknod(path: &Path, kind: &str, major: u32, minor: u32) {
    run(Command::new("mknod")
        .arg(path)
        .arg(kind)
        .arg(major.to_string())
        .arg(minor.to_string()));
}

#[test]
fn device_nodes_fifos_and_sockets_in_a_wim_keep_their_kind_and_numbers() {
    if !root_or_skip("mknod") {
        return;
    }
    let scratch = TempDir::new("wim-special");
    let dir = scratch.path();
    let src = dir.join("src");
    fs::create_dir_all(src.join("dev")).expect("mkdir");
    mknod(&src.join("dev/null"), "c", 1, 3);
    mknod(&src.join("dev/big-minor"), "c", 240, 70_000);
    mknod(&src.join("dev/loop7"), "b", 7, 7);
    run(Command::new("mkfifo").arg(src.join("dev/fifo")));
    drop(UnixListener::bind(src.join("dev/socket")).expect("socket"));
    fs::write(src.join("plain.txt"), b"plain\n").expect("write");
    let wim = dir.join("special.wim");
    wimlib(&[
        "capture",
        src.to_str().expect("utf-8"),
        wim.to_str().expect("utf-8"),
        "--unix-data",
    ]);
    let m = dir.join("m");
    fs::create_dir_all(&m).expect("mkdir");
    let mount = MountGuard::wimfs(&wim, "1", &m, &[]);
    assert_same_tree(mount.path(), &src);
    let dev = fs::symlink_metadata(m.join("dev/big-minor")).expect("lstat");
    assert!(dev.file_type().is_char_device(), "not a device: {dev:?}");
    assert_eq!(
        dev.rdev(),
        fs::symlink_metadata(src.join("dev/big-minor"))
            .expect("lstat")
            .rdev()
    );
    mount.unmount();
}
