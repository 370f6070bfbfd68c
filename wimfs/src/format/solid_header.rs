//! The header of a solid resource (wimlib `include/wimlib/resource.h`, `struct
//! alt_chunk_table_header_disk`; WIM format version 3584): 16 bytes in front of its chunk
//! sizes, {uncompressed size u64, chunk size u32, compression u32 (0 none, 1 XPRESS, 2 LZX,
//! 3 LZMS)}. Many blobs live at offsets inside the resource's uncompressed data.

use crate::error::{WimError, WimResult};
use crate::format::bytes::{u32_at, u64_at};
use crate::format::header::Compression;

/// The `uncompressed_size` of a blob-table entry that describes a solid resource itself (its
/// flags: SOLID only; its hash: zero) rather than a blob inside one.
pub const SOLID_RESOURCE_MAGIC: u64 = 0x1_0000_0000;
/// Size of a solid resource's header.
pub const SOLID_HEADER_SIZE: u64 = 16;
/// Largest chunk size accepted (solid LZMS resources use up to 64 MiB).
pub const MAX_SOLID_CHUNK: u32 = 256 << 20;

/// A solid resource's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolidHeader {
    /// Size of the resource's uncompressed data (all its blobs).
    pub uncompressed_size: u64,
    /// Uncompressed size of every chunk but the last (a power of two).
    pub chunk_size: u32,
    /// How the chunks are compressed.
    pub compression: Compression,
}

impl SolidHeader {
    /// Parses the header from `b`, which was read at `offset` of the WIM.
    pub fn parse(b: &[u8], offset: u64) -> WimResult<Self> {
        let bad = |d: String| WimError::invalid("solid resource header", offset, d);
        let (Some(uncompressed_size), Some(chunk_size), Some(code)) =
            (u64_at(b, 0), u32_at(b, 8), u32_at(b, 12))
        else {
            return Err(bad(format!("{} bytes, shorter than 16", b.len())));
        };
        let compression = match code {
            0 => Compression::None,
            1 => Compression::Xpress,
            2 => Compression::Lzx,
            3 => Compression::Lzms,
            other => return Err(bad(format!("unknown compression format {other}"))),
        };
        if chunk_size == 0 || chunk_size > MAX_SOLID_CHUNK || !chunk_size.is_power_of_two() {
            return Err(bad(format!(
                "chunk size {chunk_size} is not a power of two up to {MAX_SOLID_CHUNK}"
            )));
        }
        Ok(Self {
            uncompressed_size,
            chunk_size,
            compression,
        })
    }

    /// The 16 on-disk bytes.
    pub fn to_bytes(&self) -> [u8; SOLID_HEADER_SIZE as usize] {
        let code: u32 = match self.compression {
            Compression::None => 0,
            Compression::Xpress => 1,
            Compression::Lzx => 2,
            Compression::Lzms => 3,
        };
        let mut b = [0u8; SOLID_HEADER_SIZE as usize];
        b[0..8].copy_from_slice(&self.uncompressed_size.to_le_bytes());
        b[8..12].copy_from_slice(&self.chunk_size.to_le_bytes());
        b[12..16].copy_from_slice(&code.to_le_bytes());
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let h = SolidHeader {
            uncompressed_size: 0x1_2345_6789,
            chunk_size: 1 << 26,
            compression: Compression::Lzms,
        };
        assert_eq!(SolidHeader::parse(&h.to_bytes(), 0).expect("valid"), h);
    }

    #[test]
    fn errors_name_the_offset() {
        let mut b = SolidHeader {
            uncompressed_size: 1,
            chunk_size: 32768,
            compression: Compression::Xpress,
        }
        .to_bytes();
        b[12] = 9;
        let e = SolidHeader::parse(&b, 4096)
            .expect_err("bad compression")
            .to_string();
        assert!(
            e.contains("4096") && e.contains("solid resource header"),
            "{e}"
        );
        b[12] = 1;
        b[8..12].copy_from_slice(&3000u32.to_le_bytes());
        assert!(SolidHeader::parse(&b, 0).is_err());
        assert!(SolidHeader::parse(&b[..15], 0).is_err());
    }
}
