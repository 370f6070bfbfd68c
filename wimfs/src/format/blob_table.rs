//! The blob table (formerly "lookup table"): one 50-byte entry per stored blob, keyed by the
//! SHA-1 of its uncompressed contents (wimlib `struct blob_descriptor_disk`).
//!
//! Layout: resource header (24), part number (u16), reference count (u32), SHA-1 (20 bytes).
//! Metadata resources appear here too (flag METADATA), in image order.

use std::fmt;

use super::bytes::{array, u16_at, u32_at};
use super::reshdr::ResourceHeader;
use crate::error::{WimError, WimResult};

/// On-disk size of one entry.
pub const ENTRY_SIZE: usize = 50;

/// A SHA-1 message digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sha1Hash(pub [u8; 20]);

impl Sha1Hash {
    /// The all-zero hash, which WIM uses for "no stream".
    pub const ZERO: Sha1Hash = Sha1Hash([0; 20]);

    /// True for the all-zero hash.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 20]
    }
}

impl fmt::Display for Sha1Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Sha1Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha1Hash({self})")
    }
}

/// One blob table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobEntry {
    /// Where and how the blob is stored.
    pub reshdr: ResourceHeader,
    /// Which part of a split WIM holds it.
    pub part_number: u16,
    /// How many streams refer to it.
    pub refcount: u32,
    /// SHA-1 of the uncompressed data.
    pub hash: Sha1Hash,
}

impl BlobEntry {
    /// Serializes to the 50-byte on-disk form.
    pub fn to_bytes(&self) -> [u8; ENTRY_SIZE] {
        let mut out = [0u8; ENTRY_SIZE];
        out[..24].copy_from_slice(&self.reshdr.to_bytes());
        out[24..26].copy_from_slice(&self.part_number.to_le_bytes());
        out[26..30].copy_from_slice(&self.refcount.to_le_bytes());
        out[30..50].copy_from_slice(&self.hash.0);
        out
    }
}

/// Parses a whole decoded blob table. `table_offset` is where it lies in the WIM (for errors).
pub fn parse_blob_table(buf: &[u8], table_offset: u64) -> WimResult<Vec<BlobEntry>> {
    if !buf.len().is_multiple_of(ENTRY_SIZE) {
        return Err(WimError::invalid(
            "blob table",
            table_offset,
            format!(
                "its size {} is not a multiple of the {ENTRY_SIZE}-byte entry size",
                buf.len()
            ),
        ));
    }
    let mut entries = Vec::with_capacity(buf.len() / ENTRY_SIZE);
    for (i, chunk) in buf.chunks_exact(ENTRY_SIZE).enumerate() {
        let truncated = || {
            WimError::invalid(
                format!("blob table entry {i}"),
                table_offset.saturating_add((i * ENTRY_SIZE) as u64),
                "truncated",
            )
        };
        let reshdr = ResourceHeader::parse(chunk, 0).ok_or_else(truncated)?;
        entries.push(BlobEntry {
            reshdr,
            part_number: u16_at(chunk, 24).ok_or_else(truncated)?,
            refcount: u32_at(chunk, 26).ok_or_else(truncated)?,
            hash: Sha1Hash(array(chunk, 30).ok_or_else(truncated)?),
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_serializes() {
        let e = BlobEntry {
            reshdr: ResourceHeader {
                size_in_wim: 10,
                flags: 0,
                offset_in_wim: 208,
                uncompressed_size: 10,
            },
            part_number: 1,
            refcount: 2,
            hash: Sha1Hash([7; 20]),
        };
        let mut buf = e.to_bytes().to_vec();
        buf.extend_from_slice(&e.to_bytes());
        assert_eq!(parse_blob_table(&buf, 0).expect("valid"), vec![e, e]);
        assert!(parse_blob_table(&buf[..51], 0).is_err());
        assert_eq!(e.hash.to_string().len(), 40);
    }
}
