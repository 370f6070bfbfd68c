//! ECMA-167 2/9 volume recognition (the "BEA01", "NSR02"/"NSR03", "TEA01" descriptors from
//! byte 32768 on) and 3/10.2 the Anchor Volume Descriptor Pointer, at sector 256 and at N-256
//! or N (N = the last sector); it gives the extents of the main and reserve volume descriptor
//! sequences.

use crate::bytes::Fields;
use crate::error::IsoResult;
use crate::udf::tag::{id, Tag};

/// An extent descriptor (ECMA-167 3/7.1): length in bytes, location in sectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtentAd {
    /// Length in bytes.
    pub len: u32,
    /// First sector.
    pub location: u32,
}

/// The Anchor Volume Descriptor Pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    /// The main volume descriptor sequence.
    pub main: ExtentAd,
    /// The reserve copy.
    pub reserve: ExtentAd,
}

impl Anchor {
    /// Parses an AVDP sector read at image byte `offset`.
    pub fn parse(raw: &[u8], offset: u64) -> IsoResult<Self> {
        Tag::expect(
            raw,
            offset,
            id::AVDP,
            "UDF anchor volume descriptor pointer",
        )?;
        let f = Fields::new(raw, "UDF anchor volume descriptor pointer", offset);
        Ok(Self {
            main: ExtentAd {
                len: f.le32(16)?,
                location: f.le32(20)?,
            },
            reserve: ExtentAd {
                len: f.le32(24)?,
                location: f.le32(28)?,
            },
        })
    }
}

/// What the volume recognition sequence says: the NSR version (2 or 3), if any.
pub fn nsr_version(descriptor: &[u8]) -> Option<u8> {
    match descriptor.get(1..6) {
        Some(b"NSR02") => Some(2),
        Some(b"NSR03") => Some(3),
        _ => None,
    }
}

/// True if the sector is a volume structure descriptor of the recognition sequence.
pub fn is_vrs(descriptor: &[u8]) -> bool {
    matches!(
        descriptor.get(1..6),
        Some(b"BEA01" | b"NSR02" | b"NSR03" | b"TEA01" | b"CD001" | b"BOOT2" | b"CDW02")
    )
}
