//! The 208-byte WIM header at offset 0 (WIM paper section 2.2; wimlib `struct wim_header_disk`).

use super::bytes::{array, u16_at, u32_at};
use super::reshdr::ResourceHeader;
use crate::error::{WimError, WimResult};

/// Size of the header on disk.
pub const HEADER_SIZE: usize = 208;
/// The magic of a normal WIM.
pub const MAGIC: [u8; 8] = *b"MSWIM\0\0\0";
/// The magic of wimlib's pipable WIMs.
pub const PIPABLE_MAGIC: [u8; 8] = *b"WLPWM\0\0\0";
/// Version of ordinary WIMs.
pub const VERSION_DEFAULT: u32 = 0x10D00;
/// Version of WIMs that may hold solid resources (ESD, `wimlib-imagex --solid`).
pub const VERSION_SOLID: u32 = 0xE00;

/// Header flag: the WIM is compressed (one of the COMPRESS_* flags says how).
pub const FLAG_COMPRESSION: u32 = 0x0000_0002;
/// Header flag: read-only.
pub const FLAG_READONLY: u32 = 0x0000_0004;
/// Header flag: part of a split WIM.
pub const FLAG_SPANNED: u32 = 0x0000_0008;
/// Header flag: a write was in progress and not finished.
pub const FLAG_WRITE_IN_PROGRESS: u32 = 0x0000_0040;
/// Header flag: reparse point fixups were done at capture.
pub const FLAG_RP_FIX: u32 = 0x0000_0080;
const FLAG_COMPRESS_XPRESS: u32 = 0x0002_0000;
const FLAG_COMPRESS_LZX: u32 = 0x0004_0000;
const FLAG_COMPRESS_LZMS: u32 = 0x0008_0000;
const FLAG_COMPRESS_XPRESS2: u32 = 0x0020_0000;

/// How the WIM's non-solid resources are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Stored as is.
    None,
    /// XPRESS (LZ77 + Huffman).
    Xpress,
    /// LZX, WIM variant.
    Lzx,
    /// LZMS.
    Lzms,
}

impl Compression {
    /// The name `wimlib-imagex` uses.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "None",
            Compression::Xpress => "XPRESS",
            Compression::Lzx => "LZX",
            Compression::Lzms => "LZMS",
        }
    }
}

/// A validated WIM header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WimHeader {
    /// Format version (0x10D00, or 0xE00 for solid-capable WIMs).
    pub version: u32,
    /// Header flags.
    pub flags: u32,
    /// Compression of non-solid resources.
    pub compression: Compression,
    /// Uncompressed chunk size of non-solid resources.
    pub chunk_size: u32,
    /// The chunk size field as stored (old WIMs store 0 and mean 32768), written back as is.
    pub chunk_size_on_disk: u32,
    /// The WIM's GUID (shared by all parts of a split WIM).
    pub guid: [u8; 16],
    /// This part's number (1-based).
    pub part_number: u16,
    /// Number of parts.
    pub total_parts: u16,
    /// Number of images.
    pub image_count: u32,
    /// Where the blob table is.
    pub blob_table: ResourceHeader,
    /// Where the XML data is.
    pub xml_data: ResourceHeader,
    /// The metadata resource of the bootable image.
    pub boot_metadata: ResourceHeader,
    /// Index of the bootable image (0 = none).
    pub boot_index: u32,
    /// Where the integrity table is (size 0 = none).
    pub integrity: ResourceHeader,
    /// True for wimlib's pipable format.
    pub pipable: bool,
    /// Bytes 148..208, unused by the format; kept so that a rewritten header differs from the
    /// old one only in the fields that changed.
    pub unused: [u8; HEADER_SIZE - UNUSED_AT],
}

/// Where the unused tail of the header starts.
const UNUSED_AT: usize = 148;

fn bad(detail: String) -> WimError {
    WimError::invalid("WIM header", 0, detail)
}

