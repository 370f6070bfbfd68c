//! Mounts made by any command at a directory of the test's choosing, unmounted on drop (also
//! when the test panics): the unmount command first, then a lazy `fusermount3 -uz` if the
//! directory is still a mount point, so that a failing test never leaves a mount behind.
//! ([`crate::Mount`] is the variant that makes its own mount point and watches the daemon.)

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::bins::{isofs_bin, wimfs_bin};
use crate::daemon::{kill_pids, pids_with_arg};
use crate::mountinfo::is_mountpoint;
use crate::process::{describe_command, run, run_ok};

/// A live mount at `point`; unmounted on drop.
#[derive(Debug)]
pub struct MountGuard {
    point: PathBuf,
    unmount: Command,
    done: bool,
}

impl MountGuard {
    /// Runs `mount` (panicking with its output unless it succeeds) and guards `point`, to be
    /// unmounted with `unmount`.
    pub fn mount(mount: &mut Command, point: &Path, unmount: Command) -> MountGuard {
        run_ok(mount);
        MountGuard::adopt(point, unmount)
    }

    /// Guards a mount that is already at `point`.
    pub fn adopt(point: &Path, unmount: Command) -> MountGuard {
        MountGuard {
            point: point.to_path_buf(),
            unmount,
            done: false,
        }
    }

    /// A mount made by `mount`, a command of our `wimfs` or `isofs` binary; unmounted with
    /// `<the same binary> unmount POINT`.
    pub fn ours(mount: &mut Command, point: &Path) -> MountGuard {
        let bin = PathBuf::from(mount.get_program());
        MountGuard::mount(mount, point, unmount_command(&bin, point))
    }

    /// `wimfs mount WIM IMAGE POINT [extra]` with our binary; `wimfs unmount POINT` on drop.
    pub fn wimfs(wim: &Path, image: &str, point: &Path, extra: &[&str]) -> MountGuard {
        let bin = wimfs_bin();
        let mut mount = Command::new(&bin);
        mount
            .arg("mount")
            .args(extra)
            .arg(wim)
            .arg(image)
            .arg(point);
        MountGuard::mount(&mut mount, point, unmount_command(&bin, point))
    }

    /// `isofs mount [args] POINT` with our binary (`args` end with the source, e.g.
    /// `["--all", STICK]` or `[ISO]`); `isofs unmount POINT` on drop.
    pub fn isofs(args: &[&std::ffi::OsStr], point: &Path) -> MountGuard {
        let bin = isofs_bin();
        let mut mount = Command::new(&bin);
        mount.arg("mount").args(args).arg(point);
        MountGuard::mount(&mut mount, point, unmount_command(&bin, point))
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.point
    }

    /// Unmounts now, panicking with the command's output if it fails, and waits for the
    /// daemon to exit, so the mount point can be mounted again at once (a daemon still exiting
    /// could otherwise take the next mount there with it).
    pub fn unmount(mut self) {
        self.done = true;
        run_ok(&mut self.unmount);
        if let Some(problem) = wait_daemon_gone(&self.point) {
            panic!("{problem}");
        }
    }
}

/// `BIN unmount POINT`.
pub fn unmount_command(bin: &Path, point: &Path) -> Command {
    let mut c = Command::new(bin);
    c.arg("unmount").arg(point);
    c
}

/// Is `point` a mount point? Also when it is given through a symlinked parent (its parent is
/// resolved; the mount point itself is not touched, so a hung mount cannot block this).
pub fn mounted(point: &Path) -> bool {
    if is_mountpoint(point) {
        return true;
    }
    let (Some(parent), Some(name)) = (point.parent(), point.file_name()) else {
        return false;
    };
    std::fs::canonicalize(parent).is_ok_and(|p| is_mountpoint(&p.join(name)))
}

/// Unmounts `point` with `unmount` if it is a mount point, retrying a transient EBUSY (another
/// test thread's fork() can briefly hold copies of our descriptors until its exec), then
/// lazily with `fusermount3 -uz` if it still is. Returns what went wrong, if anything.
pub fn force_unmount(point: &Path, unmount: &mut Command) -> Option<String> {
    if !mounted(point) {
        return None;
    }
    let mut last = String::new();
    for _ in 0..5 {
        let out = run(unmount, Duration::from_secs(60));
        if !mounted(point) {
            return None;
        }
        last = format!("{out}");
        thread::sleep(Duration::from_millis(200));
    }
    let _ = run(
        Command::new("fusermount3").arg("-uz").arg(point),
        Duration::from_secs(30),
    );
    Some(format!(
        "`{}` left {} mounted (lazily unmounted with fusermount3 -uz):\n{last}",
        describe_command(unmount),
        point.display()
    ))
}

/// Waits (up to 10 s) until no process has `point` as an argument (the daemon that served a
/// mount there); kills what is left then and says so.
pub fn wait_daemon_gone(point: &Path) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pids = pids_with_arg(point);
        if pids.is_empty() {
            return None;
        }
        if Instant::now() >= deadline {
            kill_pids(&pids);
            return Some(format!(
                "daemon {pids:?} still serving {} 10 s after unmount: killed",
                point.display()
            ));
        }
        thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for MountGuard {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let problems = [
            force_unmount(&self.point, &mut self.unmount),
            wait_daemon_gone(&self.point),
        ];
        for problem in problems.into_iter().flatten() {
            eprintln!("warning: {problem}");
        }
    }
}

/// The older form of [`MountGuard`], kept for tests written against it (prefer the guard: it
/// also waits for the daemon to exit, so the mount point can be reused at once).
/// Mounts with `mount_cmd`, runs `check`, unmounts with `unmount` (also when `check` panics;
/// then a failing unmount falls back to `fusermount3 -uz` of `point`). A failing unmount after
/// a passing check fails the test.
pub fn with_mount(mount_cmd: &mut Command, unmount: &mut Command, check: impl FnOnce()) {
    run_ok(mount_cmd);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(check));
    match outcome {
        Ok(()) => {
            run_ok(unmount);
        }
        Err(e) => {
            let _ = run(unmount, Duration::from_secs(60));
            std::panic::resume_unwind(e);
        }
    }
}

/// A wimfs mount at a directory, unmounted on drop (also when the test fails): `wimfs
/// unmount`, else a lazy `fusermount3 -uz`.
#[derive(Debug)]
pub struct WimfsMount(pub PathBuf);

impl Drop for WimfsMount {
    fn drop(&mut self) {
        let mut unmount = unmount_command(&wimfs_bin(), &self.0);
        let problems = [
            force_unmount(&self.0, &mut unmount),
            wait_daemon_gone(&self.0),
        ];
        for problem in problems.into_iter().flatten() {
            eprintln!("warning: {problem}");
        }
    }
}
