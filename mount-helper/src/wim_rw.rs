//! Read-write WIM mounts: the daemon side of commit/discard, and `wimfs unmount`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use wimfs::commit::{commit, CommitOptions, CommitPhase, CommitReport, CommitSource, NewImage};
use wimfs::WimFs;

use crate::control::{self, Action, Controller, Request};
use crate::open_files::{settled_count, RELEASE_GRACE};
use crate::Unmounter;

/// What to try when a mount stays busy after a commit or discard.
#[cfg(unix)]
const BUSY_HINT: &str = "try fusermount3 -uz";
#[cfg(not(unix))]
const BUSY_HINT: &str = "close the programs using it and retry `wimfs unmount`";

/// Commits or discards a mounted image on request.
#[derive(Debug)]
pub struct WimController {
    fs: Arc<WimFs>,
    unmounter: Mutex<Unmounter>,
}

impl WimController {
    /// Controls `fs`, unmounting through `unmounter` when done.
    pub fn new(fs: Arc<WimFs>, unmounter: Unmounter) -> Self {
        Self {
            fs,
            unmounter: Mutex::new(unmounter),
        }
    }

    fn refuse_if_busy(&self, req: &Request) -> Result<(), String> {
        if req.force {
            return Ok(());
        }
        let open = settled_count(|| self.fs.open_handles(), RELEASE_GRACE);
        if open > 0 {
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
        if !self.fs.is_dirty() && !req.check && req.new_image.is_none() {
            self.discard(req)?;
            return Ok("nothing changed; the WIM was not modified".into());
        }
        self.fs.set_frozen(true);
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        // Held, not copied, for the commit: with writes frozen nothing changes the tree, and a
        // change already waiting for it is refused once it gets it.
        let tree = self.fs.tree();
        let wim = self.fs.wim();
        let source = CommitSource {
            wim: &wim,
            image: self.fs.image(),
            tree: &tree,
            staging: self.fs.staging(),
        };
        let result = commit(
            &source,
            &CommitOptions {
                check: req.check,
                threads,
                new_image: req.new_image.clone(),
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
        drop(tree);
        match result {
            Ok(r) => {
                let done = committed_as(&r, req.new_image.is_some());
                if let Some(s) = self.fs.staging() {
                    let _ = crate::staging_state::remove(s.dir());
                }
                if req.rebuild {
                    let path = wim.path().ok_or("nested WIMs cannot be rebuilt")?;
                    progress("rebuilding", 0, 1);
                    let rb = wimfs::commit::rebuild(path, req.check).map_err(|e| {
                        format!(
                            "committed, but the rebuild failed (the committed WIM is intact): {e}"
                        )
                    })?;
                    return Ok(format!(
                        "{done}: {} new blob(s), {} deduplicated; rebuilt: {} -> {} bytes",
                        r.new_blobs, r.deduplicated, rb.before, rb.after
                    ));
                }
                Ok(format!(
                    "{done}: {} new blob(s), {} deduplicated, {} bytes appended ({} -> {} bytes)",
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
            let _ = crate::staging_state::remove(s.dir());
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

    fn commit_live(
        &self,
        req: &Request,
        progress: &mut dyn FnMut(&str, u64, u64),
    ) -> Result<String, String> {
        crate::live_commit::commit_live(&self.fs, req, progress)
    }
}

/// What a commit wrote, for its summary: "committed" or "committed as new image N ...".
fn committed_as(r: &CommitReport, new_image: bool) -> String {
    match &r.image_name {
        _ if !new_image => "committed".into(),
        Some(name) => format!("committed as new image {} named {name:?}", r.image),
        None => format!("committed as new image {} (unnamed)", r.image),
    }
}

/// `wimfs unmount DIR [--commit [--new-image [--image-name NAME]]|--discard] [--force]
/// [--check] [--lazy]`.
#[allow(clippy::too_many_arguments)]
pub fn unmount(
    dir: &Path,
    commit_: bool,
    discard: bool,
    force: bool,
    check: bool,
    rebuild: bool,
    lazy: bool,
    new_image: Option<NewImage>,
) -> Result<(), String> {
    let canon = crate::mountpoint::resolve_mounted(dir)?;
    let status = control::send(
        &canon,
        Request {
            action: Action::Status,
            force,
            check,
            rebuild,
            new_image: None,
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
    // The daemon of this mount, waited for once it has unmounted itself (`daemon_lock.rs`).
    #[cfg(unix)]
    let daemon = crate::daemon_lock::ServingDaemon::of(&canon);
    let reply = crate::live_commit::send_showing_progress(
        &canon,
        Request {
            action,
            force,
            check,
            rebuild,
            new_image,
        },
    );
    let msg = reply?.ok_or("the mount's control socket went away")?;
    println!("{msg}");
    // The daemon unmounts itself; wait until it has.
    let deadline = Instant::now() + Duration::from_secs(30);
    while crate::mountpoint::is_mountpoint(&canon) {
        if Instant::now() > deadline {
            return Err(format!(
                "{} is still mounted (busy?); {BUSY_HINT}",
                canon.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    #[cfg(unix)]
    daemon.wait_until_done(&canon, crate::daemon_lock::DAEMON_EXIT_TIMEOUT);
    Ok(())
}

/// Picks the staging directory of a read-write mount: `explicit`, or with `resume` the WIM's
/// leftover one, or a new one. Refuses to start fresh over leftovers (they would be lost from
/// view). Returns (directory, resuming).
pub fn choose_staging(
    wim: &Path,
    index: u32,
    explicit: Option<&Path>,
    resume: bool,
) -> Result<(std::path::PathBuf, bool), String> {
    use crate::staging_state::{leftovers, new_staging_dir, register};
    if let Some(dir) = explicit {
        let has_state = wimfs::fs::StagingInfo::read(dir).is_some();
        if has_state && !resume {
            return Err(format!(
                "{} holds staged changes: add --resume to continue them",
                dir.display()
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        register(dir)?;
        return Ok((dir.to_path_buf(), resume));
    }
    let left = leftovers(wim, Some(index));
    if resume {
        let last = left.last().ok_or_else(|| {
            format!(
                "no staged changes of image {index} of {} to resume",
                wim.display()
            )
        })?;
        return Ok((last.dir.clone(), true));
    }
    if let Some(s) = left.last() {
        return Err(format!(
            "an earlier read-write mount of image {index} of {} left staged changes in {} ({} bytes): \
             mount with --rw --resume to continue them, `wimfs commit {}` to write them, or `wimfs cleanup {}` to drop them",
            wim.display(),
            s.dir.display(),
            s.bytes,
            wim.display(),
            wim.display()
        ));
    }
    Ok((new_staging_dir(wim, index)?, false))
}

/// Syncs the journal every second while changes are pending (the daemon's durability tick).
pub fn start_journal_sync(fs: Arc<WimFs>) {
    let _ = std::thread::Builder::new()
        .name("journal-sync".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(1));
            if let Err(e) = fs.sync_journal() {
                tracing::warn!("syncing the journal: {e}");
            }
        });
}

/// `wimfs status`: live read-write mounts and leftover staged changes.
pub fn status() -> Result<(), String> {
    let all = crate::staging_state::list();
    if all.is_empty() {
        println!("no read-write mounts and no staged changes");
        return Ok(());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    println!(
        "{:<7} {:>5} {:>12} {:>8}  {:<40} staging",
        "state", "image", "staged", "age", "wim"
    );
    for s in all {
        let age = now.saturating_sub(s.info.created);
        let age = if age < 120 {
            format!("{age}s")
        } else if age < 7200 {
            format!("{}m", age / 60)
        } else {
            format!("{}h", age / 3600)
        };
        println!(
            "{:<7} {:>5} {:>12} {:>8}  {:<40} {}",
            if s.live { "live" } else { "stale" },
            s.info.image,
            s.bytes,
            age,
            s.info.wim,
            s.dir.display()
        );
    }
    Ok(())
}

fn only_leftover(wim: &Path, staging: Option<&Path>) -> Result<std::path::PathBuf, String> {
    if let Some(d) = staging {
        return Ok(d.to_path_buf());
    }
    let left = crate::staging_state::leftovers(wim, None);
    match left.as_slice() {
        [one] => Ok(one.dir.clone()),
        [] => Err(format!(
            "no staged changes of {} were left behind",
            wim.display()
        )),
        many => Err(format!(
            "{} sets of staged changes of {} exist; name one with --staging: {}",
            many.len(),
            wim.display(),
            many.iter()
                .map(|s| s.dir.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// `wimfs commit WIM [--staging DIR] [--new-image [--image-name NAME]]`: replays left-behind
/// changes and commits them (over their image, or as a new one).
pub fn commit_offline(
    wim_path: &Path,
    staging: Option<&Path>,
    check: bool,
    new_image: Option<NewImage>,
) -> Result<(), String> {
    let _lock = crate::wim_lock::lock_wim(wim_path)?;
    let dir = only_leftover(wim_path, staging)?;
    let info = wimfs::fs::StagingInfo::read(&dir)
        .ok_or_else(|| format!("{} holds no staged changes", dir.display()))?;
    let wim = wimfs::WimFile::open(
        wim_path,
        Arc::new(common::cache::ChunkCache::new(256 << 20)),
    )
    .map_err(|e| e.to_string())?;
    let opts = wimfs::WimFsOptions {
        staging_dir: Some(dir.clone()),
        resume: true,
        ..Default::default()
    };
    let fs = Arc::new(WimFs::new(Arc::new(wim), info.image, opts).map_err(|e| e.to_string())?);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let bar = indicatif::ProgressBar::new(0);
    let tree = fs.tree().clone();
    let wim = fs.wim();
    let source = CommitSource {
        wim: &wim,
        image: fs.image(),
        tree: &tree,
        staging: fs.staging(),
    };
    let new_image_asked = new_image.is_some();
    let report = commit(
        &source,
        &CommitOptions {
            check,
            threads,
            new_image,
        },
        &mut |_, done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    )
    .map_err(|e| {
        format!("commit failed, the WIM is unchanged and the staged changes are kept: {e}")
    })?;
    bar.finish_and_clear();
    crate::staging_state::remove(&dir)?;
    let done = committed_as(&report, new_image_asked);
    println!(
        "{done}: {} new blob(s), {} deduplicated, {} bytes appended",
        report.new_blobs, report.deduplicated, report.bytes_appended
    );
    Ok(())
}

/// `wimfs cleanup WIM`: drops the changes left behind for the WIM.
pub fn cleanup(wim: &Path) -> Result<(), String> {
    let left = crate::staging_state::leftovers(wim, None);
    if left.is_empty() {
        println!("nothing to clean up for {}", wim.display());
    }
    for s in left {
        crate::staging_state::remove(&s.dir)?;
        println!(
            "discarded staged changes of image {} in {}",
            s.info.image,
            s.dir.display()
        );
    }
    Ok(())
}

/// `wimfs verify --repair`: truncates an orphaned tail and clears WRITE_IN_PROGRESS.
pub fn repair(wim: &Path) -> Result<(), String> {
    let _lock = crate::wim_lock::lock_wim(wim)?;
    let r = wimfs::commit::repair(wim).map_err(|e| e.to_string())?;
    if let Some((from, to)) = r.truncated {
        println!("repair: truncated an orphaned tail ({from} -> {to} bytes)");
    }
    if r.cleared_write_in_progress {
        println!("repair: cleared the WRITE_IN_PROGRESS flag");
    }
    if r == wimfs::commit::RepairReport::default() {
        println!("repair: nothing to repair");
    }
    Ok(())
}
