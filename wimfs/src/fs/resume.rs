//! Opening a read-write mount's staging directory: a fresh one, or (resuming) one holding the
//! changes of an earlier mount, checked against the WIM they apply to.
//!
//! Which image a journal applies to: the base record of a journal rebased by a commit while
//! mounted names it (`journal_base.rs`); a journal without one applies to the image `info`
//! names. When that is not the WIM as it is now, but a commit while mounted recorded
//! (`commit_pending.rs`) that it was switching the WIM from the journal's image to exactly
//! the WIM as it is now, the daemon died between the switch and the journal's rebase: every
//! change of the journal is in the WIM, so the mount starts from the committed image with an
//! empty (rebased) journal. Any other WIM is refused.

use std::path::Path;

use super::commit_pending::PendingSwitch;
use super::journal::{Journal, JournalBase, Op};
use super::staging_info::{fingerprint, StagingInfo};
use crate::error::{WimError, WimResult};
use crate::staging::Staging;
use crate::wim::WimFile;

/// A staging directory ready for a mount.
pub(super) struct StagingSetup {
    pub staging: Staging,
    pub journal: Journal,
    /// Changes to replay onto the image.
    pub ops: Vec<Op>,
    /// Renumbering of the loaded image first: (map, slots) from the journal's base.
    pub renumber: Option<(Vec<u64>, u64)>,
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> WimError {
    move |e| WimError::io(what, e)
}

fn vfs(e: common::vfs::VfsError) -> WimError {
    WimError::Unsupported(e.to_string())
}

/// The fingerprint of `wim` as it is now (its header and the end of what it references: an
/// orphaned tail left by an interrupted commit does not change which image it is).
pub fn current_fingerprint(wim: &WimFile) -> WimResult<String> {
    Ok(fingerprint(
        wim.fingerprint().0,
        crate::wim_end::valid_end(wim)?,
    ))
}

/// The canonical name of the WIM recorded in `info`.
fn wim_name(wim: &WimFile) -> String {
    wim.path()
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()))
        .map_or_else(|| wim.name().to_string(), |p| p.display().to_string())
}

/// Opens (or creates) the staging directory `dir` of image `index` of `wim`.
pub(super) fn open_staging(
    wim: &WimFile,
    index: u32,
    dir: &Path,
    resume: bool,
) -> WimResult<StagingSetup> {
    let print = current_fingerprint(wim)?;
    let wim_name = wim_name(wim);
    if !resume {
        if StagingInfo::read(dir).is_some() {
            return Err(WimError::Unsupported(format!(
                "{} already holds staged changes: mount with --resume to continue them, or discard them",
                dir.display()
            )));
        }
        let staging = Staging::new(dir)
            .map_err(io(format!("creating staging directory {}", dir.display())))?;
        let created = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let info = StagingInfo {
            wim: wim_name,
            image: index,
            fingerprint: print,
            created,
            pid: std::process::id(),
        };
        info.write(dir)
            .map_err(io(format!("writing {}/info", dir.display())))?;
        let ops = Journal::read_all(dir).map_err(vfs)?;
        let journal = Journal::open(dir).map_err(vfs)?;
        return Ok(StagingSetup {
            staging,
            journal,
            ops,
            renumber: None,
        });
    }
    let info = StagingInfo::read(dir).ok_or_else(|| {
        WimError::Unsupported(format!(
            "{} holds no staged changes to resume",
            dir.display()
        ))
    })?;
    if info.wim != wim_name || info.image != index {
        return Err(WimError::Unsupported(format!(
            "{} holds changes for image {} of {}, not image {index} of {wim_name}",
            dir.display(),
            info.image,
            info.wim
        )));
    }
    let staging = Staging::open_existing(dir).map_err(io(format!("opening {}", dir.display())))?;
    let (base, mut ops) = Journal::read_based(dir).map_err(vfs)?;
    let base_print = base
        .as_ref()
        .map_or(info.fingerprint.as_str(), |b| b.fingerprint.as_str());
    let pending = PendingSwitch::read(dir);
    let renumber = if base_print == print {
        base.and_then(|b| (!b.map.is_empty()).then_some((b.map, b.len)))
    } else if pending
        .as_ref()
        .is_some_and(|p| p.from == base_print && p.to == print)
    {
        tracing::info!(
            "a commit while mounted switched {wim_name} but did not rebase {}: its changes are in the WIM",
            dir.display()
        );
        let base = JournalBase {
            fingerprint: print.clone(),
            len: 0,
            map: Vec::new(),
        };
        drop(Journal::write_rebased(dir, &base).map_err(vfs)?);
        ops.clear();
        remove_staged_files(dir);
        None
    } else {
        return Err(WimError::Unsupported(format!(
            "{wim_name} changed since the changes in {} were staged; they cannot be applied to it",
            dir.display()
        )));
    };
    StagingInfo {
        fingerprint: print,
        pid: std::process::id(),
        ..info
    }
    .write(dir)
    .map_err(io(format!("updating {}", dir.display())))?;
    // Done with (or never switched by) any commit it records.
    PendingSwitch::remove(dir).map_err(io(format!("updating {}", dir.display())))?;
    let journal = Journal::open(dir).map_err(vfs)?;
    Ok(StagingSetup {
        staging,
        journal,
        ops,
        renumber,
    })
}

/// Removes the staging files (named by their hexadecimal ids) of `dir`.
fn remove_staged_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let is_staged = name
            .to_str()
            .is_some_and(|n| n.len() == 16 && u64::from_str_radix(n, 16).is_ok());
        if is_staged {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
