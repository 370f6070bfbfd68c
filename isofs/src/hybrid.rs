//! Partition tables of hybrid images (isohybrid): the MBR in the first 512 bytes (four 16-byte
//! entries at 446, signature 55 AA at 510) and a GPT whose header is at byte 512 ("EFI PART",
//! UEFI 2.x 5.3: entry array LBA at 72, count at 80, entry size at 84; entries hold type GUID,
//! first/last LBA at 32/40 and a UTF-16LE name at 56). The ISO volume itself is read at offset
//! 0 regardless; this is for `isofs info` only.

use crate::bytes::Fields;
use crate::error::IsoResult;

/// At most this many GPT entries are listed.
pub const MAX_GPT_ENTRIES: u32 = 256;

/// One partition, in 512-byte sectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// "mbr" or "gpt".
    pub table: &'static str,
    /// 1-based index in its table.
    pub index: u32,
    /// MBR type byte, or the GPT type GUID as text.
    pub kind: String,
    /// First sector.
    pub start: u64,
    /// Number of sectors.
    pub sectors: u64,
    /// GPT name, if any.
    pub name: String,
}

/// The MBR partitions of the first 512 bytes, if the 55 AA signature is there.
pub fn parse_mbr(first: &[u8]) -> IsoResult<Vec<Partition>> {
    let f = Fields::new(first, "MBR", 0);
    if first.len() < 512 || f.bytes(510, 2)? != [0x55, 0xAA] {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for i in 0..4u32 {
        let at = 446 + 16 * i as usize;
        let kind = f.u8(at + 4)?;
        let sectors = f.le32(at + 12)?;
        if kind == 0 || sectors == 0 {
            continue;
        }
        out.push(Partition {
            table: "mbr",
            index: i + 1,
            kind: format!("0x{kind:02x}"),
            start: f.le32(at + 8)?.into(),
            sectors: sectors.into(),
            name: String::new(),
        });
    }
    Ok(out)
}

fn guid(b: &[u8]) -> String {
    format!(
        "{:02X}{:02X}{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{}",
        b[3],
        b[2],
        b[1],
        b[0],
        b[5],
        b[4],
        b[7],
        b[6],
        b[8],
        b[9],
        b[10..16]
            .iter()
            .map(|x| format!("{x:02X}"))
            .collect::<String>()
    )
}

/// Where the GPT entry array is and how big: `(byte offset, count, entry size)`, if the bytes
/// at 512.. hold a GPT header.
pub fn gpt_header(hdr: &[u8]) -> IsoResult<Option<(u64, u32, u32)>> {
    let f = Fields::new(hdr, "GPT header", 512);
    if hdr.len() < 92 || f.bytes(0, 8)? != b"EFI PART" {
        return Ok(None);
    }
    let lba = f.le64(72)?;
    let count = f.le32(80)?.min(MAX_GPT_ENTRIES);
    let size = f.le32(84)?;
    if !(128..=4096).contains(&size) {
        return Ok(None);
    }
    Ok(lba.checked_mul(512).map(|at| (at, count, size)))
}

/// Parses GPT entries (`raw` = `count` entries of `size` bytes, read at image byte `offset`).
pub fn parse_gpt_entries(raw: &[u8], size: u32, offset: u64) -> IsoResult<Vec<Partition>> {
    let mut out = Vec::new();
    for (i, e) in raw.chunks_exact(size as usize).enumerate() {
        let f = Fields::new(e, "GPT entry", offset + (i as u64) * u64::from(size));
        let ty = f.bytes(0, 16)?;
        if ty.iter().all(|&b| b == 0) {
            continue;
        }
        let first = f.le64(32)?;
        let last = f.le64(40)?;
        let units: Vec<u16> = f
            .bytes(56, 72)?
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&u| u != 0)
            .collect();
        out.push(Partition {
            table: "gpt",
            index: i as u32 + 1,
            kind: guid(ty),
            start: first,
            sectors: last.saturating_sub(first).saturating_add(1),
            name: String::from_utf16_lossy(&units),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbr_entries() {
        let mut m = vec![0u8; 512];
        m[510] = 0x55;
        m[511] = 0xAA;
        m[446 + 4] = 0x17;
        m[446 + 12..446 + 16].copy_from_slice(&100u32.to_le_bytes());
        m[462 + 4] = 0xEF;
        m[462 + 8..462 + 12].copy_from_slice(&200u32.to_le_bytes());
        m[462 + 12..462 + 16].copy_from_slice(&50u32.to_le_bytes());
        let p = parse_mbr(&m).expect("valid");
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[1].kind.as_str(), p[1].start, p[1].sectors),
            ("0xef", 200, 50)
        );
        assert!(parse_mbr(&[0u8; 512]).expect("valid").is_empty());
    }
}
