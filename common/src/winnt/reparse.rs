//! Reparse points: the tag of a stored REPARSE_DATA_BUFFER, and a symlink reparse buffer made
//! from a POSIX symlink target for images that store none (Rock Ridge symlinks).
//!
//! Layout per MS-FSCC 2.1.2.1 (REPARSE_DATA_BUFFER) and 2.1.2.4 (symbolic link reparse data).

/// IO_REPARSE_TAG_SYMLINK.
pub const TAG_SYMLINK: u32 = 0xA000_000C;
/// IO_REPARSE_TAG_MOUNT_POINT (junctions).
pub const TAG_MOUNT_POINT: u32 = 0xA000_0003;
/// SYMLINK_FLAG_RELATIVE.
pub const SYMLINK_FLAG_RELATIVE: u32 = 1;
/// The largest reparse buffer Windows accepts (MAXIMUM_REPARSE_DATA_BUFFER_SIZE).
pub const MAX_REPARSE_SIZE: usize = 16 * 1024;

/// The tag of a full reparse buffer (tag, data length, reserved, data) if its header and its
/// stated data length fit in `data`.
pub fn reparse_tag(data: &[u8]) -> Option<u32> {
    let tag = u32::from_le_bytes(data.get(0..4)?.try_into().ok()?);
    let len = u16::from_le_bytes(data.get(4..6)?.try_into().ok()?) as usize;
    (data.len() >= 8 + len && data.len() <= MAX_REPARSE_SIZE).then_some(tag)
}

/// A relative Windows link target for the POSIX `target` of a symlink `depth` directories
/// below the mount root: `/` becomes `\`, and an absolute target is made relative to the mount
/// root (`..\` per level), so it stays inside the image as the POSIX view shows it. `None` if
/// the target is empty or leaves the image.
pub fn windows_link_target(target: &str, depth: usize) -> Option<String> {
    let (mut parts, mut level): (Vec<&str>, usize) = if target.starts_with('/') {
        (vec![".."; depth], 0)
    } else {
        (Vec::new(), depth)
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else {
                    level = level.checked_sub(1)?;
                    parts.push("..");
                }
            }
            p => {
                if p.contains('\\') || p.contains(':') {
                    return None; // not expressible as a Windows path component
                }
                parts.push(p);
            }
        }
    }
    if parts.is_empty() {
        return Some(".".into());
    }
    Some(parts.join("\\"))
}

/// A full IO_REPARSE_TAG_SYMLINK reparse buffer for a relative Windows `target`.
pub fn symlink_reparse_data(target: &str) -> Option<Vec<u8>> {
    let path: Vec<u8> = target.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let path_len = u16::try_from(path.len()).ok()?;
    // Substitute name then print name, the same string twice.
    let data_len = 12usize.checked_add(2 * path.len())?;
    if 8 + data_len > MAX_REPARSE_SIZE {
        return None;
    }
    let mut out = Vec::with_capacity(8 + data_len);
    out.extend_from_slice(&TAG_SYMLINK.to_le_bytes());
    out.extend_from_slice(&(data_len as u16).to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    for field in [0, path_len, path_len, path_len] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out.extend_from_slice(&SYMLINK_FLAG_RELATIVE.to_le_bytes());
    out.extend_from_slice(&path);
    out.extend_from_slice(&path);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_of_stored_buffers() {
        let rp = symlink_reparse_data("a").unwrap_or_default();
        assert_eq!(reparse_tag(&rp), Some(TAG_SYMLINK));
        assert_eq!(reparse_tag(&rp[..rp.len() - 1]), None);
        assert_eq!(reparse_tag(&[1, 2, 3]), None);
        let junction = [3, 0, 0, 0xA0, 0, 0, 0, 0];
        assert_eq!(reparse_tag(&junction), Some(TAG_MOUNT_POINT));
    }

    #[test]
    fn posix_targets_become_relative_windows_targets() {
        assert_eq!(windows_link_target("b/c", 0).as_deref(), Some("b\\c"));
        assert_eq!(windows_link_target("../x", 1).as_deref(), Some("..\\x"));
        assert_eq!(windows_link_target("../x", 0), None);
        assert_eq!(
            windows_link_target("a/../../x", 1).as_deref(),
            Some("..\\x")
        );
        assert_eq!(
            windows_link_target("/usr/bin", 2).as_deref(),
            Some("..\\..\\usr\\bin")
        );
        assert_eq!(windows_link_target("/", 0).as_deref(), Some("."));
        assert_eq!(windows_link_target("/../x", 3), None);
        assert_eq!(windows_link_target("c:x", 0), None);
        assert_eq!(windows_link_target("./a//b/", 0).as_deref(), Some("a\\b"));
    }

    #[test]
    fn symlink_buffer_layout() {
        let rp = symlink_reparse_data("..\\x").unwrap_or_default();
        let path: Vec<u8> = [b'.', 0, b'.', 0, b'\\', 0, b'x', 0].to_vec();
        assert_eq!(&rp[0..4], &TAG_SYMLINK.to_le_bytes());
        assert_eq!(u16::from_le_bytes([rp[4], rp[5]]) as usize, rp.len() - 8);
        assert_eq!(&rp[8..16], &[0, 0, 8, 0, 8, 0, 8, 0]); // offsets and lengths
        assert_eq!(&rp[16..20], &1u32.to_le_bytes()); // relative
        assert_eq!(&rp[20..28], &path[..]);
        assert_eq!(&rp[28..36], &path[..]);
        assert!(symlink_reparse_data(&"x".repeat(9000)).is_none());
    }
}
