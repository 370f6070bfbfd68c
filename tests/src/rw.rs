//! Read-write mounts of a WIM with our `wimfs`, as a guard: `mount --rw`, edit through the mount
//! point, commit while mounted ([`RwMount::live_commit`]), then [`RwMount::commit`] or
//! [`RwMount::discard`]. Dropped without either (a test that
//! panicked), the mount is discarded and unmounted, lazily if need be, and its daemon does not
//! outlive the test.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::bins::wimfs_bin;
use crate::daemon::wait_dead;
use crate::guard::{force_unmount, wait_daemon_gone};
use crate::process::run_ok;

/// A read-write mount of image `image` of `wim` at `point`, its changes staged in `staging`.
#[derive(Debug)]
pub struct RwMount {
    bin: PathBuf,
    point: PathBuf,
    staging: PathBuf,
    done: bool,
}

impl RwMount {
    /// `wimfs mount --rw --staging-dir STAGING WIM IMAGE POINT` (point created if needed).
    pub fn mount(wim: &Path, image: &str, point: &Path, staging: &Path) -> RwMount {
        RwMount::mount_with(wim, image, point, staging, |_| {})
    }

    /// Like [`RwMount::mount`], with `setup` adding arguments or environment to the command
    /// (`--resume`, `WIMFS_FAULT_AFTER_WRITES`) before the WIM, image and mount point.
    pub fn mount_with(
        wim: &Path,
        image: &str,
        point: &Path,
        staging: &Path,
        setup: impl FnOnce(&mut Command),
    ) -> RwMount {
        std::fs::create_dir_all(point).unwrap_or_else(|e| panic!("mkdir {}: {e}", point.display()));
        let bin = wimfs_bin();
        let mut cmd = Command::new(&bin);
        cmd.args(["mount", "--rw", "--staging-dir"]).arg(staging);
        setup(&mut cmd);
        cmd.arg(wim).arg(image).arg(point);
        run_ok(&mut cmd);
        RwMount {
            bin,
            point: point.to_path_buf(),
            staging: staging.to_path_buf(),
            done: false,
        }
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.point
    }

    /// The staging directory.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// `wimfs unmount [args] POINT` without consuming the mount: for commands that must be
    /// refused (a plain unmount with changes, a commit with a file open) or that are meant to
    /// be killed. Returns the raw output, whatever the status.
    pub fn try_unmount(&self, args: &[&str]) -> Output {
        Command::new(&self.bin)
            .arg("unmount")
            .args(args)
            .arg(&self.point)
            .output()
            .expect("run wimfs unmount")
    }

    /// `wimfs commit [args] POINT`: a commit while mounted (the mount stays). Returns the raw
    /// output, whatever the status.
    pub fn try_live_commit(&self, args: &[&str]) -> Output {
        Command::new(&self.bin)
            .arg("commit")
            .args(args)
            .arg(&self.point)
            .output()
            .expect("run wimfs commit")
    }

    /// `wimfs commit [args] POINT`, which must succeed.
    pub fn live_commit(&self, args: &[&str]) -> Output {
        run_ok(
            Command::new(&self.bin)
                .arg("commit")
                .args(args)
                .arg(&self.point),
        )
    }

    /// `wimfs unmount --commit [extra] POINT`, which must succeed; returns once the daemon has
    /// exited (the mount point can be mounted again at once).
    pub fn commit_with(mut self, extra: &[&str]) -> Output {
        self.done = true;
        let out = run_ok(
            Command::new(&self.bin)
                .args(["unmount", "--commit"])
                .args(extra)
                .arg(&self.point),
        );
        self.daemon_gone();
        out
    }

    /// `wimfs unmount --commit POINT`, which must succeed.
    pub fn commit(self) -> Output {
        self.commit_with(&[])
    }

    /// `wimfs unmount --discard POINT`, which must succeed; returns once the daemon has exited.
    pub fn discard(mut self) -> Output {
        self.done = true;
        let out = run_ok(
            Command::new(&self.bin)
                .args(["unmount", "--discard"])
                .arg(&self.point),
        );
        self.daemon_gone();
        out
    }

    fn daemon_gone(&self) {
        if let Some(problem) = wait_daemon_gone(&self.point) {
            panic!("{problem}");
        }
    }

    /// The daemon is gone (killed on purpose): waits for it to be dead, clears the dead mount
    /// with `fusermount3 -uz`, and forgets the mount. `pid` is the daemon's.
    pub fn abandon(mut self, pid: u32) {
        self.done = true;
        wait_dead(pid);
        let _ = Command::new("fusermount3")
            .arg("-uz")
            .arg(&self.point)
            .output();
    }
}

impl Drop for RwMount {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut discard = Command::new(&self.bin);
        discard
            .args(["unmount", "--discard"])
            .arg(OsStr::new(&self.point));
        if let Some(problem) = force_unmount(&self.point, &mut discard) {
            eprintln!("warning: {problem}");
        }
        if let Some(problem) = wait_daemon_gone(&self.point) {
            eprintln!("warning: {problem}");
        }
    }
}
