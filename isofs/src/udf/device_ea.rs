//! ECMA-167 4/14.10.7 Device Specification extended attribute: the major and minor device
//! numbers of a block or character device file (file types 6 and 7, 4/14.6.6).
//!
//! Extended attributes (4/14.10) follow a 24-byte Extended Attribute Header Descriptor (tag
//! identifier 262, 4/14.10.1) in the File Entry's EA space. Each attribute starts with
//! {attribute type u32, subtype u8, 3 reserved, attribute length u32}; a Device Specification
//! has type 12, subtype 1, then {implementation use length u32, major u32, minor u32}.

use crate::bytes::Fields;

/// Size of the Extended Attribute Header Descriptor.
const HEADER_LEN: usize = 24;
/// Attribute type of a Device Specification.
const DEVICE_SPEC: u32 = 12;
/// Smallest attribute: the 12-byte common part.
const MIN_ATTR_LEN: usize = 12;
/// Attributes examined at most (the EA space is at most one block, so this is generous).
const MAX_ATTRS: usize = 256;

/// The (major, minor) numbers of the Device Specification in `ea` (the EA space of a File
/// Entry read at image byte `offset`), if it holds one. A malformed EA space has none: device
/// numbers are informative and must not make the file unreachable.
pub fn device_numbers(ea: &[u8], offset: u64) -> Option<(u32, u32)> {
    let f = Fields::new(ea, "UDF extended attributes", offset);
    let mut at = HEADER_LEN;
    for _ in 0..MAX_ATTRS {
        let kind = f.le32(at).ok()?;
        let len = usize::try_from(f.le32(at + 8).ok()?).ok()?;
        if len < MIN_ATTR_LEN {
            return None;
        }
        if kind == DEVICE_SPEC && f.u8(at + 4).ok()? == 1 {
            return Some((f.le32(at + 16).ok()?, f.le32(at + 20).ok()?));
        }
        at = at.checked_add(len)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(kind: u32, subtype: u8, body: &[u8]) -> Vec<u8> {
        let mut a = kind.to_le_bytes().to_vec();
        a.extend([subtype, 0, 0, 0]);
        a.extend(((12 + body.len()) as u32).to_le_bytes());
        a.extend(body);
        a
    }

    #[test]
    fn finds_the_device_after_other_attributes() {
        let mut ea = vec![0u8; HEADER_LEN];
        ea.extend(attr(5, 1, &[0u8; 8]));
        let mut dev = 0u32.to_le_bytes().to_vec();
        dev.extend(8u32.to_le_bytes());
        dev.extend(300u32.to_le_bytes());
        ea.extend(attr(DEVICE_SPEC, 1, &dev));
        assert_eq!(device_numbers(&ea, 0), Some((8, 300)));
    }

    #[test]
    fn malformed_spaces_have_no_device() {
        assert_eq!(device_numbers(&[], 0), None);
        let mut ea = vec![0u8; HEADER_LEN];
        ea.extend(attr(5, 1, &[]));
        ea[HEADER_LEN + 8..HEADER_LEN + 12].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(device_numbers(&ea, 0), None);
        let mut ea = vec![0u8; HEADER_LEN];
        ea.extend(attr(DEVICE_SPEC, 1, &[1, 2]));
        assert_eq!(device_numbers(&ea, 0), None);
    }
}
