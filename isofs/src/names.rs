//! File identifiers as served: ECMA-119 d-characters with the ";version" suffix and a trailing
//! "." (of an empty extension, 7.5.1) removed, and Joliet identifiers decoded from UCS-2 (big
//! endian; surrogate pairs accepted, as Windows writes UTF-16) to UTF-8.

/// Strips ";N" and a trailing "." from an ISO 9660 file identifier.
pub fn strip_version(raw: &[u8]) -> &[u8] {
    let base = match raw.iter().rposition(|&b| b == b';') {
        Some(p) if p > 0 => &raw[..p],
        _ => raw,
    };
    match base.strip_suffix(b".") {
        Some(s) if !s.is_empty() => s,
        _ => base,
    }
}

/// Decodes a Joliet identifier (UCS-2/UTF-16 big endian) and strips ";N".
pub fn joliet(raw: &[u8]) -> Vec<u8> {
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16_lossy(&units);
    let text = match text.rfind(';') {
        Some(p) if p > 0 && text[p + 1..].bytes().all(|b| b.is_ascii_digit()) => &text[..p],
        _ => &text[..],
    };
    let text = match text.strip_suffix('.') {
        Some(s) if !s.is_empty() => s,
        _ => text,
    };
    text.as_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_identifiers() {
        assert_eq!(strip_version(b"README.TXT;1"), b"README.TXT");
        assert_eq!(strip_version(b"NOEXT.;1"), b"NOEXT");
        assert_eq!(strip_version(b"DIR"), b"DIR");
        assert_eq!(strip_version(b";1"), b";1");
    }

    #[test]
    fn joliet_identifiers() {
        let raw: Vec<u8> = "caf\u{e9} \u{1F600}.txt;1"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(joliet(&raw), "caf\u{e9} \u{1F600}.txt".as_bytes());
        // A lone surrogate becomes U+FFFD rather than an error.
        assert_eq!(joliet(&[0xD8, 0x00]), "\u{FFFD}".as_bytes());
    }
}
