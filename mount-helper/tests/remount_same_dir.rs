//! `wimfs unmount DIR` / `isofs unmount DIR` followed at once by a new mount at the same
//! directory (`wimfs unmount X && wimfs mount other.wim 1 X`): the unmount returns only once
//! the daemon that served the old mount has exited, so the old daemon can never take the new
//! mount down with it. Alternates wimfs and isofs and two images of different contents; the
//! unmount is the CLI itself (not the test kit's guard, which waits for the daemon on its own).

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

use support::*;
use tests::daemon::pids_with_arg;
use tests::guard::mounted;
use tests::{skip_unless_ci, tools_or_skip};

const ROUNDS: usize = 30;

/// The two tools, each with two images (A and B) holding `data.bin` of different bytes.
struct Images {
    wim: [PathBuf; 2],
    iso: [PathBuf; 2],
    data: [Vec<u8>; 2],
}

fn images(dir: &Path) -> Images {
    let data = [noise(300_000, 11), noise(300_000, 12)];
    let mut wim = Vec::new();
    let mut iso = Vec::new();
    for (i, bytes) in data.iter().enumerate() {
        let src = dir.join(format!("src{i}"));
        fs::create_dir_all(&src).expect("mkdir");
        fs::write(src.join("data.bin"), bytes).expect("write");
        let w = dir.join(format!("image{i}.wim"));
        capture(&src, &w, "lzx");
        let o = dir.join(format!("image{i}.iso"));
        rr_iso(&src, &o);
        wim.push(w);
        iso.push(o);
    }
    Images {
        wim: wim.try_into().expect("two"),
        iso: iso.try_into().expect("two"),
        data,
    }
}

/// Round `round`: which tool (wimfs on even rounds) and which image (A, B, B, A, ...), so
/// consecutive mounts differ in both.
fn mount_command(images: &Images, round: usize, point: &Path) -> (Command, usize) {
    let which = (round / 2 + round) % 2;
    if round.is_multiple_of(2) {
        let mut c = wimfs();
        c.arg("mount").arg(&images.wim[which]).arg("1").arg(point);
        (c, which)
    } else {
        let mut c = isofs();
        c.arg("mount").arg(&images.iso[which]).arg(point);
        (c, which)
    }
}

fn unmount_command(round: usize, point: &Path) -> Command {
    let mut c = if round.is_multiple_of(2) {
        wimfs()
    } else {
        isofs()
    };
    c.arg("unmount").arg(point);
    c
}

fn check_serves(point: &Path, want: &[u8], what: &str) {
    assert!(mounted(point), "{what}: {} is not mounted", point.display());
    let got = fs::read(point.join("data.bin"))
        .unwrap_or_else(|e| panic!("{what}: reading data.bin: {e}"));
    assert!(got == want, "{what}: data.bin has the wrong bytes");
}

#[test]
fn unmount_then_mount_at_the_same_directory_keeps_the_new_mount() {
    if !tools_or_skip(&["wimlib-imagex", "xorriso", "fusermount3"]) {
        return;
    }
    if !Path::new("/dev/fuse").exists() {
        skip_unless_ci("there is no /dev/fuse");
        return;
    }
    let scratch = TempDir::new("remount-same-dir");
    let images = images(scratch.path());
    let point = scratch.mkdir("m");
    // Only cleans up after a failure: every round unmounts with the CLI itself.
    let mut cleanup = Command::new("fusermount3");
    cleanup.arg("-u").arg(&point);
    let _guard = MountGuard::adopt(&point, cleanup);

    let (mut first, mut which) = mount_command(&images, 0, &point);
    run(&mut first);
    for round in 0..ROUNDS {
        let what = format!("round {round}");
        check_serves(&point, &images.data[which], &what);
        let old_daemons = pids_with_arg(&point);
        assert!(
            !old_daemons.is_empty(),
            "{what}: no daemon serves the mount"
        );
        run(&mut unmount_command(round, &point));
        let left = pids_with_arg(&point);
        assert!(
            left.is_empty(),
            "{what}: the unmount returned while daemon {left:?} still runs"
        );
        let (mut next, next_which) = mount_command(&images, round + 1, &point);
        run(&mut next);
        which = next_which;
        thread::sleep(Duration::from_millis(300));
        check_serves(
            &point,
            &images.data[which],
            &format!("{what}: the mount made right after the unmount, 300 ms later"),
        );
    }
    run(&mut unmount_command(ROUNDS, &point));
}
