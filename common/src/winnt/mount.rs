//! The parts of mounting on Windows that need neither Windows nor WinFsp, tested everywhere:
//! reading a mount point (a drive letter or a directory), naming the event that asks a
//! mount's process to unmount, and the volume label and serial number shown for an image.

use super::names::fold;

/// Where a WinFsp file system is mounted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountTarget {
    /// A drive letter (upper case), mounted as `X:`.
    Drive(char),
    /// A directory that WinFsp creates (it must not exist yet).
    Directory(String),
}

impl MountTarget {
    /// The mount point as WinFsp takes it (`X:` or the directory path).
    pub fn as_winfsp(&self) -> String {
        match self {
            MountTarget::Drive(c) => format!("{c}:"),
            MountTarget::Directory(d) => d.clone(),
        }
    }
}

/// Reads a mount point: `X:` or `X:\` is a drive letter, anything else a directory path.
pub fn parse_mount_target(s: &str) -> Result<MountTarget, String> {
    let trimmed = s.trim_end_matches(['\\', '/']);
    let mut chars = trimmed.chars();
    if let (Some(letter), Some(':'), None) = (chars.next(), chars.next(), chars.next()) {
        if letter.is_ascii_alphabetic() {
            return Ok(MountTarget::Drive(letter.to_ascii_uppercase()));
        }
    }
    if trimmed.is_empty() {
        return Err(format!("mount point {s:?} is empty"));
    }
    if let Some(bad) = trimmed
        .chars()
        .find(|c| "*?\"<>|".contains(*c) || c.is_control())
    {
        return Err(format!("mount point {s:?} contains {bad:?}"));
    }
    Ok(MountTarget::Directory(trimmed.to_string()))
}

/// 64-bit FNV-1a.
fn fnv1a(units: impl IntoIterator<Item = u16>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for u in units {
        for b in u.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The name of the event a mount's process waits on; `unmount` sets it. `mountpoint` is the
/// absolute mount point; case and `/` versus `\` do not matter, as on Windows.
pub fn unmount_event_name(subtype: &str, mountpoint: &str) -> String {
    let normalized: Vec<u16> = mountpoint
        .replace('/', "\\")
        .trim_end_matches('\\')
        .encode_utf16()
        .collect();
    format!("Local\\{subtype}-unmount-{:016x}", fnv1a(fold(&normalized)))
}

/// The volume label for an image (its file name without extension, 32 UTF-16 units at most).
pub fn volume_label(image: &str, fallback: &str) -> String {
    let name = image.rsplit(['\\', '/']).next().unwrap_or(image);
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    };
    let stem = if stem.is_empty() { fallback } else { stem };
    let mut out = String::new();
    let mut units = 0;
    for c in stem.chars() {
        units += c.len_utf16();
        if units > 32 {
            break;
        }
        out.push(c);
    }
    out
}

/// A volume serial number derived from the image path (stable across mounts of one image).
pub fn volume_serial(image: &str) -> u32 {
    let h = fnv1a(image.encode_utf16());
    (h ^ (h >> 32)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drive_letters_and_directories() {
        assert_eq!(parse_mount_target("x:"), Ok(MountTarget::Drive('X')));
        assert_eq!(parse_mount_target("Y:\\"), Ok(MountTarget::Drive('Y')));
        let dir = parse_mount_target("C:\\mnt\\wim\\");
        assert_eq!(dir, Ok(MountTarget::Directory("C:\\mnt\\wim".into())));
        assert_eq!(
            parse_mount_target("C:\\mnt").map(|t| t.as_winfsp()),
            Ok("C:\\mnt".to_string())
        );
        assert_eq!(MountTarget::Drive('Q').as_winfsp(), "Q:");
        assert!(parse_mount_target("").is_err());
        assert!(parse_mount_target("\\").is_err());
        assert!(parse_mount_target("C:\\a*b").is_err());
        assert!(parse_mount_target("1:").is_ok_and(|t| matches!(t, MountTarget::Directory(_))));
    }

    #[test]
    fn event_names_ignore_case_and_separators() {
        let a = unmount_event_name("wimfs", "C:\\Mnt\\Wim");
        assert_eq!(a, unmount_event_name("wimfs", "c:/mnt/wim/"));
        assert_ne!(a, unmount_event_name("isofs", "C:\\Mnt\\Wim"));
        assert_ne!(a, unmount_event_name("wimfs", "C:\\Mnt\\Wim2"));
        assert!(a.starts_with("Local\\wimfs-unmount-"));
        assert!(!a["Local\\".len()..].contains('\\'));
    }

    #[test]
    fn labels_and_serials() {
        assert_eq!(volume_label("D:\\sources\\install.wim", "wimfs"), "install");
        assert_eq!(volume_label("/tmp/x.iso", "isofs"), "x");
        assert_eq!(volume_label(".hidden", "isofs"), ".hidden");
        assert_eq!(volume_label("", "isofs"), "isofs");
        assert_eq!(volume_label(&"é".repeat(40), "x").chars().count(), 32);
        assert_eq!(volume_serial("a.wim"), volume_serial("a.wim"));
        assert_ne!(volume_serial("a.wim"), volume_serial("b.wim"));
    }
}
