//! Read-write WIM mounts: the daemon side of commit/discard, and `wimfs unmount`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::backend::fuse::FuseUnmounter;
use parking_lot::Mutex;
use wimfs::commit::{commit, CommitOptions, CommitPhase};
use wimfs::WimFs;

use crate::control::{self, Action, Controller, Request};

/// Commits or discards a mounted image on request.
#[derive(Debug)]
pub struct WimController {
    fs: Arc<WimFs>,
    unmounter: Mutex<FuseUnmounter>,
}

impl WimController {
    /// Controls `fs`, unmounting through `unmounter` when done.
    pub fn new(fs: Arc<WimFs>, unmounter: FuseUnmounter) -> Self {
        Self {
            fs,
            unmounter: Mutex::new(unmounter),
        }
    }

    fn refuse_if_busy(&self, req: &Request) -> Result<(), String> {
        let open = self.fs.open_handles();
        if open > 0 && !req.force {
            return Err(format!(
                "{open} file(s) are still open in the mount; close them or use --force"
            ));
        }
        Ok(())
    }
}

impl Controller for WimController {
    fn commit(
        &self,
        req: &Request,
        progress: &mut dyn FnMut(&str, u64, u64),
    ) -> Result<String, String> {
        self.refuse_if_busy(req)?;
        if !self.fs.is_dirty() && !req.check {
            self.discard(req)?;
            return Ok("nothing changed; the WIM was not modified".into());
        }
        self.fs.set_frozen(true);
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let result = commit(
            &self.fs,
            &CommitOptions {
                check: req.check,
                threads,
            },
            &mut |phase, done, total| {
                let name = match phase {
                    CommitPhase::Hashing => "hashing",
                    CommitPhase::Writing => "writing",
                    CommitPhase::Integrity => "integrity",
                };
                progress(name, done, total);
            },
        );
        match result {
            Ok(r) => {
                if let Some(s) = self.fs.staging() {
                    let _ = s.destroy();
                }
                Ok(format!(
                    "committed: {} new blob(s), {} deduplicated, {} bytes appended ({} -> {} bytes)",
                    r.new_blobs, r.deduplicated, r.bytes_appended, r.size_before, r.size_after
                ))
            }
            Err(e) => {
                self.fs.set_frozen(false);
                Err(format!(
                    "commit failed, the WIM is unchanged and the staged changes are kept: {e}"
                ))
            }
        }
    }

    fn discard(&self, req: &Request) -> Result<String, String> {
        self.refuse_if_busy(req)?;
        self.fs.set_frozen(true);
        if let Some(s) = self.fs.staging() {
            let _ = s.destroy();
        }
        Ok("changes discarded".into())
    }

    fn status(&self) -> String {
        if self.fs.is_dirty() {
            "dirty".into()
        } else {
            "clean".into()
        }
    }

    fn unmount(&self) {
        if let Err(e) = self.unmounter.lock().unmount() {
            tracing::warn!("unmounting after commit/discard: {e}");
        }
    }
}

/// `wimfs unmount DIR [--commit|--discard] [--force] [--check] [--lazy]`.
pub fn unmount(
    dir: &Path,
    commit_: bool,
    discard: bool,
    force: bool,
    check: bool,
    lazy: bool,
) -> Result<(), String> {
    let canon = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let status = control::send(
        &canon,
        Request {
            action: Action::Status,
            force,
            check,
        },
        &mut |_, _, _| {},
    )?;
    let Some(status) = status else {
        if commit_ || discard {
            return Err(format!(
                "{} is not a read-write wimfs mount",
                canon.display()
            ));
        }
        return crate::mountpoint::unmount(&canon, "wimfs", lazy);
    };
    let action = if commit_ {
        Action::Commit
    } else if discard || status == "clean" {
        Action::Discard
    } else {
        return Err(format!(
            "{} is a read-write mount with changes: say --commit to write them into the WIM or --discard to drop them",
            canon.display()
        ));
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>10} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let reply = control::send(
        &canon,
        Request {
            action,
            force,
            check,
        },
        &mut |phase, done, total| {
            bar.set_message(phase.to_string());
            bar.set_length(total);
            bar.set_position(done);
        },
    );
    bar.finish_and_clear();
    let msg = reply?.ok_or("the mount's control socket went away")?;
    println!("{msg}");
    // The daemon unmounts itself; wait until it has.
    let deadline = Instant::now() + Duration::from_secs(30);
    while crate::mountpoint::is_mountpoint(&canon) {
        if Instant::now() > deadline {
            return Err(format!(
                "{} is still mounted (busy?); try fusermount3 -uz",
                canon.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