impl WimHeader {
    /// Parses and validates the header from the first 208 bytes of the file.
    pub fn parse(buf: &[u8]) -> WimResult<Self> {
        if buf.len() < HEADER_SIZE {
            return Err(bad(format!(
                "the file is {} bytes long, shorter than the {HEADER_SIZE}-byte header",
                buf.len()
            )));
        }
        let magic: [u8; 8] = array(buf, 0).ok_or_else(|| bad("truncated".into()))?;
        let pipable = magic == PIPABLE_MAGIC;
        if magic != MAGIC && !pipable {
            return Err(bad(format!(
                "magic is {magic:02x?}, expected \"MSWIM\\0\\0\\0\": not a WIM file"
            )));
        }
        let field = |off: usize| u32_at(buf, off).ok_or_else(|| bad("truncated".into()));
        let hdr_size = field(8)?;
        if hdr_size as usize != HEADER_SIZE {
            return Err(bad(format!(
                "header size field is {hdr_size}, expected 208"
            )));
        }
        let version = field(12)?;
        if version != VERSION_DEFAULT && version != VERSION_SOLID {
            return Err(bad(format!(
                "version 0x{version:x} is not 0x10d00 or 0xe00"
            )));
        }
        let flags = field(16)?;
        let compression = if flags & FLAG_COMPRESSION == 0 {
            Compression::None
        } else if flags & FLAG_COMPRESS_LZX != 0 {
            Compression::Lzx
        } else if flags & (FLAG_COMPRESS_XPRESS | FLAG_COMPRESS_XPRESS2) != 0 {
            Compression::Xpress
        } else if flags & FLAG_COMPRESS_LZMS != 0 {
            Compression::Lzms
        } else {
            return Err(bad(format!(
                "flags 0x{flags:08x} say compressed but name no known compression type"
            )));
        };
        let chunk_size_on_disk = field(20)?;
        let mut chunk_size = chunk_size_on_disk;
        if compression != Compression::None {
            if chunk_size == 0 {
                // Old WIMs leave it 0 and mean 32 KiB.
                chunk_size = 32768;
            }
            if !chunk_size.is_power_of_two() || !(4096..=1 << 30).contains(&chunk_size) {
                return Err(bad(format!(
                    "chunk size {chunk_size} is not a power of two between 4 KiB and 1 GiB"
                )));
            }
        }
        let reshdr =
            |off: usize| ResourceHeader::parse(buf, off).ok_or_else(|| bad("truncated".into()));
        let part_number = u16_at(buf, 40).unwrap_or(0);
        let total_parts = u16_at(buf, 42).unwrap_or(0);
        if part_number == 0 || total_parts == 0 || part_number > total_parts {
            return Err(bad(format!(
                "part {part_number} of {total_parts} is not a valid part number"
            )));
        }
        Ok(Self {
            version,
            flags,
            compression,
            chunk_size,
            chunk_size_on_disk,
            guid: array(buf, 24).ok_or_else(|| bad("truncated".into()))?,
            part_number,
            total_parts,
            image_count: field(44)?,
            blob_table: reshdr(48)?,
            xml_data: reshdr(72)?,
            boot_metadata: reshdr(96)?,
            boot_index: field(120)?,
            integrity: reshdr(124)?,
            pipable,
            unused: array(buf, UNUSED_AT).ok_or_else(|| bad("truncated".into()))?,
        })
    }

    /// The 208 on-disk bytes (the inverse of [`Self::parse`]).
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        b[0..8].copy_from_slice(if self.pipable { &PIPABLE_MAGIC } else { &MAGIC });
        b[8..12].copy_from_slice(&(HEADER_SIZE as u32).to_le_bytes());
        b[12..16].copy_from_slice(&self.version.to_le_bytes());
        b[16..20].copy_from_slice(&self.flags.to_le_bytes());
        b[20..24].copy_from_slice(&self.chunk_size_on_disk.to_le_bytes());
        b[24..40].copy_from_slice(&self.guid);
        b[40..42].copy_from_slice(&self.part_number.to_le_bytes());
        b[42..44].copy_from_slice(&self.total_parts.to_le_bytes());
        b[44..48].copy_from_slice(&self.image_count.to_le_bytes());
        b[48..72].copy_from_slice(&self.blob_table.to_bytes());
        b[72..96].copy_from_slice(&self.xml_data.to_bytes());
        b[96..120].copy_from_slice(&self.boot_metadata.to_bytes());
        b[120..124].copy_from_slice(&self.boot_index.to_le_bytes());
        b[124..UNUSED_AT].copy_from_slice(&self.integrity.to_bytes());
        b[UNUSED_AT..].copy_from_slice(&self.unused);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut b = vec![0u8; HEADER_SIZE];
        b[..8].copy_from_slice(&MAGIC);
        b[8..12].copy_from_slice(&208u32.to_le_bytes());
        b[12..16].copy_from_slice(&VERSION_DEFAULT.to_le_bytes());
        b[16..20].copy_from_slice(&(FLAG_COMPRESSION | FLAG_COMPRESS_LZX).to_le_bytes());
        b[20..24].copy_from_slice(&32768u32.to_le_bytes());
        b[40..42].copy_from_slice(&1u16.to_le_bytes());
        b[42..44].copy_from_slice(&1u16.to_le_bytes());
        b[44..48].copy_from_slice(&1u32.to_le_bytes());
        b
    }

    #[test]
    fn parses_a_minimal_header() {
        let h = WimHeader::parse(&sample()).expect("valid");
        assert_eq!(h.compression, Compression::Lzx);
        assert_eq!(h.chunk_size, 32768);
        assert_eq!(h.image_count, 1);
    }

    #[test]
    fn round_trips_byte_for_byte() {
        let mut b = sample();
        b[20..24].copy_from_slice(&0u32.to_le_bytes()); // old WIMs: 0 means 32 KiB
        for (i, x) in b[24..40].iter_mut().enumerate() {
            *x = i as u8;
        }
        b[48..72].copy_from_slice(
            &ResourceHeader {
                size_in_wim: 500,
                flags: 2,
                offset_in_wim: 208,
                uncompressed_size: 500,
            }
            .to_bytes(),
        );
        b[120..124].copy_from_slice(&1u32.to_le_bytes());
        b[200] = 0x5a;
        let h = WimHeader::parse(&b).expect("valid");
        assert_eq!(h.chunk_size, 32768);
        assert_eq!(h.to_bytes().to_vec(), b);
    }

    #[test]
    fn rejects_bad_magic_size_and_chunk() {
        let mut b = sample();
        b[0] = b'X';
        assert!(WimHeader::parse(&b)
            .expect_err("must fail")
            .to_string()
            .contains("magic"));
        assert!(WimHeader::parse(&sample()[..100]).is_err());
        let mut b = sample();
        b[20..24].copy_from_slice(&12345u32.to_le_bytes());
        assert!(WimHeader::parse(&b)
            .expect_err("must fail")
            .to_string()
            .contains("chunk size"));
        let mut b = sample();
        b[40..42].copy_from_slice(&3u16.to_le_bytes());
        assert!(WimHeader::parse(&b).is_err());
    }
}
