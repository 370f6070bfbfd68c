//! Mounting a WIM image with our `wimfs` binary or with wimlib's own FUSE mount, as an RAII guard.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::daemon::{kill_pids, pids_with_arg};
use crate::guard::{force_unmount, unmount_command, wait_daemon_gone};
pub use crate::mountinfo::{is_mountpoint, mount_points, mounts_under};
use crate::process::{run, spawn, RunOutput, Spawned};
use crate::scratch::TempDir;

/// Which program serves the mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mounter {
    /// Our binary: `wimfs mount WIM IMAGE DIR` / `wimfs unmount DIR`.
    Wimfs(PathBuf),
    /// wimlib's `wimlib-imagex mount WIM IMAGE DIR --streams-interface=xattr` (the reference; used
    /// to validate the harness itself).
    Wimlib,
}

impl Mounter {
    /// The mounter chosen by env `WIMFS_DIFF_MOUNTER`: `wimlib` for wimlib's mount, unset or
    /// `wimfs` for our binary (located by [`crate::wimfs_bin`]).
    pub fn from_env() -> Mounter {
        match std::env::var("WIMFS_DIFF_MOUNTER").as_deref() {
            Ok("wimlib") => Mounter::Wimlib,
            Ok("wimfs") | Ok("") | Err(_) => Mounter::Wimfs(crate::wimfs_bin()),
            Ok(other) => panic!("WIMFS_DIFF_MOUNTER={other:?}: expected \"wimfs\" or \"wimlib\""),
        }
    }

    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Mounter::Wimfs(_) => "wimfs",
            Mounter::Wimlib => "wimlib-imagex mount",
        }
    }

    /// Is this wimlib's mount?
    pub fn is_wimlib(&self) -> bool {
        matches!(self, Mounter::Wimlib)
    }

    /// The `info` command of this mounter for `wim` (`wimfs info WIM` / `wimlib-imagex info WIM`).
    pub fn info_command(&self, wim: &Path) -> Command {
        match self {
            Mounter::Wimfs(bin) => {
                let mut c = Command::new(bin);
                c.arg("info").arg(wim);
                c
            }
            Mounter::Wimlib => {
                let mut c = Command::new("wimlib-imagex");
                c.arg("info").arg(wim);
                c
            }
        }
    }

    /// Mounts image `image` (1-based) of `wim` on a fresh temp dir.
    pub fn mount(
        &self,
        wim: &Path,
        image: u32,
        opts: &MountOptions,
    ) -> Result<Mount, MountFailure> {
        let dir = TempDir::new("mnt");
        let mountpoint = dir.path().join("mnt");
        fs::create_dir(&mountpoint).expect("create the mount point");
        let mut cmd = match self {
            Mounter::Wimfs(bin) => {
                let mut c = Command::new(bin);
                c.arg("mount")
                    .arg(wim)
                    .arg(image.to_string())
                    .arg(&mountpoint);
                c
            }
            Mounter::Wimlib => {
                let mut c = Command::new("wimlib-imagex");
                c.arg("mount")
                    .arg(wim)
                    .arg(image.to_string())
                    .arg(&mountpoint)
                    .arg("--streams-interface=xattr");
                if opts.unix_data {
                    c.arg("--unix-data");
                }
                c
            }
        };
        cmd.args(&opts.extra_args);
        if opts.foreground {
            if let Mounter::Wimfs(_) = self {
                cmd.arg("--foreground");
                return self.mount_foreground(cmd, mountpoint, dir, opts.timeout);
            }
        }
        let output = run(&mut cmd, opts.timeout);
        let mount = Mount {
            mounter: self.clone(),
            mountpoint,
            unmounted: false,
            foreground: None,
            _dir: dir,
        };
        if output.success() && mount.is_mounted() {
            return Ok(mount);
        }
        let reason = if output.timed_out {
            format!("mount did not return within {:?}", opts.timeout)
        } else if output.success() {
            "mount exited 0 but nothing is mounted on the mount point".to_string()
        } else {
            "mount failed".to_string()
        };
        // Drop cleans up anything half-mounted.
        drop(mount);
        Err(MountFailure {
            reason,
            output: Box::new(output),
        })
    }

    /// Starts `cmd` (a `--foreground` mount) and waits until the mount is live, the process
    /// exits, or `timeout` passes.
    fn mount_foreground(
        &self,
        mut cmd: Command,
        mountpoint: PathBuf,
        dir: TempDir,
        timeout: Duration,
    ) -> Result<Mount, MountFailure> {
        let start = Instant::now();
        let mut child = spawn(&mut cmd);
        loop {
            if is_mountpoint(&mountpoint) {
                return Ok(Mount {
                    mounter: self.clone(),
                    mountpoint,
                    unmounted: false,
                    foreground: Some(child),
                    _dir: dir,
                });
            }
            if child.has_exited() || start.elapsed() >= timeout {
                let exited = child.has_exited();
                let output = child.wait(Duration::ZERO);
                let reason = if exited {
                    "mount failed".to_string()
                } else {
                    format!("mount not live within {timeout:?}")
                };
                // Clean up anything half-mounted.
                drop(Mount {
                    mounter: self.clone(),
                    mountpoint,
                    unmounted: false,
                    foreground: None,
                    _dir: dir,
                });
                return Err(MountFailure {
                    reason,
                    output: Box::new(output),
                });
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Options for [`Mounter::mount`].
#[derive(Debug, Clone)]
pub struct MountOptions {
    /// Pass `--unix-data` to wimlib's mount (our binary always honours UNIX data).
    pub unix_data: bool,
    /// Extra arguments for the mount command.
    pub extra_args: Vec<String>,
    /// How long the mount command may take to return.
    pub timeout: Duration,
    /// Our binary only: run `wimfs mount --foreground` as a child of the test, so that its
    /// stderr (panic messages) and exit status are seen ([`Mount::finish`]).
    pub foreground: bool,
}

impl Default for MountOptions {
    fn default() -> Self {
        MountOptions {
            unix_data: false,
            extra_args: Vec::new(),
            timeout: Duration::from_secs(60),
            foreground: false,
        }
    }
}

/// A mount that did not happen.
#[derive(Debug)]
pub struct MountFailure {
    /// Why, in a few words.
    pub reason: String,
    /// What the mount command printed.
    pub output: Box<RunOutput>,
}

impl fmt::Display for MountFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.reason)?;
        write!(f, "{}", self.output)
    }
}

