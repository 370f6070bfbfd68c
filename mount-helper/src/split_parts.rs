//! The parts of a split WIM found beside its first part, in a directory of an image or of the
//! host. wimlib names the parts `install.swm`, `install2.swm`, ... (WIM paper section 2.3:
//! every part's header carries the WIM's GUID, its part number and the part count), so the
//! candidates are the files named `STEM*.swm` (any case) and a candidate belongs to the set when
//! its header carries the first part's GUID.

use std::path::Path;
use std::sync::Arc;

use common::io::{FileSource, ReadAt};
use common::nested::VfsFile;
use common::vfs::{FileKind, Vfs};

/// A positional source and its name for messages.
pub type NamedSource = (Arc<dyn ReadAt>, String);

/// Candidates examined at most per part of the set (bounds the work on a hostile directory).
const CANDIDATES_PER_PART: usize = 4;

/// What a WIM header says about the split set: GUID, this part's number and the part count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartOf {
    /// The WIM's GUID, shared by all parts.
    pub guid: [u8; 16],
    /// This part's number (1-based).
    pub part: u16,
    /// The number of parts.
    pub total: u16,
}

/// The split-set fields of the WIM header in `src`, if it has a valid one.
pub fn part_of(src: &dyn ReadAt) -> Option<PartOf> {
    let mut buf = vec![0u8; wimfs::format::header::HEADER_SIZE];
    src.read_exact_at(0, &mut buf).ok()?;
    let h = wimfs::format::WimHeader::parse(&buf).ok()?;
    Some(PartOf {
        guid: h.guid,
        part: h.part_number,
        total: h.total_parts,
    })
}

/// True when `src` holds the first part of a split WIM (whose images the set shows).
pub fn is_first_part(src: &dyn ReadAt) -> bool {
    part_of(src).is_some_and(|p| p.part == 1 && p.total > 1)
}

/// True for a `.swm` name (any case).
pub fn is_split_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.len() > 4 && lower.ends_with(".swm")
}

/// True when a sibling called `candidate` may be a part of the set whose first part is `first`.
fn is_candidate(first: &str, candidate: &str) -> bool {
    let (first, candidate) = (first.to_ascii_lowercase(), candidate.to_ascii_lowercase());
    let stem = first.strip_suffix(".swm").unwrap_or(&first);
    candidate != first && candidate.starts_with(stem) && candidate.ends_with(".swm")
}

/// Keeps the candidates that belong to `first`'s set, until all other parts are found.
fn select(first: PartOf, candidates: Vec<NamedSource>) -> Vec<NamedSource> {
    let mut parts: Vec<NamedSource> = Vec::new();
    let mut seen = Vec::new();
    for (src, name) in candidates {
        if let Some(p) = part_of(src.as_ref()) {
            if p.guid == first.guid && p.part != first.part && !seen.contains(&p.part) {
                seen.push(p.part);
                parts.push((src, name));
            }
        }
    }
    parts
}

/// The other parts of the split WIM `first` named `name` in directory `dir` of `vfs`
/// (`label` prefixes their names in messages). Empty for an unsplit WIM.
pub fn siblings_in_image(
    vfs: &Arc<dyn Vfs>,
    dir: u64,
    name: &str,
    first: &dyn ReadAt,
    label: &str,
) -> Result<Vec<NamedSource>, String> {
    let Some(head) = part_of(first).filter(|p| p.total > 1) else {
        return Ok(Vec::new());
    };
    let limit = usize::from(head.total).saturating_mul(CANDIDATES_PER_PART);
    let mut found = Vec::new();
    vfs.readdir(dir, 0, &mut |_, e| {
        if e.kind == FileKind::File && is_candidate(name, &e.name.to_string_lossy()) {
            found.push((e.ino, e.name.to_string_lossy().into_owned()));
        }
        found.len() >= limit
    })
    .map_err(|e| format!("{label}: {e}"))?;
    let mut candidates = Vec::new();
    for (ino, n) in found {
        let what = format!("{label}/{n}");
        let file =
            VfsFile::open_ino(Arc::clone(vfs), ino, what.clone()).map_err(|e| e.to_string())?;
        candidates.push((Arc::new(file) as Arc<dyn ReadAt>, what));
    }
    Ok(select(head, candidates))
}

/// The other parts of the split WIM `first` at host path `path`. Empty for an unsplit WIM.
pub fn siblings_on_host(path: &Path, first: &dyn ReadAt) -> Result<Vec<NamedSource>, String> {
    let Some(head) = part_of(first).filter(|p| p.total > 1) else {
        return Ok(Vec::new());
    };
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Ok(Vec::new());
    };
    let limit = usize::from(head.total).saturating_mul(CANDIDATES_PER_PART);
    let mut candidates = Vec::new();
    let listing = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in listing.flatten() {
        let n = entry.file_name().to_string_lossy().into_owned();
        if !is_candidate(name, &n) || !entry.path().is_file() {
            continue;
        }
        let p = entry.path();
        let src = FileSource::open(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        candidates.push((Arc::new(src) as Arc<dyn ReadAt>, p.display().to_string()));
        if candidates.len() >= limit {
            break;
        }
    }
    Ok(select(head, candidates))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_share_the_stem() {
        assert!(is_candidate("install.swm", "INSTALL2.SWM"));
        assert!(is_candidate("install.swm", "install10.swm"));
        assert!(!is_candidate("install.swm", "install.swm"));
        assert!(!is_candidate("install.swm", "boot2.swm"));
        assert!(!is_candidate("install.swm", "install2.wim"));
        assert!(is_split_name("Install.SWM"));
        assert!(!is_split_name(".swm"));
        assert!(!is_split_name("install.wim"));
    }
}
