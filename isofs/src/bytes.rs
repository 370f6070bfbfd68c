//! Bounds-checked little/big/both-endian field access on byte slices, and checked arithmetic
//! helpers. Every accessor takes the absolute image offset of the slice so errors can name it.

use crate::error::{IsoError, IsoResult};

/// A view of an on-disk structure: its bytes, its name and where it was read.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    /// The structure's bytes.
    pub data: &'a [u8],
    /// The structure's name for error messages.
    pub structure: &'static str,
    /// Absolute byte offset of `data[0]` in the image.
    pub offset: u64,
}

impl<'a> Fields<'a> {
    /// Wraps `data`, read at image byte `offset`.
    pub fn new(data: &'a [u8], structure: &'static str, offset: u64) -> Self {
        Self {
            data,
            structure,
            offset,
        }
    }

    fn err(&self, at: usize, len: usize) -> IsoError {
        IsoError::invalid(
            self.structure,
            self.offset,
            format!(
                "field {at}+{len} lies past the end of the structure ({} bytes)",
                self.data.len()
            ),
        )
    }

    /// `len` bytes at `at`.
    pub fn bytes(&self, at: usize, len: usize) -> IsoResult<&'a [u8]> {
        at.checked_add(len)
            .and_then(|end| self.data.get(at..end))
            .ok_or_else(|| self.err(at, len))
    }

    /// A fixed-size array at `at`.
    pub fn array<const N: usize>(&self, at: usize) -> IsoResult<[u8; N]> {
        let s = self.bytes(at, N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// One byte.
    pub fn u8(&self, at: usize) -> IsoResult<u8> {
        Ok(self.array::<1>(at)?[0])
    }
    /// Little-endian u16.
    pub fn le16(&self, at: usize) -> IsoResult<u16> {
        Ok(u16::from_le_bytes(self.array(at)?))
    }
    /// Little-endian u32.
    pub fn le32(&self, at: usize) -> IsoResult<u32> {
        Ok(u32::from_le_bytes(self.array(at)?))
    }
    /// Little-endian u64.
    pub fn le64(&self, at: usize) -> IsoResult<u64> {
        Ok(u64::from_le_bytes(self.array(at)?))
    }
    /// Big-endian u16.
    pub fn be16(&self, at: usize) -> IsoResult<u16> {
        Ok(u16::from_be_bytes(self.array(at)?))
    }
    /// Big-endian u32.
    pub fn be32(&self, at: usize) -> IsoResult<u32> {
        Ok(u32::from_be_bytes(self.array(at)?))
    }
    /// ECMA-119 7.2.3 both-byte-order u16; the little-endian half wins (as Linux and libarchive
    /// do), the halves are not required to agree since some mastering tools get one wrong.
    pub fn both16(&self, at: usize) -> IsoResult<u16> {
        self.bytes(at, 4)?;
        self.le16(at)
    }
    /// ECMA-119 7.3.3 both-byte-order u32 (little-endian half, see [`Self::both16`]).
    pub fn both32(&self, at: usize) -> IsoResult<u32> {
        self.bytes(at, 8)?;
        self.le32(at)
    }
}

/// `a + b` or an error naming `structure` at `offset`.
pub fn add(a: u64, b: u64, structure: &'static str, offset: u64) -> IsoResult<u64> {
    a.checked_add(b)
        .ok_or_else(|| IsoError::invalid(structure, offset, format!("{a} + {b} overflows")))
}

/// `a * b` or an error naming `structure` at `offset`.
pub fn mul(a: u64, b: u64, structure: &'static str, offset: u64) -> IsoResult<u64> {
    a.checked_mul(b)
        .ok_or_else(|| IsoError::invalid(structure, offset, format!("{a} * {b} overflows")))
}

/// Trims trailing spaces and NULs from a d-/a-character field and decodes it leniently.
pub fn trim_text(raw: &[u8]) -> String {
    let end = raw
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |p| p + 1);
    String::from_utf8_lossy(&raw[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_refuse_out_of_range() {
        let f = Fields::new(&[1, 0, 0, 1, 9], "test", 100);
        assert_eq!(f.both16(0).expect("in range"), 1);
        assert_eq!(f.be16(2).expect("in range"), 1);
        assert!(f.le32(2).is_err());
        assert!(f.bytes(usize::MAX, 2).is_err());
        let msg = f.le64(0).expect_err("short").to_string();
        assert!(msg.contains("byte 100"), "{msg}");
    }

    #[test]
    fn text_is_trimmed() {
        assert_eq!(trim_text(b"CDROM   \0\0"), "CDROM");
        assert_eq!(trim_text(b"   "), "");
    }
}
