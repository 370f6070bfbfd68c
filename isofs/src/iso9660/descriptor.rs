//! ECMA-119 8: volume descriptors (the set starts at sector 16, 2048 bytes each, and ends at a
//! terminator, type 255). We keep the primary (8.4), supplementary/enhanced (8.5, Joliet when its
//! escape sequences say UCS-2) and boot record (8.2, El Torito) descriptors.

use crate::bytes::{trim_text, Fields};
use crate::error::{IsoError, IsoResult};
use crate::iso9660::dirrec::DirRecord;

/// The size of a volume descriptor and of an ECMA-119 sector.
pub const SECTOR: u64 = 2048;
/// Where the volume descriptor set begins (ECMA-119 6.2.1: after the 16-sector system area).
pub const FIRST_DESCRIPTOR: u64 = 16 * SECTOR;

/// Fields shared by the primary and supplementary descriptors (ECMA-119 8.4 / 8.5).
#[derive(Debug, Clone)]
pub struct VolumeInfo {
    /// Absolute offset of the descriptor.
    pub offset: u64,
    /// Volume identifier (for Joliet: decoded from UCS-2).
    pub volume_id: String,
    /// System identifier.
    pub system_id: String,
    /// Volume space size in logical blocks.
    pub space_blocks: u32,
    /// Logical block size (512, 1024 or 2048).
    pub block_size: u32,
    /// Root directory record.
    pub root: DirRecord,
    /// Publisher identifier.
    pub publisher: String,
    /// Data preparer identifier.
    pub preparer: String,
    /// Application identifier.
    pub application: String,
    /// Joliet level 1-3 when the escape sequences announce UCS-2 (supplementary only).
    pub joliet_level: Option<u8>,
}

/// One volume descriptor.
#[derive(Debug, Clone)]
pub enum VolumeDescriptor {
    /// Type 0: a boot record; `catalog` is the El Torito boot catalog's sector if the boot system
    /// identifier is "EL TORITO SPECIFICATION".
    Boot {
        /// Boot system identifier.
        system_id: String,
        /// El Torito boot catalog sector.
        catalog: Option<u32>,
    },
    /// Type 1.
    Primary(VolumeInfo),
    /// Type 2 (supplementary or enhanced).
    Supplementary(VolumeInfo),
    /// Type 3.
    Partition,
    /// Type 255: the end of the set.
    Terminator,
    /// Another type (reserved values).
    Other(u8),
}

/// True if the sector holds an ECMA-119 descriptor (standard identifier "CD001").
pub fn is_descriptor(sector: &[u8]) -> bool {
    sector.get(1..6) == Some(b"CD001")
}

fn joliet_level(esc: &[u8]) -> Option<u8> {
    // ECMA-35 escape sequences: %/@ level 1, %/C level 2, %/E level 3.
    let mut i = 0;
    while i + 3 <= esc.len() {
        if &esc[i..i + 2] == b"%/" {
            match esc[i + 2] {
                b'@' => return Some(1),
                b'C' => return Some(2),
                b'E' => return Some(3),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

fn ucs2_text(raw: &[u8]) -> String {
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
        .trim_end_matches([' ', '\0'])
        .to_owned()
}

fn volume_info(f: &Fields<'_>, supplementary: bool) -> IsoResult<VolumeInfo> {
    let block_size = u32::from(f.both16(128)?);
    if !matches!(block_size, 512 | 1024 | 2048) {
        return Err(IsoError::invalid(
            f.structure,
            f.offset,
            format!("logical block size {block_size} (expected 512, 1024 or 2048)"),
        ));
    }
    let root = DirRecord::parse(f.bytes(156, 34)?, f.offset + 156)?;
    let joliet = if supplementary {
        joliet_level(f.bytes(88, 32)?)
    } else {
        None
    };
    let text = |at: usize, len: usize| -> IsoResult<String> {
        let raw = f.bytes(at, len)?;
        Ok(if joliet.is_some() {
            ucs2_text(raw)
        } else {
            trim_text(raw)
        })
    };
    Ok(VolumeInfo {
        offset: f.offset,
        volume_id: text(40, 32)?,
        system_id: text(8, 32)?,
        space_blocks: f.both32(80)?,
        block_size,
        root,
        publisher: text(318, 128)?,
        preparer: text(446, 128)?,
        application: text(574, 128)?,
        joliet_level: joliet,
    })
}

impl VolumeDescriptor {
    /// Parses the 2048-byte descriptor read at image byte `offset`.
    pub fn parse(sector: &[u8], offset: u64) -> IsoResult<Self> {
        if !is_descriptor(sector) {
            return Err(IsoError::invalid(
                "volume descriptor",
                offset,
                "no CD001 standard identifier",
            ));
        }
        let f = Fields::new(sector, "volume descriptor", offset);
        Ok(match f.u8(0)? {
            0 => {
                let system_id = trim_text(f.bytes(7, 32)?);
                let catalog = (system_id == "EL TORITO SPECIFICATION")
                    .then(|| f.le32(71))
                    .transpose()?;
                VolumeDescriptor::Boot { system_id, catalog }
            }
            1 => VolumeDescriptor::Primary(volume_info(
                &Fields::new(sector, "primary volume descriptor", offset),
                false,
            )?),
            2 => VolumeDescriptor::Supplementary(volume_info(
                &Fields::new(sector, "supplementary volume descriptor", offset),
                true,
            )?),
            3 => VolumeDescriptor::Partition,
            255 => VolumeDescriptor::Terminator,
            t => VolumeDescriptor::Other(t),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joliet_escapes() {
        assert_eq!(joliet_level(b"%/E\0\0"), Some(3));
        assert_eq!(joliet_level(b"%/@"), Some(1));
        assert_eq!(joliet_level(b"\0\0\0"), None);
    }

    #[test]
    fn garbage_is_not_a_descriptor() {
        assert!(VolumeDescriptor::parse(&[0u8; 2048], 32768).is_err());
        let mut s = vec![0u8; 2048];
        s[0] = 1;
        s[1..6].copy_from_slice(b"CD001");
        // Block size 0: refused with the offset named.
        let e = VolumeDescriptor::parse(&s, 32768).expect_err("bad block size");
        assert!(e.to_string().contains("32768"), "{e}");
    }
}
