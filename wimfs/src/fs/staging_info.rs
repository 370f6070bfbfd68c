//! The staging directory's `info` file, which says which WIM and image the staged changes
//! belong to, and the fingerprint of the WIM they were made against (a resumed mount refuses a
//! WIM that changed since).

use std::path::Path;

use sha1::{Digest, Sha1};

/// What a staging directory's `info` file records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagingInfo {
    /// The WIM (canonical path).
    pub wim: String,
    /// The image index.
    pub image: u32,
    /// SHA-1 of the WIM's header and valid end when the changes began.
    pub fingerprint: String,
    /// Unix time the staging began.
    pub created: u64,
    /// The daemon's pid (of the last mount that used it).
    pub pid: u32,
}

impl StagingInfo {
    /// Reads `<dir>/info`.
    pub fn read(dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(dir.join("info")).ok()?;
        let get = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                .map(str::to_owned)
        };
        Some(Self {
            wim: get("wim")?,
            image: get("image")?.parse().ok()?,
            fingerprint: get("fingerprint")?,
            created: get("created")?.parse().ok()?,
            pid: get("pid")?.parse().ok()?,
        })
    }

    /// Writes `<dir>/info` (atomically: temp file + rename).
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let tmp = dir.join("info.tmp");
        std::fs::write(
            &tmp,
            format!(
                "wim={}\nimage={}\nfingerprint={}\ncreated={}\npid={}\n",
                self.wim, self.image, self.fingerprint, self.created, self.pid
            ),
        )?;
        std::fs::rename(tmp, dir.join("info"))
    }
}

/// The fingerprint of a WIM: its header bytes and the end of what the header references.
pub fn fingerprint(header: &[u8], len: u64) -> String {
    let mut h = Sha1::new();
    h.update(header);
    h.update(len.to_le_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
