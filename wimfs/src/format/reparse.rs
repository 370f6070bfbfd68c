//! Symbolic-link and junction reparse data, and its translation to a POSIX link target.
//!
//! A WIM stores the reparse buffer without its 8-byte header (tag, length, reserved): for
//! IO_REPARSE_TAG_SYMLINK it begins with substitute-name offset/length, print-name
//! offset/length (u16 each) and flags (u32, bit 0 = relative), then the path buffer; for
//! IO_REPARSE_TAG_MOUNT_POINT (junctions) the flags field is absent ([MS-FSCC] 2.1.2.4-2.1.2.5).
//!
//! Translation follows what wimlib's mount shows: absolute targets lose their NT prefix
//! (`\??\C:`, `\DosDevices\X:`, `\Device\Name`), backslashes and slashes swap, and an absolute
//! target that was "fixed" at capture is made to point inside the mount by prefixing the
//! mount point.

use super::bytes::u16_at;

/// IO_REPARSE_TAG_SYMLINK.
pub const TAG_SYMLINK: u32 = 0xA000_000C;
/// IO_REPARSE_TAG_MOUNT_POINT (junctions).
pub const TAG_MOUNT_POINT: u32 = 0xA000_0003;
/// Dentry rp_flags bit: the target was NOT rewritten at capture.
pub const RP_FLAG_NOT_FIXED: u16 = 0x0001;
const SYMLINK_FLAG_RELATIVE: u32 = 1;

/// A parsed link reparse point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget {
    /// The substitute name (the NT path actually followed), UTF-16.
    pub substitute_name: Vec<u16>,
    /// True for a relative symlink.
    pub relative: bool,
}

/// Parses reparse data of a symlink or junction; `None` if malformed.
pub fn parse_link(tag: u32, data: &[u8]) -> Option<LinkTarget> {
    let (header_len, relative) = match tag {
        TAG_SYMLINK => {
            let flags = super::bytes::u32_at(data, 8)?;
            (12usize, flags & SYMLINK_FLAG_RELATIVE != 0)
        }
        TAG_MOUNT_POINT => (8usize, false),
        _ => return None,
    };
    let off = usize::from(u16_at(data, 0)?);
    let len = usize::from(u16_at(data, 2)?);
    let start = header_len.checked_add(off)?;
    let bytes = data.get(start..start.checked_add(len)?)?;
    Some(LinkTarget {
        substitute_name: super::bytes::utf16le_units(bytes),
        relative,
    })
}

/// Translates a link to the POSIX target a mount shows. `fixed` = the dentry lacks
/// RP_FLAG_NOT_FIXED; `mount_root` is the mount point path used for fixed absolute links.
pub fn posix_target(link: &LinkTarget, fixed: bool, mount_root: Option<&str>) -> String {
    let full = String::from_utf16_lossy(&link.substitute_name);
    let mut target: &str = &full;
    let mut prefix_root = false;
    if !link.relative {
        for root in ["\\??\\", "\\DosDevices\\", "\\Device\\"] {
            if let Some(rest) = target.strip_prefix(root) {
                let rest = rest.trim_start_matches('\\');
                target = rest.find('\\').map_or("", |i| &rest[i..]);
                break;
            }
        }
        prefix_root = fixed;
    }
    let swapped: String = target
        .chars()
        .map(|c| match c {
            '\\' => '/',
            '/' => '\\',
            c => c,
        })
        .collect();
    match mount_root {
        Some(root) if prefix_root => format!("{}{swapped}", root.trim_end_matches('/')),
        _ if swapped.is_empty() => "/".to_string(),
        _ => swapped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symlink_data(target: &str, relative: bool) -> Vec<u8> {
        let t: Vec<u8> = target.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut d = Vec::new();
        d.extend_from_slice(&0u16.to_le_bytes());
        d.extend_from_slice(&(t.len() as u16).to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        d.extend_from_slice(&(t.len() as u16).to_le_bytes());
        d.extend_from_slice(&u32::from(relative).to_le_bytes());
        d.extend_from_slice(&t);
        d
    }

    #[test]
    fn relative_links_swap_separators() {
        let l = parse_link(TAG_SYMLINK, &symlink_data("..\\lib\\a/b", true)).expect("valid");
        assert_eq!(posix_target(&l, true, Some("/mnt")), "../lib/a\\b");
    }

    #[test]
    fn absolute_links_lose_the_drive_and_gain_the_mount_root() {
        let l = parse_link(TAG_SYMLINK, &symlink_data("\\??\\C:\\usr\\bin", false)).expect("valid");
        assert_eq!(posix_target(&l, false, None), "/usr/bin");
        assert_eq!(posix_target(&l, true, Some("/mnt/w/")), "/mnt/w/usr/bin");
        let root = parse_link(TAG_SYMLINK, &symlink_data("\\??\\C:", false)).expect("valid");
        assert_eq!(posix_target(&root, false, None), "/");
    }

    #[test]
    fn malformed_data_is_refused() {
        assert!(parse_link(TAG_SYMLINK, &[1, 2, 3]).is_none());
        let mut d = symlink_data("abc", true);
        d[2] = 200;
        assert!(parse_link(TAG_SYMLINK, &d).is_none());
        assert!(parse_link(0x8000_0017, &d).is_none());
    }
}
