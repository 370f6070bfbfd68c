//! Device nodes, FIFOs and sockets captured by `wimlib-imagex capture --unix-data` (kept as
//! empty files with wimlib's UNIX data: st_mode and st_rdev) are served as what they are, with
//! their device numbers, like the tree they were captured from (issue 12, bug 4). Needs root
//! for mknod (CI runs as root).

mod support;

use std::fs;
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
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this test as root (mknod)"
        );
        eprintln!("SKIPPED: mknod needs root");
        return;
    }
    let dir = scratch("wim-special");
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
    with_mount(
        wimfs().arg("mount").arg(&wim).arg("1").arg(&m),
        wimfs().arg("unmount").arg(&m),
        || {
            let (ours, _) = snapshot(&m);
            let (want, _) = snapshot(&src);
            assert_eq!(ours, want, "the mount differs from the captured tree");
            assert!(
                matches!(
                    ours.get(Path::new("dev/big-minor")),
                    Some(Node::Special { .. })
                ),
                "not a device: {:?}",
                ours.get(Path::new("dev/big-minor"))
            );
        },
    );
    fs::remove_dir_all(&dir).ok();
}
