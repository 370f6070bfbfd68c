//! ECMA-167 3/7.2: the 16-byte descriptor tag that starts every UDF descriptor: identifier,
//! version, a checksum of the tag's other 15 bytes, serial number, a CRC-ITU-T (x^16 + x^12 +
//! x^5 + 1, initial 0) over the `crc_len` bytes after the tag, and the tag's own location.

use crate::bytes::Fields;
use crate::error::{IsoError, IsoResult};

/// Tag identifiers (ECMA-167 3/7.2.1 and 4/7.2.1).
pub mod id {
    /// Primary Volume Descriptor.
    pub const PVD: u16 = 1;
    /// Anchor Volume Descriptor Pointer.
    pub const AVDP: u16 = 2;
    /// Volume Descriptor Pointer.
    pub const VDP: u16 = 3;
    /// Partition Descriptor.
    pub const PD: u16 = 5;
    /// Logical Volume Descriptor.
    pub const LVD: u16 = 6;
    /// Terminating Descriptor.
    pub const TD: u16 = 8;
    /// File Set Descriptor.
    pub const FSD: u16 = 256;
    /// File Identifier Descriptor.
    pub const FID: u16 = 257;
    /// Allocation Extent Descriptor.
    pub const AED: u16 = 258;
    /// Indirect Entry (ICB strategy 4096).
    pub const IE: u16 = 259;
    /// File Entry.
    pub const FE: u16 = 261;
    /// Extended File Entry.
    pub const EFE: u16 = 266;
}

/// A validated descriptor tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    /// Tag identifier.
    pub id: u16,
    /// Descriptor version (2 for NSR02, 3 for NSR03).
    pub version: u16,
    /// The location the descriptor claims (a sector, or a block of its partition).
    pub location: u32,
}

/// CRC-ITU-T as ECMA-167 3/7.2.6 specifies it.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

impl Tag {
    /// Parses and checks the tag at the start of `raw` (read at image byte `offset`): the
    /// checksum always, the CRC when its range lies inside `raw`.
    pub fn parse(raw: &[u8], offset: u64) -> IsoResult<Self> {
        let f = Fields::new(raw, "UDF descriptor tag", offset);
        let head = f.bytes(0, 16)?;
        let sum = head
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != 4)
            .fold(0u8, |s, (_, &b)| s.wrapping_add(b));
        if sum != head[4] {
            return Err(IsoError::invalid(
                "UDF descriptor tag",
                offset,
                format!("checksum {:#04x}, computed {sum:#04x}", head[4]),
            ));
        }
        let crc = f.le16(8)?;
        let crc_len = usize::from(f.le16(10)?);
        if let Some(body) = raw.get(16..16 + crc_len) {
            let got = crc16(body);
            if got != crc {
                return Err(IsoError::invalid(
                    "UDF descriptor tag",
                    offset,
                    format!("CRC {crc:#06x} over {crc_len} bytes, computed {got:#06x}"),
                ));
            }
        }
        Ok(Self {
            id: f.le16(0)?,
            version: f.le16(2)?,
            location: f.le32(12)?,
        })
    }

    /// Parses the tag and requires identifier `want`.
    pub fn expect(raw: &[u8], offset: u64, want: u16, what: &'static str) -> IsoResult<Self> {
        let t = Self::parse(raw, offset)?;
        if t.id != want {
            return Err(IsoError::invalid(
                what,
                offset,
                format!("tag identifier {} (expected {want})", t.id),
            ));
        }
        Ok(t)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Fills in a valid tag for `body` (whose first 16 bytes are the tag).
    pub fn seal(body: &mut [u8], id: u16, location: u32) {
        body[0..2].copy_from_slice(&id.to_le_bytes());
        body[2..4].copy_from_slice(&3u16.to_le_bytes());
        body[12..16].copy_from_slice(&location.to_le_bytes());
        let crc_len = (body.len() - 16) as u16;
        body[10..12].copy_from_slice(&crc_len.to_le_bytes());
        let crc = crc16(&body[16..]);
        body[8..10].copy_from_slice(&crc.to_le_bytes());
        body[4] = 0;
        let sum = body[..16].iter().fold(0u8, |s, &b| s.wrapping_add(b));
        body[4] = sum;
    }

    #[test]
    fn crc_known_value() {
        // ECMA-167 3/7.2.6 example: the CRC of bytes 70 6A 77 is 0x3299.
        assert_eq!(crc16(&[0x70, 0x6A, 0x77]), 0x3299);
    }

    #[test]
    fn checksum_and_crc_are_checked() {
        let mut d = vec![0u8; 64];
        d[20] = 7;
        seal(&mut d, id::FE, 99);
        let t = Tag::parse(&d, 0).expect("valid");
        assert_eq!((t.id, t.location), (id::FE, 99));
        let mut bad = d.clone();
        bad[20] = 8;
        assert!(Tag::parse(&bad, 0).is_err());
        let mut bad = d;
        bad[12] = 1;
        assert!(Tag::parse(&bad, 0).is_err());
    }
}
