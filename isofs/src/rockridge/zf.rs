//! The zisofs marker entries: "ZF" (zisofs v1 with algorithm "pz", size as ECMA-119 7.3.3) and
//! "Z2" (zisofs2, algorithm "PZ" = zlib, size as a little-endian u64). Layout after the SUSP
//! header: algorithm (2 bytes), header size / 4, log2 of the block size, uncompressed size.
//! Described in libisofs' doc/zisofs_format.txt and doc/zisofs2_format.txt.

use crate::error::IsoResult;
use crate::susp::entry::SuspEntry;

/// What a ZF/Z2 entry announces about a file's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZfEntry {
    /// 1 for zisofs ("pz"), 2 for zisofs2 ("PZ").
    pub version: u8,
    /// The file header size in bytes.
    pub header_size: u32,
    /// log2 of the uncompressed block size.
    pub log2_block: u8,
    /// The uncompressed size.
    pub size: u64,
}

/// Parses a "ZF" or "Z2" entry; `None` for algorithms other than zlib.
pub fn parse(e: &SuspEntry) -> IsoResult<Option<ZfEntry>> {
    let f = e.fields();
    let alg = f.array::<2>(4)?;
    let version = match &alg {
        b"pz" => 1,
        b"PZ" => 2,
        _ => return Ok(None),
    };
    let size = if &e.sig == b"Z2" {
        f.le64(8)?
    } else {
        u64::from(f.both32(8)?)
    };
    Ok(Some(ZfEntry {
        version,
        header_size: u32::from(f.u8(6)?) * 4,
        log2_block: f.u8(7)?,
        size,
    }))
}
