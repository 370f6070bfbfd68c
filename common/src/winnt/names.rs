//! Windows names: case folding, `\`-separated paths, and `file:stream:$DATA` stream names.
//!
//! Windows hands a file system UTF-16 paths such as `\dir\File.txt:stream:$DATA`; NTFS
//! compares names case-insensitively through its upcase table. We approximate that table by
//! upper-casing each UTF-16 unit on its own (a unit whose uppercase is not a single BMP unit, or
//! a lone surrogate, stays as it is), which is what the upcase table does for the BMP and
//! leaves supplementary characters alone, as NTFS does.

use std::ffi::{OsStr, OsString};

use crate::vfs::VfsError;

/// Upper-cases one UTF-16 unit the way NTFS's upcase table does (approximately).
pub fn upcase_unit(unit: u16) -> u16 {
    if unit < 0x80 {
        return (unit as u8).to_ascii_uppercase() as u16;
    }
    let Some(c) = char::from_u32(u32::from(unit)) else {
        return unit; // a surrogate half
    };
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) if (u as u32) <= 0xFFFF => u as u32 as u16,
        _ => unit, // expands (e.g. 'ß' -> "SS") or leaves the BMP: NTFS keeps it
    }
}

/// The case-folded form of a UTF-16 name, for case-insensitive comparison.
pub fn fold(name: &[u16]) -> Vec<u16> {
    name.iter().map(|&u| upcase_unit(u)).collect()
}

/// True if two UTF-16 names are equal ignoring case.
pub fn eq_ignore_case(a: &[u16], b: &[u16]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(&x, &y)| upcase_unit(x) == upcase_unit(y))
}

/// A name as the VFS serves it, in UTF-16 (lossless on Windows, lossy for non-UTF-8 names on
/// other hosts, where it is only used in tests).
pub fn to_utf16(name: &OsStr) -> Vec<u16> {
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStrExt;
        name.encode_wide().collect()
    }
    #[cfg(not(windows))]
    {
        name.to_string_lossy().encode_utf16().collect()
    }
}

/// A UTF-16 name as a VFS name (lossless on Windows; lone surrogates become U+FFFD elsewhere).
pub fn from_utf16(name: &[u16]) -> OsString {
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStringExt;
        OsString::from_wide(name)
    }
    #[cfg(not(windows))]
    {
        OsString::from(String::from_utf16_lossy(name))
    }
}

/// `s` as a NUL-terminated UTF-16 string for Win32 calls; `None` if `s` holds a NUL (the
/// call would see a shorter string).
pub fn wide_nul(s: &str) -> Option<Vec<u16>> {
    if s.contains('\0') {
        return None;
    }
    Some(s.encode_utf16().chain(std::iter::once(0)).collect())
}

/// A path split into its components, with an optional named stream on the last one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WinPath {
    /// The components from the root, without separators; empty for the root itself.
    pub components: Vec<Vec<u16>>,
    /// The named stream (`file:name` or `file:name:$DATA`), `None` for the unnamed data stream.
    pub stream: Option<Vec<u16>>,
}

const BACKSLASH: u16 = b'\\' as u16;
const SLASH: u16 = b'/' as u16;
const COLON: u16 = b':' as u16;
const DOT: u16 = b'.' as u16;

/// Splits a component `name[:stream[:type]]`; the type must be `$DATA` (any case), and
/// `name::$DATA` names the unnamed stream.
pub fn split_stream(component: &[u16]) -> Result<(&[u16], Option<&[u16]>), VfsError> {
    let mut parts = component.split(|&u| u == COLON);
    let name = parts.next().unwrap_or(&[]);
    let stream = parts.next();
    let kind = parts.next();
    if parts.next().is_some() {
        return Err(VfsError::InvalidArgument(
            "more than two ':' in a name".into(),
        ));
    }
    if let Some(kind) = kind {
        let data: Vec<u16> = "$DATA".encode_utf16().collect();
        if !eq_ignore_case(kind, &data) {
            return Err(VfsError::Unsupported(format!(
                "stream type {}",
                String::from_utf16_lossy(kind)
            )));
        }
    }
    match stream {
        None => Ok((name, None)),
        Some([]) if kind.is_some() => Ok((name, None)), // name::$DATA
        Some([]) => Err(VfsError::InvalidArgument("empty stream name".into())),
        Some(s) => Ok((name, Some(s))),
    }
}

