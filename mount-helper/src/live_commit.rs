//! `wimfs commit DIR`: committing a live read-write mount and staying mounted (DISM's
//! `/Commit-Image`). The client asks the mount's daemon over the control channel
//! (`commit-live`); the daemon commits with the same crash safety as `wimfs unmount --commit`
//! and goes on from the committed image (`wimfs::fs::WimFs::commit_live`).
//!
//! Files open for writing: the commit is refused (with the count) unless `--force`, since an
//! application may be halfway through rewriting one; with `--force` they are committed as they
//! are at that instant and stay open and writable. Files open for reading never block it.
//! While the commit runs, changes through the mount fail with EBUSY; reads go on.

use std::path::Path;

use wimfs::commit::{CommitOptions, CommitPhase};
use wimfs::WimFs;

use crate::control::{self, Action, Request};
use crate::open_files::{settled_count, RELEASE_GRACE};

/// The daemon's side: commits `fs` and stays mounted.
pub fn commit_live(
    fs: &WimFs,
    req: &Request,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<String, String> {
    let writing = if req.force {
        0
    } else {
        settled_count(|| fs.open_write_handles(), RELEASE_GRACE)
    };
    if writing > 0 {
        return Err(format!(
            "{writing} file(s) are open for writing in the mount; close them, or use --force to \
             commit them as they are now (they stay open and writable)"
        ));
    }
    if !fs.is_dirty() && !req.check {
        return Ok(
            "nothing changed since the mount or the last commit; the WIM was not modified".into(),
        );
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    if req.new_image.is_some() {
        return Err(
            "a live commit updates the mounted image; --new-image is for unmount --commit".into(),
        );
    }
    let opts = CommitOptions {
        check: req.check,
        threads,
        new_image: None,
    };
    let r = fs
        .commit_live(&opts, &mut |phase, done, total| {
            let name = match phase {
                CommitPhase::Hashing => "hashing",
                CommitPhase::Writing => "writing",
                CommitPhase::Integrity => "integrity",
            };
            progress(name, done, total);
        })
        .map_err(|e| format!("commit failed: {e}"))?;
    Ok(format!(
        "committed: {} new blob(s), {} deduplicated, {} bytes appended ({} -> {} bytes); the mount stays read-write",
        r.commit.new_blobs,
        r.commit.deduplicated,
        r.commit.bytes_appended,
        r.commit.size_before,
        r.commit.size_after
    ))
}

/// `wimfs commit DIR [--force] [--check]`: commits the mount at `dir`, which stays mounted
/// (`staging`: the `--staging` option, which only a WIM file takes).
pub fn commit_mounted(
    dir: &Path,
    staging: Option<&Path>,
    force: bool,
    check: bool,
) -> Result<(), String> {
    if staging.is_some() {
        return Err(format!(
            "{} is a directory (a mount): --staging applies to a WIM file",
            dir.display()
        ));
    }
    let canon = crate::mountpoint::resolve_mounted(dir)?;
    let reply = send_showing_progress(
        &canon,
        Request {
            action: Action::CommitLive,
            force,
            check,
            rebuild: false,
            new_image: None,
        },
    );
    let msg = reply?.ok_or_else(|| {
        format!(
            "{} is not a read-write wimfs mount (a WIM file commits its left-behind changes: `wimfs commit WIM`)",
            canon.display()
        )
    })?;
    println!("{msg}");
    Ok(())
}

/// Sends `req` to the daemon of the mount at `mountpoint` (see [`control::send`]), showing the
/// progress it reports (phase, bytes done of total) as a progress bar, cleared at the end.
pub fn send_showing_progress(mountpoint: &Path, req: Request) -> Result<Option<String>, String> {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>10} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let reply = control::send(mountpoint, req, &mut |phase, done, total| {
        bar.set_message(phase.to_string());
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    reply
}
