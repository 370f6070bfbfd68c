//! The record a commit while mounted leaves in the staging directory just before it switches
//! the WIM's header: which image the WIM is (`from`, the fingerprint the journal applies to)
//! and which it is about to become (`to`, the fingerprint of the header being written and the
//! end of what it references). If the daemon dies after the switch but before the journal is
//! rebased, a resumed mount finds the WIM at `to` with a journal based on `from`: every change
//! of that journal is in the WIM already, so it starts afresh from the committed image instead
//! of replaying them a second time. The record is removed once the journal is rebased.

use std::path::Path;

use crate::staging::sync_dir;

const NAME: &str = "commit-pending";

/// A commit that may have switched the WIM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSwitch {
    /// The fingerprint of the WIM before the commit.
    pub from: String,
    /// The fingerprint of the WIM after the commit.
    pub to: String,
}

impl PendingSwitch {
    /// Reads `<dir>/commit-pending` (None if absent or unreadable).
    pub fn read(dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(dir.join(NAME)).ok()?;
        let get = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                .map(str::to_owned)
        };
        Some(Self {
            from: get("from")?,
            to: get("to")?,
        })
    }

    /// Writes `<dir>/commit-pending` durably (temp file, sync, rename, sync the directory).
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let tmp = dir.join(format!("{NAME}.tmp"));
        let f = std::fs::File::create(&tmp)?;
        std::io::Write::write_all(
            &mut &f,
            format!("from={}\nto={}\n", self.from, self.to).as_bytes(),
        )?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, dir.join(NAME))?;
        sync_dir(dir)
    }

    /// Removes `<dir>/commit-pending` (durably; absent is fine).
    pub fn remove(dir: &Path) -> std::io::Result<()> {
        match std::fs::remove_file(dir.join(NAME)) {
            Ok(()) => sync_dir(dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_round_trips_and_goes_away() {
        let dir = std::env::temp_dir().join(format!("wimfs-pending-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        assert_eq!(PendingSwitch::read(&dir), None);
        let p = PendingSwitch {
            from: "aa".into(),
            to: "bb".into(),
        };
        p.write(&dir).expect("write");
        assert_eq!(PendingSwitch::read(&dir), Some(p));
        PendingSwitch::remove(&dir).expect("remove");
        PendingSwitch::remove(&dir).expect("again");
        assert_eq!(PendingSwitch::read(&dir), None);
        std::fs::remove_dir_all(&dir).ok();
    }
}
