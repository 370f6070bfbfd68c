//! Names as the formats store them (bytes) and as the host names files (`OsStr`).
//!
//! On Unix an `OsStr` is a byte string, so both directions are lossless for every name. On
//! Windows an `OsStr` is UTF-16 that may be ill-formed (a lone surrogate): a name that is valid
//! Unicode is exchanged as its UTF-8, losslessly; a name that is not has no byte form (a lookup
//! of it finds nothing), and stored bytes that are not UTF-8 (Rock Ridge names in a legacy
//! character set) can only be shown with U+FFFD in place of the bad bytes.

use std::ffi::{OsStr, OsString};

/// The bytes of a host name, as the formats store names; `None` on Windows for a name that
/// is not valid Unicode.
#[cfg(unix)]
pub fn to_bytes(name: &OsStr) -> Option<&[u8]> {
    use std::os::unix::ffi::OsStrExt;
    Some(name.as_bytes())
}

/// The bytes of a host name, as the formats store names; `None` on Windows for a name that
/// is not valid Unicode.
#[cfg(not(unix))]
pub fn to_bytes(name: &OsStr) -> Option<&[u8]> {
    name.to_str().map(str::as_bytes)
}

/// A stored name as a host name, borrowed; `None` on Windows for bytes that are not UTF-8.
#[cfg(unix)]
pub fn from_bytes(bytes: &[u8]) -> Option<&OsStr> {
    use std::os::unix::ffi::OsStrExt;
    Some(OsStr::from_bytes(bytes))
}

/// A stored name as a host name, borrowed; `None` on Windows for bytes that are not UTF-8.
#[cfg(not(unix))]
pub fn from_bytes(bytes: &[u8]) -> Option<&OsStr> {
    std::str::from_utf8(bytes).ok().map(OsStr::new)
}

/// A stored name as an owned host name: lossless on Unix and for UTF-8; on Windows, bytes
/// that are not UTF-8 become U+FFFD (see [`lossy_eq`] for looking such a name up again).
#[cfg(unix)]
pub fn from_vec(bytes: Vec<u8>) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(bytes)
}

/// A stored name as an owned host name: lossless on Unix and for UTF-8; on Windows, bytes
/// that are not UTF-8 become U+FFFD (see [`lossy_eq`] for looking such a name up again).
#[cfg(not(unix))]
pub fn from_vec(bytes: Vec<u8>) -> OsString {
    match String::from_utf8(bytes) {
        Ok(s) => OsString::from(s),
        Err(e) => OsString::from(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// True if `stored` is not UTF-8 and [`from_vec`] shows it as `name` on this host (never on
/// Unix, where names are never altered): how a lookup finds an entry a directory listing
/// showed with U+FFFD.
pub fn lossy_eq(stored: &[u8], name: &OsStr) -> bool {
    cfg!(not(unix))
        && std::str::from_utf8(stored).is_err()
        && name.to_str() == Some(String::from_utf8_lossy(stored).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_names_round_trip() {
        let name = OsStr::new("Ünïcødé 𝄞.txt");
        let bytes = to_bytes(name).expect("valid Unicode has bytes");
        assert_eq!(bytes, "Ünïcødé 𝄞.txt".as_bytes());
        assert_eq!(from_bytes(bytes), Some(name));
        assert_eq!(from_vec(bytes.to_vec()), name);
        assert!(!lossy_eq(bytes, name));
    }

    #[cfg(unix)]
    #[test]
    fn unix_names_are_any_bytes() {
        let raw = b"caf\xe9".to_vec();
        let name = from_vec(raw.clone());
        assert_eq!(to_bytes(&name), Some(&raw[..]));
        assert_eq!(from_bytes(&raw), Some(name.as_os_str()));
        assert!(!lossy_eq(&raw, OsStr::new("caf\u{FFFD}")));
    }
}
