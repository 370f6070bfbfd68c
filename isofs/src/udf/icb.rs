//! ECMA-167 4/7.1 lb_addr, 4/14.14 allocation descriptors (short_ad, long_ad, ext_ad) and
//! 4/14.6 the ICB tag. An allocation descriptor's length field carries the extent type in its
//! top two bits: 0 recorded, 1 allocated but not recorded, 2 neither, 3 the next extent of
//! allocation descriptors (a continuation, 4/12).

use crate::bytes::Fields;
use crate::error::IsoResult;

/// A logical block address: block number within a partition reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LbAddr {
    /// Logical block number.
    pub block: u32,
    /// Partition reference number (index into the partition maps).
    pub partition: u16,
}

/// The type of an extent (top two bits of the length field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtentType {
    /// Recorded and allocated.
    Recorded,
    /// Allocated but not recorded: reads as zeros.
    AllocatedUnrecorded,
    /// Neither: reads as zeros.
    Unallocated,
    /// The next extent of allocation descriptors.
    Continuation,
}

/// A decoded allocation descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongAd {
    /// Length in bytes (type bits removed).
    pub len: u32,
    /// Extent type.
    pub kind: ExtentType,
    /// Where.
    pub location: LbAddr,
}

fn split_len(raw: u32) -> (u32, ExtentType) {
    let kind = match raw >> 30 {
        0 => ExtentType::Recorded,
        1 => ExtentType::AllocatedUnrecorded,
        2 => ExtentType::Unallocated,
        _ => ExtentType::Continuation,
    };
    (raw & 0x3FFF_FFFF, kind)
}

impl LongAd {
    /// Parses a 16-byte long_ad read at image byte `offset`.
    pub fn parse(raw: &[u8], offset: u64) -> IsoResult<Self> {
        let f = Fields::new(raw, "UDF long_ad", offset);
        let (len, kind) = split_len(f.le32(0)?);
        Ok(Self {
            len,
            kind,
            location: LbAddr {
                block: f.le32(4)?,
                partition: f.le16(8)?,
            },
        })
    }

    /// Parses an 8-byte short_ad; its partition is the one of the ICB holding it.
    pub fn parse_short(raw: &[u8], offset: u64, partition: u16) -> IsoResult<Self> {
        let f = Fields::new(raw, "UDF short_ad", offset);
        let (len, kind) = split_len(f.le32(0)?);
        Ok(Self {
            len,
            kind,
            location: LbAddr {
                block: f.le32(4)?,
                partition,
            },
        })
    }

    /// Parses a 20-byte ext_ad (recorded length at 4 decides recorded/unrecorded).
    pub fn parse_ext(raw: &[u8], offset: u64) -> IsoResult<Self> {
        let f = Fields::new(raw, "UDF ext_ad", offset);
        let (len, kind) = split_len(f.le32(0)?);
        Ok(Self {
            len,
            kind,
            location: LbAddr {
                block: f.le32(12)?,
                partition: f.le16(16)?,
            },
        })
    }
}

/// How a file's allocation descriptors are stored (ICB tag flags bits 0-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdForm {
    /// short_ad.
    Short,
    /// long_ad.
    Long,
    /// ext_ad.
    Extended,
    /// The data itself is in the ICB.
    InIcb,
}

/// File types (ECMA-167 4/14.6.6, OSTA UDF 2.60 2.3.5.2).
pub mod file_type {
    /// Directory.
    pub const DIRECTORY: u8 = 4;
    /// Regular file (a byte sequence).
    pub const FILE: u8 = 5;
    /// Block special device.
    pub const BLOCK_DEVICE: u8 = 6;
    /// Character special device.
    pub const CHAR_DEVICE: u8 = 7;
    /// FIFO.
    pub const FIFO: u8 = 9;
    /// Socket (C_ISSOCK).
    pub const SOCKET: u8 = 10;
    /// Symbolic link.
    pub const SYMLINK: u8 = 12;
    /// Metadata file.
    pub const METADATA: u8 = 250;
    /// Metadata mirror file.
    pub const METADATA_MIRROR: u8 = 251;
}

/// The ICB tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcbTag {
    /// File type.
    pub file_type: u8,
    /// Allocation descriptor form.
    pub ad_form: AdForm,
    /// Setuid, setgid, sticky (flags bits 6, 7, 8) as POSIX bits.
    pub special_bits: u16,
}

impl IcbTag {
    /// Parses the 20-byte ICB tag read at image byte `offset`.
    pub fn parse(raw: &[u8], offset: u64) -> IsoResult<Self> {
        let f = Fields::new(raw, "UDF ICB tag", offset);
        let flags = f.le16(18)?;
        let ad_form = match flags & 7 {
            0 => AdForm::Short,
            1 => AdForm::Long,
            2 => AdForm::Extended,
            _ => AdForm::InIcb,
        };
        let mut special_bits = 0;
        if flags & 0x40 != 0 {
            special_bits |= 0o4000;
        }
        if flags & 0x80 != 0 {
            special_bits |= 0o2000;
        }
        if flags & 0x100 != 0 {
            special_bits |= 0o1000;
        }
        Ok(Self {
            file_type: f.u8(11)?,
            ad_form,
            special_bits,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extent_types_and_addresses() {
        let mut raw = [0u8; 16];
        raw[0..4].copy_from_slice(&(0x4000_0800u32).to_le_bytes());
        raw[4..8].copy_from_slice(&77u32.to_le_bytes());
        raw[8..10].copy_from_slice(&1u16.to_le_bytes());
        let ad = LongAd::parse(&raw, 0).expect("valid");
        assert_eq!(ad.len, 2048);
        assert_eq!(ad.kind, ExtentType::AllocatedUnrecorded);
        assert_eq!(
            ad.location,
            LbAddr {
                block: 77,
                partition: 1
            }
        );
        let s = LongAd::parse_short(&raw[..8], 0, 3).expect("valid");
        assert_eq!(s.location.partition, 3);
    }
}
