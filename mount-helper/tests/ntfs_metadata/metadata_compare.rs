//! Comparing our mount's view of each path with ntfs-3g's: attributes, times, security
//! descriptors, reparse points (link targets re-anchored to each mount point), named streams
//! and hard-link groups.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Entry, Kind, ATTR_DIRECTORY, META, TAG_MOUNT_POINT, TAG_SYMLINK};

/// A link's reparse buffer: (tag, substitute name, relative?).
fn parse_link(buf: &[u8]) -> Option<(u32, String, bool)> {
    let u16_at = |o: usize| -> Option<usize> {
        Some(usize::from(u16::from_le_bytes(
            buf.get(o..o + 2)?.try_into().ok()?,
        )))
    };
    let tag = u32::from_le_bytes(buf.get(..4)?.try_into().ok()?);
    let (names, relative) = match tag {
        TAG_SYMLINK => {
            let flags = u32::from_le_bytes(buf.get(16..20)?.try_into().ok()?);
            (20, flags & 1 != 0)
        }
        TAG_MOUNT_POINT => (16, false),
        _ => return None,
    };
    let (off, len) = (u16_at(8)?, u16_at(10)?);
    let raw = buf.get(names + off..names + off + len)?;
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Some((tag, String::from_utf16(&units).ok()?, relative))
}

/// The targets a link reads as on ntfs-3g and on our mount, from its reparse buffer.
fn expected_targets(buf: &[u8], ntfs_mnt: &Path, our_mnt: &Path) -> (String, String) {
    let (_, sub, relative) = parse_link(buf).expect("a symlink or junction reparse buffer");
    if relative {
        let t = sub.replace('\\', "/");
        return (t.clone(), t);
    }
    let rest = sub
        .strip_prefix("\\??\\")
        .unwrap_or_else(|| panic!("absolute target {sub:?} without \\??\\"));
    let (drive, path) = rest.split_at(rest.find('\\').unwrap_or(rest.len()));
    let path = path.replace('\\', "/");
    let ntfs = if drive.eq_ignore_ascii_case("C:") {
        format!("{}{path}", ntfs_mnt.display())
    } else {
        format!("{}/.NTFS-3G/{drive}{path}", ntfs_mnt.display())
    };
    (ntfs, format!("{}{path}", our_mnt.display()))
}

/// Compares one path; pushes every difference to `diffs`.
pub(super) fn compare(
    p: &str,
    ours: &Entry,
    ntfs: &Entry,
    ntfscat: &BTreeMap<String, Vec<u8>>,
    mounts: (&Path, &Path),
    diffs: &mut Vec<String>,
) {
    let (our_mnt, ntfs_mnt) = mounts;
    let mut d = |what: String| diffs.push(format!("/{p}: {what}"));
    // Type, size, bytes, targets.
    match (&ours.kind, &ntfs.kind) {
        (Kind::Dir, Kind::Dir) => {}
        (Kind::File(a), Kind::File(b)) => {
            if ours.size != ntfs.size {
                d(format!("size {} vs ntfs-3g {}", ours.size, ntfs.size));
            } else if a != b {
                d("file bytes differ".into());
            }
        }
        (ours_kind, Kind::Symlink(t)) if t.starts_with("unsupported reparse tag 0x") => {
            // ntfs-3g cannot show it; the reparse buffer says what it is.
            let buf = ntfs.meta("system.ntfs_reparse_data").unwrap_or_default();
            if parse_link(buf).is_some() {
                // A link ntfs-3g could not resolve (a relative target that does not exist).
                let (_, want) = expected_targets(buf, ntfs_mnt, our_mnt);
                match ours_kind {
                    Kind::Symlink(got) if *got == want => {}
                    k => d(format!("a link to {want:?} reads as {k:?}")),
                }
            } else if ntfs.attrib() & ATTR_DIRECTORY != 0 {
                if !matches!(ours_kind, Kind::Dir) {
                    d(format!("a directory reparse point reads as {ours_kind:?}"));
                }
            } else {
                let want = ntfscat
                    .get(p)
                    .unwrap_or_else(|| panic!("/{p}: no ntfscat data"));
                match ours_kind {
                    Kind::File(got) if got == want => {}
                    Kind::File(got) => d(format!(
                        "non-link reparse point: {} bytes, ntfscat {} bytes, differ",
                        got.len(),
                        want.len()
                    )),
                    k => d(format!("non-link reparse point reads as {k:?}, not a file")),
                }
            }
        }
        (Kind::Symlink(got_ours), Kind::Symlink(got_ntfs)) => {
            let buf = ntfs.meta("system.ntfs_reparse_data").unwrap_or_default();
            let (want_ntfs, want_ours) = expected_targets(buf, ntfs_mnt, our_mnt);
            if *got_ours != want_ours {
                d(format!("readlink {got_ours:?}, want {want_ours:?}"));
            }
            if *got_ntfs != want_ntfs {
                d(format!(
                    "ntfs-3g readlink {got_ntfs:?}, want {want_ntfs:?} (test's model of ntfs-3g)"
                ));
            }
        }
        (a, b) => d(format!("type {a:?} vs ntfs-3g {b:?}")),
    }
    if !matches!(ours.kind, Kind::Dir) && ours.nlink != ntfs.nlink {
        d(format!("nlink {} vs ntfs-3g {}", ours.nlink, ntfs.nlink));
    }
    if ours.mtime != ntfs.mtime {
        d(format!(
            "mtime {:?} vs ntfs-3g {:?}",
            ours.mtime, ntfs.mtime
        ));
    }
    if ours.atime != ntfs.atime {
        d(format!(
            "atime {:?} vs ntfs-3g {:?}",
            ours.atime, ntfs.atime
        ));
    }
    // Named streams.
    if ours.streams.keys().ne(ntfs.streams.keys()) {
        d(format!(
            "streams {:?} vs ntfs-3g {:?}",
            ours.streams.keys().collect::<Vec<_>>(),
            ntfs.streams.keys().collect::<Vec<_>>()
        ));
    } else {
        for (n, v) in &ours.streams {
            if ntfs.streams.get(n) != Some(v) {
                d(format!("stream {n} value differs ({} bytes)", v.len()));
            }
        }
    }
    if !ours.other_listed.is_empty() {
        d(format!(
            "lists {:?} (only user.* should be)",
            ours.other_listed
        ));
    }
    // Windows metadata, byte for byte.
    for n in META {
        let (a, b) = (ours.meta(n), ntfs.meta(n));
        if a != b {
            d(format!("{n}: {} vs ntfs-3g {}", hex(a), hex(b)));
        }
    }
}

pub(super) fn hex(v: Option<&[u8]>) -> String {
    match v {
        None => "absent".into(),
        Some(v) => v.iter().map(|b| format!("{b:02x}")).collect(),
    }
}
