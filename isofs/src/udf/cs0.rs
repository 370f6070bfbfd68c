//! OSTA UDF 2.60 2.1.1 / ECMA-167 1/7.2.12: CS0 "OSTA Compressed Unicode". The first byte is
//! the compression ID: 8 (or 254) means one byte per character (Latin-1), 16 (or 255) means
//! UTF-16 big endian. A d-string (fixed-length field) stores its used length in its last byte.

/// Decodes a CS0 string to UTF-8 bytes; unknown compression IDs and bad UTF-16 decode
/// leniently (U+FFFD) rather than failing.
pub fn decode(raw: &[u8]) -> Vec<u8> {
    let Some((&comp, rest)) = raw.split_first() else {
        return Vec::new();
    };
    match comp {
        16 | 255 => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units).into_bytes()
        }
        _ => rest
            .iter()
            .map(|&b| char::from(b))
            .collect::<String>()
            .into_bytes(),
    }
}

/// Decodes a d-string field (ECMA-167 1/7.2.12): its last byte is the length used.
pub fn dstring(field: &[u8]) -> String {
    let Some((&len, body)) = field.split_last() else {
        return String::new();
    };
    let used = body.get(..usize::from(len)).unwrap_or(body);
    String::from_utf8_lossy(&decode(used)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_and_sixteen_bit() {
        assert_eq!(decode(&[8, b'c', b'a', b'f', 0xE9]), "caf\u{e9}".as_bytes());
        assert_eq!(
            decode(&[16, 0x65, 0xE5, 0x67, 0x2C]),
            "\u{65e5}\u{672c}".as_bytes()
        );
        assert_eq!(decode(&[16, 0xD8]), b"");
        assert_eq!(decode(&[]), b"");
        let mut f = [0u8; 32];
        f[..4].copy_from_slice(&[8, b'A', b'B', b'C']);
        f[31] = 4;
        assert_eq!(dstring(&f), "ABC");
    }
}
