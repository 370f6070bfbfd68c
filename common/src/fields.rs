//! Bounds-checked field access on the bytes of one on-disk structure (little-, big- and
//! both-endian integers, byte ranges), shared by the format crates. A [`Fields`] knows the
//! structure's name and the absolute byte offset it was read at, so a field that lies past the
//! end gives a [`FieldError`] naming both; each format crate turns that into its own error
//! type (`From<FieldError>`), so `?` works on every accessor.

use thiserror::Error;

/// A field lies past the end of its structure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "{structure} at byte {offset}: field {at}+{len} lies past the end of the structure \
     ({available} bytes)"
)]
pub struct FieldError {
    /// The structure's name.
    pub structure: &'static str,
    /// Absolute byte offset of the structure.
    pub offset: u64,
    /// The field's position inside the structure.
    pub at: usize,
    /// The field's length.
    pub len: usize,
    /// How many bytes the structure has.
    pub available: usize,
}

impl FieldError {
    /// The message without the structure and offset (for error types that carry those
    /// separately).
    pub fn detail(&self) -> String {
        format!(
            "field {}+{} lies past the end of the structure ({} bytes)",
            self.at, self.len, self.available
        )
    }
}

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

    fn err(&self, at: usize, len: usize) -> FieldError {
        FieldError {
            structure: self.structure,
            offset: self.offset,
            at,
            len,
            available: self.data.len(),
        }
    }

    /// `len` bytes at `at`.
    pub fn bytes(&self, at: usize, len: usize) -> Result<&'a [u8], FieldError> {
        at.checked_add(len)
            .and_then(|end| self.data.get(at..end))
            .ok_or_else(|| self.err(at, len))
    }

    /// A fixed-size array at `at`.
    pub fn array<const N: usize>(&self, at: usize) -> Result<[u8; N], FieldError> {
        let s = self.bytes(at, N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// One byte.
    pub fn u8(&self, at: usize) -> Result<u8, FieldError> {
        Ok(self.array::<1>(at)?[0])
    }
    /// Little-endian u16.
    pub fn le16(&self, at: usize) -> Result<u16, FieldError> {
        Ok(u16::from_le_bytes(self.array(at)?))
    }
    /// Little-endian u32.
    pub fn le32(&self, at: usize) -> Result<u32, FieldError> {
        Ok(u32::from_le_bytes(self.array(at)?))
    }
    /// Little-endian u64.
    pub fn le64(&self, at: usize) -> Result<u64, FieldError> {
        Ok(u64::from_le_bytes(self.array(at)?))
    }
    /// Big-endian u16.
    pub fn be16(&self, at: usize) -> Result<u16, FieldError> {
        Ok(u16::from_be_bytes(self.array(at)?))
    }
    /// Big-endian u32.
    pub fn be32(&self, at: usize) -> Result<u32, FieldError> {
        Ok(u32::from_be_bytes(self.array(at)?))
    }
    /// ECMA-119 7.2.3 both-byte-order u16; the little-endian half wins (as Linux and libarchive
    /// do), the halves are not required to agree since some mastering tools get one wrong.
    pub fn both16(&self, at: usize) -> Result<u16, FieldError> {
        self.bytes(at, 4)?;
        self.le16(at)
    }
    /// ECMA-119 7.3.3 both-byte-order u32 (little-endian half, see [`Self::both16`]).
    pub fn both32(&self, at: usize) -> Result<u32, FieldError> {
        self.bytes(at, 8)?;
        self.le32(at)
    }
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
        let e = f.le64(0).expect_err("short");
        assert_eq!((e.structure, e.offset, e.at, e.len), ("test", 100, 0, 8));
        assert!(e.to_string().contains("test at byte 100"), "{e}");
    }
}
