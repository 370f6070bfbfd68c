//! Resource headers ("reshdr"): where a resource lies in the WIM and how it is stored.
//!
//! 24 bytes on disk (wimlib `struct wim_reshdr_disk`): a 56-bit little-endian size in the WIM,
//! one flags byte, a 64-bit offset and the 64-bit uncompressed size.

use super::bytes::{array, u64_at};

/// The resource has been freed (space unused).
pub const FLAG_FREE: u8 = 0x01;
/// The resource is an image's metadata resource.
pub const FLAG_METADATA: u8 = 0x02;
/// The resource is compressed (chunked).
pub const FLAG_COMPRESSED: u8 = 0x04;
/// The resource spans parts of a split WIM.
pub const FLAG_SPANNED: u8 = 0x08;
/// The resource is part of a solid resource (WIM version 0xE00).
pub const FLAG_SOLID: u8 = 0x10;

/// On-disk size of a resource header.
pub const RESHDR_SIZE: usize = 24;

/// A decoded resource header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResourceHeader {
    /// Bytes the resource occupies in the WIM (compressed size).
    pub size_in_wim: u64,
    /// `FLAG_*` bits.
    pub flags: u8,
    /// Absolute offset of the resource in the WIM.
    pub offset_in_wim: u64,
    /// Size of the data once decompressed.
    pub uncompressed_size: u64,
}

impl ResourceHeader {
    /// Parses the 24 bytes at `off` of `buf`; `None` if `buf` is too short.
    pub fn parse(buf: &[u8], off: usize) -> Option<Self> {
        let head: [u8; 8] = array(buf, off)?;
        let mut size = [0u8; 8];
        size[..7].copy_from_slice(&head[..7]);
        Some(Self {
            size_in_wim: u64::from_le_bytes(size),
            flags: head[7],
            offset_in_wim: u64_at(buf, off.checked_add(8)?)?,
            uncompressed_size: u64_at(buf, off.checked_add(16)?)?,
        })
    }

    /// Serializes to the 24-byte on-disk form.
    pub fn to_bytes(&self) -> [u8; RESHDR_SIZE] {
        let mut out = [0u8; RESHDR_SIZE];
        out[..7].copy_from_slice(&self.size_in_wim.to_le_bytes()[..7]);
        out[7] = self.flags;
        out[8..16].copy_from_slice(&self.offset_in_wim.to_le_bytes());
        out[16..24].copy_from_slice(&self.uncompressed_size.to_le_bytes());
        out
    }

    /// True if the data is stored in chunks of compressed data.
    pub fn is_compressed(&self) -> bool {
        self.flags & FLAG_COMPRESSED != 0
    }

    /// True for an image metadata resource.
    pub fn is_metadata(&self) -> bool {
        self.flags & FLAG_METADATA != 0
    }

    /// True for a member of (or the header of) a solid resource.
    pub fn is_solid(&self) -> bool {
        self.flags & FLAG_SOLID != 0
    }

    /// The end offset in the WIM, if it does not overflow.
    pub fn end_in_wim(&self) -> Option<u64> {
        self.offset_in_wim.checked_add(self.size_in_wim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_masks_the_56_bit_size() {
        let h = ResourceHeader {
            size_in_wim: 0x00AB_CDEF_0123_4567,
            flags: FLAG_COMPRESSED | FLAG_METADATA,
            offset_in_wim: 208,
            uncompressed_size: 1 << 40,
        };
        let bytes = h.to_bytes();
        assert_eq!(ResourceHeader::parse(&bytes, 0), Some(h));
        assert_eq!(ResourceHeader::parse(&bytes[..23], 0), None);
    }
}
