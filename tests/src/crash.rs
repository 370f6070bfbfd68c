//! The pieces of the crash tests: a commit's daemon is killed (SIGKILL) at its N-th write
//! through the `WIMFS_FAULT_AFTER_WRITES` hook (in binaries built with wimfs's
//! `fault-injection` feature, as mount-helper's tests are), for every N in turn. Here: the
//! small base WIM and the edits they commit, the mount armed to be killed, and the clean-up
//! after a kill.

use std::fs;
use std::path::{Path, PathBuf};

use crate::daemon::{wait_dead, wait_unlocked};
use crate::fixtures::noise;
use crate::rw::RwMount;
use crate::wimlib::{apply, wimlib};

/// Captures `dir/src` (`Windows/System32/kernel.bin` of `kernel_bytes` noise, `Windows/win.ini`,
/// and what `more` adds) into the LZX WIM `dir/base.wim` (`name`: the image's name).
pub fn crash_base_wim(
    dir: &Path,
    kernel_bytes: usize,
    name: Option<&str>,
    more: impl FnOnce(&Path),
) -> PathBuf {
    let src = dir.join("src");
    fs::create_dir_all(src.join("Windows/System32")).expect("mkdir");
    fs::write(
        src.join("Windows/System32/kernel.bin"),
        noise(kernel_bytes, 3),
    )
    .expect("write");
    fs::write(src.join("Windows/win.ini"), "[fonts]\r\n".repeat(100)).expect("write");
    more(&src);
    let wim = dir.join("base.wim");
    let (src_arg, wim_arg) = (src.to_str().expect("utf-8"), wim.to_str().expect("utf-8"));
    let mut args = vec!["capture", src_arg, wim_arg];
    args.extend(name);
    args.extend(["--compress=lzx", "--check"]);
    wimlib(&args);
    wim
}

/// The edits a crash test commits under `root` (a tree of [`crash_base_wim`]): a new driver of
/// `driver_bytes` noise, a changed `win.ini`, a new directory with a file.
pub fn crash_edits(root: &Path, driver_bytes: usize) {
    fs::write(root.join("Windows/new-driver.sys"), noise(driver_bytes, 7)).expect("write");
    fs::write(root.join("Windows/win.ini"), "[changed]\r\n").expect("write");
    fs::create_dir_all(root.join("Windows/Panther")).expect("mkdir");
    fs::write(root.join("Windows/Panther/unattend.xml"), "<u/>").expect("write");
}

/// Image `image` of `wim` applied into `to`, emptied first.
pub fn apply_fresh(wim: &Path, image: &str, to: &Path) {
    let _ = fs::remove_dir_all(to);
    apply(wim, image, to);
}

/// Image 1 of `base` applied as `dir/old`, and again as `dir/new` with `edits` made to it: the
/// two trees a killed commit may leave.
pub fn old_and_new_trees(base: &Path, dir: &Path, edits: impl FnOnce(&Path)) -> (PathBuf, PathBuf) {
    let old = dir.join("old");
    apply_fresh(base, "1", &old);
    let new = dir.join("new");
    apply_fresh(base, "1", &new);
    edits(&new);
    (old, new)
}

/// Attempt `n` of a kill loop: a fresh copy `dir/work.wim` of `base`, mounted at `point` with
/// staging directory `dir/stN` and a daemon that kills itself at its `n`-th write.
pub fn kill_attempt(base: &Path, dir: &Path, point: &Path, n: u32) -> (PathBuf, PathBuf, RwMount) {
    let wim = dir.join("work.wim");
    fs::copy(base, &wim).unwrap_or_else(|e| panic!("copy {}: {e}", base.display()));
    let staging = dir.join(format!("st{n}"));
    let rw = mount_killed_at_write(&wim, point, &staging, n);
    (wim, staging, rw)
}

/// A read-write mount of image 1 of `wim` whose daemon kills itself at its `n`-th write.
pub fn mount_killed_at_write(wim: &Path, point: &Path, staging: &Path, n: u32) -> RwMount {
    RwMount::mount_with(wim, "1", point, staging, |c| {
        c.env("WIMFS_FAULT_AFTER_WRITES", n.to_string());
    })
}

/// After the daemon `pid` of `rw` killed itself: waits for it to be dead and for its lock on
/// `wim` to be gone, then clears the dead mount.
pub fn after_kill(rw: RwMount, pid: u32, wim: &Path) {
    wait_dead(pid);
    wait_unlocked(wim);
    rw.abandon(pid);
}
