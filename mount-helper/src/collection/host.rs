//! The host side of a collection mount: which entries of a host directory are shown.
//!
//! Directories are shown (so the stick's folders appear), except symlinks to directories
//! (which could loop); files whose name ends in `.iso` (any case) are shown as directories
//! named like the file; with `--wim`, `NAME.wim`/`NAME.esd` files are shown as `NAME.wim.d`,
//! and the first part of a split WIM (`NAME.swm` whose header says part 1) as `NAME.swm.d`.
//! Everything else is hidden. Listings are read afresh each time, so images copied onto the
//! stick appear without remounting.

use std::ffi::{OsStr, OsString};
use std::path::Path;

use common::io::FileSource;

use super::slots::FileStamp;
use crate::split_parts;

/// Suffix of the directory listing a WIM's images.
pub const IMAGES_SUFFIX: &str = ".d";

/// How a shown host entry appears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKind {
    /// A host directory.
    Dir,
    /// An ISO image (the file's stamp).
    Iso(FileStamp),
    /// The images of the WIM file `file_name` (shown under `file_name` + `.d`).
    WimImages(OsString, FileStamp),
}

/// A shown entry of a host directory.
#[derive(Debug, Clone)]
pub struct HostEntry {
    /// The name shown.
    pub name: OsString,
    /// What it is.
    pub kind: HostKind,
}

fn has_suffix(name: &OsStr, suffixes: &[&str]) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    suffixes
        .iter()
        .any(|s| lower.len() > s.len() && lower.ends_with(s))
}

/// True for names of ISO images.
pub fn is_iso_name(name: &OsStr) -> bool {
    has_suffix(name, &[".iso"])
}

/// True for names of WIM files whose images `--wim` shows (split parts need their siblings,
/// so `.swm` is not among them).
pub fn is_wim_name(name: &OsStr) -> bool {
    has_suffix(name, &[".wim", ".esd"])
}

/// True for names that may be the first part of a split WIM (the header decides).
pub fn is_split_name(name: &OsStr) -> bool {
    name.to_str().is_some_and(split_parts::is_split_name)
}

/// `NAME.wim` for a shown name `NAME.wim.d` (or `NAME.esd.d`, `NAME.swm.d`).
pub fn wim_name_of_images_dir(name: &OsStr) -> Option<&OsStr> {
    let s = name.to_str()?;
    let stem = OsStr::new(s.strip_suffix(IMAGES_SUFFIX)?);
    (is_wim_name(stem) || is_split_name(stem)).then_some(stem)
}

/// True when the host file `path` named `name` shows its images: a WIM or ESD by its name, a
/// split part when its header says it is the first.
fn shows_images(path: &Path, name: &OsStr) -> bool {
    is_wim_name(name)
        || (is_split_name(name)
            && FileSource::open(path).is_ok_and(|src| split_parts::is_first_part(&src)))
}

/// What the entry `name` of host directory `dir` is shown as, if it is shown.
pub fn classify(dir: &Path, name: &OsStr, wim: bool) -> Option<HostKind> {
    if let Some(stem) = wim.then(|| wim_name_of_images_dir(name)).flatten() {
        let meta = std::fs::metadata(dir.join(stem)).ok()?;
        return (meta.is_file() && shows_images(&dir.join(stem), stem))
            .then(|| HostKind::WimImages(stem.to_os_string(), FileStamp::of(&meta)));
    }
    let path = dir.join(name);
    let link = std::fs::symlink_metadata(&path).ok()?;
    if link.is_dir() {
        return Some(HostKind::Dir);
    }
    let meta = std::fs::metadata(&path).ok()?;
    if meta.is_file() && is_iso_name(name) {
        return Some(HostKind::Iso(FileStamp::of(&meta)));
    }
    None
}

/// The shown entries of host directory `dir`, sorted by name.
pub fn list(dir: &Path, wim: bool) -> std::io::Result<Vec<HostEntry>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let Ok(e) = e else { continue };
        let name = e.file_name();
        if wim && (is_wim_name(&name) || is_split_name(&name)) {
            let Ok(meta) = std::fs::metadata(e.path()) else {
                continue;
            };
            if meta.is_file() && shows_images(&e.path(), &name) {
                let mut shown = name.clone();
                shown.push(IMAGES_SUFFIX);
                out.push(HostEntry {
                    name: shown,
                    kind: HostKind::WimImages(name, FileStamp::of(&meta)),
                });
            }
            continue;
        }
        if let Some(kind) = classify(dir, &name, false) {
            out.push(HostEntry { name, kind });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_recognized_case_insensitively() {
        assert!(is_iso_name(OsStr::new("Win11_23H2.ISO")));
        assert!(!is_iso_name(OsStr::new(".iso")));
        assert!(!is_iso_name(OsStr::new("notes.txt")));
        assert!(is_wim_name(OsStr::new("install.ESD")));
        assert!(!is_wim_name(OsStr::new("install.swm")));
        assert_eq!(
            wim_name_of_images_dir(OsStr::new("install.wim.d")),
            Some(OsStr::new("install.wim"))
        );
        assert_eq!(wim_name_of_images_dir(OsStr::new("boot.d")), None);
    }

    #[test]
    fn listings_show_dirs_isos_and_wims() {
        let dir = std::env::temp_dir().join(format!("host-list-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
        for f in ["b.iso", "A.ISO", "notes.txt", "install.wim"] {
            std::fs::write(dir.join(f), b"x").expect("write");
        }
        let names = |wim| -> Vec<String> {
            list(&dir, wim)
                .expect("list")
                .into_iter()
                .map(|e| e.name.to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(names(false), ["A.ISO", "b.iso", "sub"]);
        assert_eq!(names(true), ["A.ISO", "b.iso", "install.wim.d", "sub"]);
        assert!(classify(&dir, OsStr::new("install.wim.d"), true).is_some());
        assert!(classify(&dir, OsStr::new("install.wim.d"), false).is_none());
        assert!(classify(&dir, OsStr::new("notes.txt"), true).is_none());
        std::fs::remove_dir_all(&dir).ok();
    }
}