/// A live mount; unmounted (and its temp dir removed) on drop.
#[derive(Debug)]
pub struct Mount {
    mounter: Mounter,
    mountpoint: PathBuf,
    unmounted: bool,
    /// The `--foreground` mount process, if any.
    foreground: Option<Spawned>,
    // Last, so that it is dropped after the unmount.
    _dir: TempDir,
}

impl Mount {
    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.mountpoint
    }

    /// Who serves it.
    pub fn mounter(&self) -> &Mounter {
        &self.mounter
    }

    /// Is something mounted on the mount point (per /proc/self/mountinfo, which never blocks on a
    /// hung FUSE daemon the way stat(2) of the mount point can)?
    pub fn is_mounted(&self) -> bool {
        is_mountpoint(&self.mountpoint)
    }

    /// Kills the daemon serving this mount (found by the mount point in its command line). Any
    /// request blocked on it then fails with ENOTCONN; used when a read hangs.
    pub fn kill_daemon(&self) -> usize {
        let pids = pids_with_arg(&self.mountpoint);
        kill_pids(&pids);
        pids.len()
    }

    /// Unmounts now, reporting problems (drop does the same, silently).
    pub fn unmount(mut self) -> Result<(), String> {
        let (problems, _) = self.unmount_inner();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }

    /// Unmounts now: the problems unmounting, and for a `--foreground` mount what the mount
    /// process printed and how it exited.
    pub fn finish(mut self) -> (Vec<String>, Option<RunOutput>) {
        self.unmount_inner()
    }

    fn unmount_inner(&mut self) -> (Vec<String>, Option<RunOutput>) {
        if self.unmounted {
            return (Vec::new(), None);
        }
        self.unmounted = true;
        let mut problems = Vec::new();
        let mut cmd = match &self.mounter {
            Mounter::Wimfs(bin) => unmount_command(bin, &self.mountpoint),
            Mounter::Wimlib => unmount_command(Path::new("wimlib-imagex"), &self.mountpoint),
        };
        // A transient EBUSY is possible: another test thread's fork() briefly holds copies of
        // our open (close-on-exec) descriptors until its exec; force_unmount retries.
        if let Some(problem) = force_unmount(&self.mountpoint, &mut cmd) {
            problems.push(problem);
        }
        let foreground = self.foreground.take().map(|child| {
            let out = child.wait(Duration::from_secs(15));
            if out.timed_out {
                problems.push("the --foreground mount process did not exit after unmount".into());
            }
            out
        });
        // The daemon should exit once unmounted; do not leave one behind.
        problems.extend(wait_daemon_gone(&self.mountpoint));
        (problems, foreground)
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let (problems, _) = self.unmount_inner();
        if !problems.is_empty() {
            eprintln!(
                "warning: unmounting {}: {}",
                self.mountpoint.display(),
                problems.join("; ")
            );
        }
    }
}
