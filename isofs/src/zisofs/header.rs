//! The zisofs file header at the start of a compressed file's data (libisofs
//! doc/zisofs_format.txt and doc/zisofs2_format.txt):
//!
//! - v1: magic `37 E4 53 96 C9 DB D6 07`, uncompressed size (LE u32) at 8, header size / 4 at
//!   12, log2 block size (15..=17) at 13; 4-byte block pointers follow the header.
//! - v2: magic `EF 22 55 A1 BC 1B 95 A0`, header version at 8, header size / 4 at 9, algorithm
//!   at 10 (1 = zlib), log2 block size (15..=20) at 11, uncompressed size (LE u64) at 12;
//!   8-byte block pointers follow the header.
//!
//! There are ceil(size / block size) + 1 pointers, each an offset from the start of the file
//! data; block i is the bytes between pointers i and i+1, and an empty block is all zeros.

use crate::bytes::Fields;
use crate::error::{IsoError, IsoResult};

/// zisofs v1 magic.
pub const MAGIC_V1: [u8; 8] = [0x37, 0xE4, 0x53, 0x96, 0xC9, 0xDB, 0xD6, 0x07];
/// zisofs2 magic.
pub const MAGIC_V2: [u8; 8] = [0xEF, 0x22, 0x55, 0xA1, 0xBC, 0x1B, 0x95, 0xA0];

/// A validated zisofs header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZisofsHeader {
    /// 1 or 2.
    pub version: u8,
    /// The uncompressed size.
    pub size: u64,
    /// Bytes before the pointer array.
    pub header_size: u64,
    /// log2 of the block size.
    pub log2_block: u8,
    /// Bytes per block pointer (4 or 8).
    pub pointer_size: u64,
}

impl ZisofsHeader {
    /// Parses the first bytes (at least 24) of a compressed file, read at image byte `offset`.
    pub fn parse(raw: &[u8], offset: u64) -> IsoResult<Self> {
        let f = Fields::new(raw, "zisofs header", offset);
        let magic = f.array::<8>(0)?;
        let h = if magic == MAGIC_V1 {
            ZisofsHeader {
                version: 1,
                size: f.le32(8)?.into(),
                header_size: u64::from(f.u8(12)?) * 4,
                log2_block: f.u8(13)?,
                pointer_size: 4,
            }
        } else if magic == MAGIC_V2 {
            let alg = f.u8(10)?;
            if alg != 1 {
                return Err(IsoError::Unsupported(format!(
                    "zisofs2 algorithm {alg} at byte {offset} (only 1 = zlib is supported)"
                )));
            }
            ZisofsHeader {
                version: 2,
                size: f.le64(12)?,
                header_size: u64::from(f.u8(9)?) * 4,
                log2_block: f.u8(11)?,
                pointer_size: 8,
            }
        } else {
            return Err(IsoError::invalid(
                "zisofs header",
                offset,
                "no zisofs magic number",
            ));
        };
        let range = if h.version == 1 { 15..=17 } else { 15..=20 };
        if !range.contains(&h.log2_block) {
            return Err(IsoError::invalid(
                "zisofs header",
                offset,
                format!("log2 block size {} (expected {range:?})", h.log2_block),
            ));
        }
        if h.header_size < 16 {
            return Err(IsoError::invalid(
                "zisofs header",
                offset,
                format!("header size {} (at least 16)", h.header_size),
            ));
        }
        Ok(h)
    }

    /// The block size.
    pub fn block_size(&self) -> u64 {
        1u64 << self.log2_block
    }

    /// The number of blocks.
    pub fn blocks(&self) -> u64 {
        self.size.div_ceil(self.block_size())
    }

    /// Offset of block pointer `i` in the file data (no overflow: i <= blocks < 2^64 / 2^15).
    pub fn pointer_offset(&self, i: u64) -> u64 {
        self.header_size + i * self.pointer_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_and_v2_headers() {
        let mut v1 = MAGIC_V1.to_vec();
        v1.extend(100_000u32.to_le_bytes());
        v1.extend([4, 15, 0, 0]);
        v1.resize(24, 0);
        let h = ZisofsHeader::parse(&v1, 0).expect("valid");
        assert_eq!(
            (h.version, h.size, h.header_size, h.blocks()),
            (1, 100_000, 16, 4)
        );
        assert_eq!(h.pointer_offset(1), 20);

        let mut v2 = MAGIC_V2.to_vec();
        v2.extend([0, 6, 1, 17]);
        v2.extend((5u64 << 32).to_le_bytes());
        v2.extend([0; 4]);
        let h = ZisofsHeader::parse(&v2, 0).expect("valid");
        assert_eq!((h.version, h.size, h.header_size), (2, 5 << 32, 24));
        assert_eq!(h.pointer_offset(2), 40);
    }

    #[test]
    fn bad_headers() {
        let mut v1 = MAGIC_V1.to_vec();
        v1.extend(1u32.to_le_bytes());
        v1.extend([4, 30, 0, 0]);
        assert!(ZisofsHeader::parse(&v1, 0).is_err());
        assert!(ZisofsHeader::parse(&[0u8; 24], 0).is_err());
        assert!(ZisofsHeader::parse(&MAGIC_V1, 0).is_err());
    }
}
