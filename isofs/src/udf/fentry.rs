//! ECMA-167 4/14.9 File Entry and 4/14.17 Extended File Entry: the ICB of a file, with owner,
//! permissions (4/14.9.5: other, group and owner each execute/write/read/chattr/delete in 5-bit
//! groups), link count, information length, times, and the allocation descriptors (or the
//! data itself) after the extended attributes.

use std::time::SystemTime;

use crate::bytes::Fields;
use crate::error::{IsoError, IsoResult};
use crate::udf::icb::IcbTag;
use crate::udf::tag::{id, Tag};
use crate::udf::timestamp;

/// A File Entry or Extended File Entry.
#[derive(Debug, Clone)]
pub struct FileEntry {
    /// The ICB tag.
    pub icb: IcbTag,
    /// Owner (u32::MAX = unspecified).
    pub uid: u32,
    /// Group (u32::MAX = unspecified).
    pub gid: u32,
    /// POSIX permission bits (rwx for owner/group/other plus setuid/setgid/sticky).
    pub perm: u16,
    /// File link count.
    pub links: u16,
    /// Information length (the file size).
    pub size: u64,
    /// Access time.
    pub atime: SystemTime,
    /// Modification time.
    pub mtime: SystemTime,
    /// Attribute time.
    pub ctime: SystemTime,
    /// Creation time (Extended File Entries only).
    pub crtime: Option<SystemTime>,
    /// The allocation descriptors, or the data when `icb.ad_form` is in-ICB.
    pub ad_bytes: Vec<u8>,
    /// Image offset of `ad_bytes`.
    pub ad_offset: u64,
    /// The extended attribute space (4/14.10), bounded by the entry.
    pub ea_bytes: Vec<u8>,
    /// Image offset of `ea_bytes`.
    pub ea_offset: u64,
}

fn udf_perm(p: u32) -> u16 {
    let other = p & 7;
    let group = (p >> 5) & 7;
    let owner = (p >> 10) & 7;
    (owner << 6 | group << 3 | other) as u16
}

impl FileEntry {
    /// Parses a (extended) file entry block read at image byte `offset`.
    pub fn parse(raw: &[u8], offset: u64) -> IsoResult<Self> {
        let tag = Tag::parse(raw, offset)?;
        let extended = match tag.id {
            id::FE => false,
            id::EFE => true,
            other => {
                return Err(IsoError::invalid(
                    "UDF file entry",
                    offset,
                    format!("tag identifier {other} (expected 261 or 266)"),
                ))
            }
        };
        let f = Fields::new(raw, "UDF file entry", offset);
        let icb = IcbTag::parse(f.bytes(16, 20)?, offset + 16)?;
        let ts = |at: usize| -> IsoResult<SystemTime> { Ok(timestamp::decode(&f.array(at)?)) };
        let (atime, mtime, ctime, crtime, ea_at, base) = if extended {
            (
                ts(80)?,
                ts(92)?,
                ts(116)?,
                Some(ts(104)?),
                208usize,
                216usize,
            )
        } else {
            (ts(72)?, ts(84)?, ts(96)?, None, 168usize, 176usize)
        };
        let l_ea = f.le32(ea_at)? as usize;
        let l_ad = f.le32(ea_at + 4)? as usize;
        let start = base.checked_add(l_ea).ok_or_else(|| {
            IsoError::invalid(
                "UDF file entry",
                offset,
                "extended attribute length overflows",
            )
        })?;
        let ad_bytes = f
            .bytes(start, l_ad)
            .map_err(|_| {
                IsoError::invalid(
                    "UDF file entry",
                    offset,
                    format!(
                        "{l_ea} bytes of extended attributes and {l_ad} of allocation \
                         descriptors do not fit in the {}-byte entry",
                        raw.len()
                    ),
                )
            })?
            .to_vec();
        let ea_bytes = f.bytes(base, l_ea)?.to_vec();
        Ok(Self {
            icb,
            uid: f.le32(36)?,
            gid: f.le32(40)?,
            perm: udf_perm(f.le32(44)?) | icb.special_bits,
            links: f.le16(48)?,
            size: f.le64(56)?,
            atime,
            mtime,
            ctime,
            crtime,
            ad_bytes,
            ad_offset: offset + start as u64,
            ea_bytes,
            ea_offset: offset + base as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_map_to_posix() {
        // owner rwx (bits 10-12), group r-x (5-7), other r-- (0-2); chattr/delete ignored.
        let p = (0b11111 << 10) | (0b00101 << 5) | 0b00100;
        assert_eq!(udf_perm(p), 0o754);
    }
}
