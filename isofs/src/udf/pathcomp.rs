//! ECMA-167 4/14.16 Path Components: a UDF symbolic link's content. Each component: type (1
//! root of the file system / 2 root of this volume, 3 "..", 4 ".", 5 a name), identifier
//! length, version, identifier in CS0.

use crate::udf::cs0;

/// Builds a POSIX path from a symlink's content; `None` if it is malformed.
pub fn to_posix(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut first = true;
    while pos < raw.len() {
        let kind = *raw.get(pos)?;
        let len = usize::from(*raw.get(pos + 1)?);
        let ident = raw.get(pos + 4..pos + 4 + len)?;
        pos += 4 + len;
        let piece: Vec<u8> = match kind {
            1 | 2 => {
                out.clear();
                out.push(b'/');
                first = true;
                continue;
            }
            3 => b"..".to_vec(),
            4 => b".".to_vec(),
            5 => cs0::decode(ident),
            _ => return None,
        };
        if !first {
            out.push(b'/');
        }
        out.extend_from_slice(&piece);
        first = false;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        let raw = [
            2, 0, 0, 0, // root
            5, 4, 0, 0, 8, b'u', b's', b'r', // "usr"
            3, 0, 0, 0, // ..
            5, 3, 0, 0, 8, b'l', b'b', // "lb"
        ];
        assert_eq!(to_posix(&raw).expect("valid"), b"/usr/../lb");
        assert_eq!(to_posix(&[5, 9, 0, 0, 8]), None);
        assert_eq!(to_posix(&[5, 2, 0, 0, 8, b'x']).expect("valid"), b"x");
    }
}
