//! El Torito ("El Torito" Bootable CD-ROM Format Specification 1.0, 1995): the boot catalog
//! named by the boot record volume descriptor. 32-byte entries: a validation entry (header 1,
//! key bytes 55 AA, words summing to zero), the initial/default entry, then section headers
//! (0x90 more follow, 0x91 last) each followed by its section entries (and 0x44 extensions).
//!
//! Boot images are not files of any directory tree; `isofs info` lists them and
//! `isofs info --extract-boot DIR` writes them out (see [`BootEntry::image_size`]).

use crate::bytes::Fields;
use crate::error::{IsoError, IsoResult};

/// At most this many catalog entries are read (the catalog is usually one sector).
pub const MAX_ENTRIES: usize = 256;

/// One bootable (or not) image of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootEntry {
    /// Platform of the section: 0 x86 BIOS, 1 PowerPC, 2 Mac, 0xEF EFI.
    pub platform: u8,
    /// Boot indicator 0x88.
    pub bootable: bool,
    /// 0 no emulation, 1/2/3 floppy 1.2/1.44/2.88 MB, 4 hard disk.
    pub media: u8,
    /// Load segment (0 = the traditional 0x7C0).
    pub load_segment: u16,
    /// Number of 512-byte virtual sectors loaded by the BIOS.
    pub sector_count: u16,
    /// Start of the image, in 2048-byte sectors.
    pub lba: u32,
}

impl BootEntry {
    fn parse(f: &Fields<'_>, at: usize, platform: u8) -> IsoResult<Self> {
        Ok(Self {
            platform,
            bootable: f.u8(at)? == 0x88,
            media: f.u8(at + 1)? & 0x0F,
            load_segment: f.le16(at + 2)?,
            sector_count: f.le16(at + 6)?,
            lba: f.le32(at + 8)?,
        })
    }

    /// A readable name of the platform.
    pub fn platform_name(&self) -> &'static str {
        match self.platform {
            0 => "BIOS",
            1 => "PowerPC",
            2 => "Mac",
            0xEF => "UEFI",
            _ => "unknown",
        }
    }

    /// A readable name of the emulation.
    pub fn media_name(&self) -> &'static str {
        match self.media {
            0 => "no emulation",
            1 => "1.2M floppy",
            2 => "1.44M floppy",
            3 => "2.88M floppy",
            4 => "hard disk",
            _ => "unknown",
        }
    }

    /// Bytes to extract: the floppy size for floppy emulation, else the loaded sector count
    /// (at least one 2048-byte sector). A no-emulation EFI entry usually names its whole FAT
    /// image this way; BIOS loaders (isolinux) load only their first sectors.
    pub fn image_size(&self) -> u64 {
        match self.media {
            1 => 1_228_800,
            2 => 1_474_560,
            3 => 2_949_120,
            _ => (u64::from(self.sector_count) * 512).max(2048),
        }
    }
}

/// Parses the boot catalog (`raw` is its sector(s), read at image byte `offset`).
pub fn parse_catalog(raw: &[u8], offset: u64) -> IsoResult<Vec<BootEntry>> {
    let f = Fields::new(raw, "El Torito boot catalog", offset);
    let head = f.bytes(0, 32)?;
    if head[0] != 1 || head[30] != 0x55 || head[31] != 0xAA {
        return Err(IsoError::invalid(
            "El Torito validation entry",
            offset,
            "header id is not 1 or the key bytes are not 55 AA",
        ));
    }
    let sum = head.chunks_exact(2).fold(0u16, |s, w| {
        s.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
    });
    if sum != 0 {
        return Err(IsoError::invalid(
            "El Torito validation entry",
            offset,
            format!("checksum words sum to {sum:#06x}, not 0"),
        ));
    }
    let mut platform = head[1];
    let mut out = vec![BootEntry::parse(&f, 32, platform)?];
    let mut at = 64usize;
    let mut remaining_in_section = 0u16;
    while out.len() < MAX_ENTRIES && at + 32 <= raw.len() {
        let kind = f.u8(at)?;
        match kind {
            0x90 | 0x91 => {
                platform = f.u8(at + 1)?;
                remaining_in_section = f.le16(at + 2)?;
            }
            0x88 | 0x00 if remaining_in_section > 0 => {
                out.push(BootEntry::parse(&f, at, platform)?);
                remaining_in_section -= 1;
            }
            0x44 => {}
            _ => break,
        }
        at += 32;
        if kind == 0x91 && remaining_in_section == 0 {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Vec<u8> {
        let mut c = vec![0u8; 2048];
        c[0] = 1;
        c[30] = 0x55;
        c[31] = 0xAA;
        let sum = c[..32].chunks_exact(2).fold(0u16, |s, w| {
            s.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
        });
        c[28..30].copy_from_slice(&0u16.wrapping_sub(sum).to_le_bytes());
        c[32] = 0x88;
        c[38] = 4;
        c[40..44].copy_from_slice(&30u32.to_le_bytes());
        c[64] = 0x91;
        c[65] = 0xEF;
        c[66] = 1;
        c[96] = 0x88;
        c[102..104].copy_from_slice(&2880u16.to_le_bytes());
        c[104..108].copy_from_slice(&40u32.to_le_bytes());
        c
    }

    #[test]
    fn bios_and_efi_entries() {
        let e = parse_catalog(&catalog(), 0).expect("valid");
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].platform_name(), e[0].lba, e[0].image_size()),
            ("BIOS", 30, 2048)
        );
        assert_eq!(
            (e[1].platform_name(), e[1].lba, e[1].image_size()),
            ("UEFI", 40, 1_474_560)
        );
    }

    #[test]
    fn bad_checksum_is_refused() {
        let mut c = catalog();
        c[4] ^= 1;
        assert!(parse_catalog(&c, 0).is_err());
    }
}
