//! Web-server fixtures for the HTTP source tests: a real nginx on 127.0.0.1 (http and https
//! with a CA the test makes) and a latency/fault proxy in front of it.

pub mod fault_proxy;
pub mod nginx;
pub mod tls;
pub mod trees;

pub use fault_proxy::{Fault, FaultProxy};
pub use nginx::Nginx;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::guard::{force_unmount, unmount_command};
use crate::process::run;
use crate::scratch::TempDir;
use crate::tree::{walk, Manifest, WalkOptions};

/// Serves `target` as `root/name` (a symlink: nginx follows it).
pub fn publish(root: &Path, name: &str, target: &Path) {
    let link = root.join(name);
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(target, &link).expect("symlink into the web root");
}

/// An `isofs` mount of `spec` (a path or URL) with `extra` arguments, unmounted on drop.
#[derive(Debug)]
pub struct IsoMount {
    dir: TempDir,
    mounted: bool,
}

impl IsoMount {
    /// Mounts, or returns the command's output as the error.
    pub fn new(spec: &str, extra: &[&str]) -> Result<IsoMount, String> {
        let dir = TempDir::new("iso-mnt");
        let mnt = dir.path().join("mnt");
        std::fs::create_dir(&mnt).expect("mount point");
        let out = run(
            Command::new(crate::isofs_bin())
                .arg("mount")
                .arg(spec)
                .arg(&mnt)
                .args(extra),
            Duration::from_secs(120),
        );
        if !out.success() {
            return Err(out.to_string());
        }
        Ok(IsoMount { dir, mounted: true })
    }

    /// The mount point.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("mnt")
    }

    /// Walks the mount (contents and xattrs).
    pub fn walk(&self) -> Manifest {
        walk(&self.path(), &WalkOptions::default())
    }
}

impl Drop for IsoMount {
    fn drop(&mut self) {
        if self.mounted {
            let point = self.path();
            let mut unmount = unmount_command(&crate::isofs_bin(), &point);
            if let Some(problem) = force_unmount(&point, &mut unmount) {
                eprintln!("warning: {problem}");
            }
        }
    }
}