/// Splits a Windows path (`\a\b:stream`) into components. Empty components (leading, doubled
/// or trailing separators) are skipped; `.`, `..`, NUL and `/` in a name are refused, since
/// the Windows I/O manager normalizes paths before a file system sees them.
pub fn split_path(path: &[u16]) -> Result<WinPath, VfsError> {
    let parts: Vec<&[u16]> = path
        .split(|&u| u == BACKSLASH)
        .filter(|p| !p.is_empty())
        .collect();
    let mut out = WinPath::default();
    let count = parts.len();
    for (i, part) in parts.into_iter().enumerate() {
        let (name, stream) = split_stream(part)?;
        if stream.is_some() && i + 1 != count {
            return Err(VfsError::InvalidArgument(
                "a stream name on a directory component".into(),
            ));
        }
        check_name(name)?;
        out.components.push(name.to_vec());
        out.stream = stream.map(<[u16]>::to_vec);
    }
    if let Some(stream) = &out.stream {
        if stream
            .iter()
            .any(|&u| u == 0 || u == SLASH || u == BACKSLASH)
        {
            return Err(VfsError::InvalidArgument(
                "bad character in a stream name".into(),
            ));
        }
    }
    Ok(out)
}

fn check_name(name: &[u16]) -> Result<(), VfsError> {
    if name.is_empty() {
        return Err(VfsError::InvalidArgument("empty name before ':'".into()));
    }
    if name == [DOT] || name == [DOT, DOT] {
        return Err(VfsError::InvalidArgument("'.' or '..' in a path".into()));
    }
    if name.iter().any(|&u| u == 0 || u == SLASH) {
        return Err(VfsError::InvalidArgument("bad character in a name".into()));
    }
    Ok(())
}

/// Joins components into a normalized `\a\b` path (`\` for the root).
pub fn join_path<'a>(components: impl IntoIterator<Item = &'a [u16]>) -> Vec<u16> {
    let mut out = Vec::new();
    for c in components {
        out.push(BACKSLASH);
        out.extend_from_slice(c);
    }
    if out.is_empty() {
        out.push(BACKSLASH);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn folding_is_per_unit_uppercase() {
        assert_eq!(fold(&w("Straße.TXT")), w("STRAßE.TXT"));
        assert!(eq_ignore_case(&w("café"), &w("CAFÉ")));
        assert!(eq_ignore_case(&w("Ωmega"), &w("ωMEGA")));
        assert!(!eq_ignore_case(&w("a"), &w("b")));
        assert!(!eq_ignore_case(&w("ab"), &w("a")));
        // Lone surrogates and supplementary characters are kept as they are.
        assert_eq!(fold(&[0xD800, b'a' as u16]), vec![0xD800, b'A' as u16]);
        assert_eq!(fold(&w("𐐨")), w("𐐨")); // Deseret: NTFS does not fold it
        assert_eq!(upcase_unit('ǆ' as u16), 'Ǆ' as u16);
    }

    #[test]
    fn paths_split_into_components_and_a_stream() {
        assert_eq!(split_path(&w("\\")).ok(), Some(WinPath::default()));
        let p = split_path(&w("\\Windows\\System32\\a.dll:Zone.Identifier:$DATA")).ok();
        let p = p.unwrap_or_default();
        assert_eq!(p.components, vec![w("Windows"), w("System32"), w("a.dll")]);
        assert_eq!(p.stream, Some(w("Zone.Identifier")));
        let p = split_path(&w("\\a\\\\b\\")).unwrap_or_default();
        assert_eq!(p.components, vec![w("a"), w("b")]);
        assert_eq!(p.stream, None);
        let p = split_path(&w("\\f::$data")).unwrap_or_default();
        assert_eq!((p.components, p.stream), (vec![w("f")], None));
        assert_eq!(
            split_path(&w("\\f:s")).unwrap_or_default().stream,
            Some(w("s"))
        );
    }

    #[test]
    fn bad_paths_are_refused() {
        for bad in [
            "\\a:s\\b",
            "\\a\\..\\b",
            "\\.",
            "\\f:",
            "\\f:s:$INDEX_ALLOCATION",
            "\\f:s:$DATA:x",
            "\\:s",
            "\\a/b",
        ] {
            assert!(split_path(&w(bad)).is_err(), "{bad}");
        }
        assert!(split_path(&[BACKSLASH, b'a' as u16, 0]).is_err());
    }

    #[test]
    fn join_inverts_split() {
        let p = split_path(&w("\\x\\Y")).unwrap_or_default();
        assert_eq!(
            join_path(p.components.iter().map(Vec::as_slice)),
            w("\\x\\Y")
        );
        assert_eq!(join_path(std::iter::empty()), w("\\"));
    }

    #[test]
    fn win32_strings_are_nul_terminated() {
        assert_eq!(wide_nul("ab"), Some(vec![b'a' as u16, b'b' as u16, 0]));
        assert_eq!(wide_nul(""), Some(vec![0]));
        assert_eq!(wide_nul("a\0b"), None);
    }

    #[test]
    fn utf16_round_trips() {
        let name = OsStr::new("Ünïcødé 𝄞");
        assert_eq!(from_utf16(&to_utf16(name)), name);
    }
}
