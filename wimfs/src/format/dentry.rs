//! Directory entries of a metadata resource (wimlib `struct wim_dentry_on_disk`, 102 bytes
//! plus names, tagged items and extra stream entries).
//!
//! Fixed part: length (u64; a length <= 8 ends a directory's list), attributes (u32), security
//! id (i32), subdirectory offset (u64), two unused u64, creation/access/write FILETIMEs,
//! main SHA-1, an unknown u32, then either {reparse tag u32, reserved u16, flags u16} for
//! reparse points or the hard-link group id (u64), extra stream count (u16), short name and
//! name byte lengths (u16 each). Names are UTF-16LE, each followed by a NUL when non-empty.
//! Bytes between the names and `length` hold tagged items (see [`super::tagged`]). After
//! `length` (padded to 8) come the extra stream entries: length (u64), reserved (u64), SHA-1,
//! name length (u16), name.

use std::ops::Range;

use super::blob_table::Sha1Hash;
use super::bytes::{align8, array, u16_at, u32_at, u64_at};
use crate::error::{WimError, WimResult};

/// Size of the fixed part of a dentry.
pub const DENTRY_FIXED_SIZE: usize = 102;
/// Size of the fixed part of an extra stream entry.
pub const STREAM_FIXED_SIZE: usize = 38;
/// FILE_ATTRIBUTE_DIRECTORY.
pub const ATTR_DIRECTORY: u32 = 0x10;
/// FILE_ATTRIBUTE_REPARSE_POINT.
pub const ATTR_REPARSE_POINT: u32 = 0x400;
/// FILE_ATTRIBUTE_ENCRYPTED.
pub const ATTR_ENCRYPTED: u32 = 0x4000;

/// One extra stream entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRecord {
    /// UTF-16 name; empty for an unnamed stream.
    pub name: Vec<u16>,
    /// SHA-1 of the contents (zero = empty stream).
    pub hash: Sha1Hash,
}

/// A parsed directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DentryRecord {
    /// Where the entry starts in the metadata resource.
    pub offset: u64,
    /// FILE_ATTRIBUTE_* bits.
    pub attributes: u32,
    /// Index into the security table, or negative for none.
    pub security_id: i32,
    /// Offset of the first child (0 = none).
    pub subdir_offset: u64,
    /// FILETIME of creation.
    pub creation_time: u64,
    /// FILETIME of last access.
    pub last_access_time: u64,
    /// FILETIME of last write.
    pub last_write_time: u64,
    /// The main stream hash.
    pub main_hash: Sha1Hash,
    /// Reparse tag (reparse points only).
    pub reparse_tag: u32,
    /// Reparse flags (bit 0: WIM_RP_FLAG_NOT_FIXED).
    pub rp_flags: u16,
    /// Hard-link group (0 = not hard linked; always 0 for reparse points).
    pub hard_link_group: u64,
    /// Long name in UTF-16.
    pub name: Vec<u16>,
    /// Short (8.3) name in UTF-16.
    pub short_name: Vec<u16>,
    /// Byte range of the tagged-items area in the metadata resource.
    pub tagged_items: Range<usize>,
    /// The extra stream entries.
    pub extra_streams: Vec<StreamRecord>,
    /// Offset of the next sibling.
    pub next_offset: u64,
}

impl DentryRecord {
    /// True if FILE_ATTRIBUTE_DIRECTORY is set.
    pub fn is_directory(&self) -> bool {
        self.attributes & ATTR_DIRECTORY != 0
    }
    /// True if FILE_ATTRIBUTE_REPARSE_POINT is set.
    pub fn is_reparse_point(&self) -> bool {
        self.attributes & ATTR_REPARSE_POINT != 0
    }
}

fn bad(offset: u64, detail: impl Into<String>) -> WimError {
    WimError::invalid("directory entry (metadata resource)", offset, detail)
}

/// Parses the dentry at `offset` of the decoded metadata resource `buf`. Returns `Ok(None)` for
/// an end-of-directory marker.
pub fn parse_dentry(buf: &[u8], offset: u64) -> WimResult<Option<DentryRecord>> {
    let start = usize::try_from(offset).map_err(|_| bad(offset, "offset out of range"))?;
    let raw_len = u64_at(buf, start).ok_or_else(|| {
        bad(
            offset,
            format!(
                "lies past the end of the {}-byte metadata resource",
                buf.len()
            ),
        )
    })?;
    let length = align8(raw_len).ok_or_else(|| bad(offset, "length overflows"))?;
    if length <= 8 {
        return Ok(None);
    }
    if length < DENTRY_FIXED_SIZE as u64 {
        return Err(bad(
            offset,
            format!("length {raw_len} is shorter than the 102-byte fixed part"),
        ));
    }
    let end = offset
        .checked_add(length)
        .filter(|&e| e <= buf.len() as u64)
        .ok_or_else(|| {
            bad(
                offset,
                format!("length {raw_len} runs past the end of the metadata resource"),
            )
        })?;
    let end = end as usize;
    let f = |rel: usize| start + rel;
    let trunc = || bad(offset, "truncated");
    let attributes = u32_at(buf, f(8)).ok_or_else(trunc)?;
    let reparse = attributes & ATTR_REPARSE_POINT != 0;
    let name_len = usize::from(u16_at(buf, f(100)).ok_or_else(trunc)?);
    let short_len = usize::from(u16_at(buf, f(98)).ok_or_else(trunc)?);
    if name_len % 2 != 0 || short_len % 2 != 0 {
        return Err(bad(
            offset,
            format!("odd UTF-16 name lengths {name_len}/{short_len}"),
        ));
    }
    let mut p = f(DENTRY_FIXED_SIZE);
    let mut take_name = |n: usize| -> WimResult<Vec<u16>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let stop = p + n + 2;
        if stop > end {
            return Err(bad(
                offset,
                format!("a {n}-byte name does not fit in the {length}-byte entry"),
            ));
        }
        let units = super::bytes::utf16le_units(&buf[p..p + n]);
        p = stop;
        Ok(units)
    };
    let name = take_name(name_len)?;
    let short_name = take_name(short_len)?;
    let tagged_start = align8(p as u64).map_or(end, |a| (a as usize).min(end));

    let stream_count = u16_at(buf, f(96)).ok_or_else(trunc)?;
    let mut extra_streams = Vec::with_capacity(usize::from(stream_count).min(64));
    let mut s = end;
    for i in 0..stream_count {
        let s_off = s as u64;
        let sbad = |d: String| {
            WimError::invalid(
                format!("extra stream entry {i} of the directory entry at {offset}"),
                s_off,
                d,
            )
        };
        let raw = u64_at(buf, s)
            .ok_or_else(|| sbad("lies past the end of the metadata resource".into()))?;
        let slen = align8(raw).ok_or_else(|| sbad("length overflows".into()))?;
        if slen < STREAM_FIXED_SIZE as u64
            || s_off.checked_add(slen).is_none_or(|e| e > buf.len() as u64)
        {
            return Err(sbad(format!("length {raw} is invalid")));
        }
        let nlen = usize::from(u16_at(buf, s + 36).ok_or_else(|| sbad("truncated".into()))?);
        if nlen % 2 != 0 || (STREAM_FIXED_SIZE + nlen) as u64 > slen {
            return Err(sbad(format!(
                "name length {nlen} does not fit in the {slen}-byte entry"
            )));
        }
        let name = super::bytes::utf16le_units(&buf[s + 38..s + 38 + nlen]);
        let hash = Sha1Hash(array(buf, s + 16).ok_or_else(|| sbad("truncated".into()))?);
        extra_streams.push(StreamRecord { name, hash });
        s += slen as usize;
    }

    Ok(Some(DentryRecord {
        offset,
        attributes,
        security_id: u32_at(buf, f(12)).ok_or_else(trunc)? as i32,
        subdir_offset: u64_at(buf, f(16)).ok_or_else(trunc)?,
        creation_time: u64_at(buf, f(40)).ok_or_else(trunc)?,
        last_access_time: u64_at(buf, f(48)).ok_or_else(trunc)?,
        last_write_time: u64_at(buf, f(56)).ok_or_else(trunc)?,
        main_hash: Sha1Hash(array(buf, f(64)).ok_or_else(trunc)?),
        reparse_tag: if reparse {
            u32_at(buf, f(88)).ok_or_else(trunc)?
        } else {
            0
        },
        rp_flags: if reparse {
            u16_at(buf, f(94)).ok_or_else(trunc)?
        } else {
            0
        },
        hard_link_group: if reparse {
            0
        } else {
            u64_at(buf, f(88)).ok_or_else(trunc)?
        },
        name,
        short_name,
        tagged_items: tagged_start..end,
        extra_streams,
        next_offset: s as u64,
    }))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds an on-disk dentry (test helper shared with the tree tests).
    pub fn build(
        name: &str,
        attributes: u32,
        subdir: u64,
        hash: [u8; 20],
        streams: &[(&str, [u8; 20])],
    ) -> Vec<u8> {
        let name16: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut d = vec![0u8; DENTRY_FIXED_SIZE];
        d[8..12].copy_from_slice(&attributes.to_le_bytes());
        d[12..16].copy_from_slice(&(-1i32).to_le_bytes());
        d[16..24].copy_from_slice(&subdir.to_le_bytes());
        d[64..84].copy_from_slice(&hash);
        d[96..98].copy_from_slice(&(streams.len() as u16).to_le_bytes());
        d[100..102].copy_from_slice(&(name16.len() as u16).to_le_bytes());
        if !name16.is_empty() {
            d.extend_from_slice(&name16);
            d.extend_from_slice(&[0, 0]);
        }
        while !d.len().is_multiple_of(8) {
            d.push(0);
        }
        let len = d.len() as u64;
        d[..8].copy_from_slice(&len.to_le_bytes());
        for (sname, shash) in streams {
            let n: Vec<u8> = sname.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let mut s = vec![0u8; STREAM_FIXED_SIZE];
            s[16..36].copy_from_slice(shash);
            s[36..38].copy_from_slice(&(n.len() as u16).to_le_bytes());
            s.extend_from_slice(&n);
            if !n.is_empty() {
                s.extend_from_slice(&[0, 0]);
            }
            while !s.len().is_multiple_of(8) {
                s.push(0);
            }
            let sl = s.len() as u64;
            s[..8].copy_from_slice(&sl.to_le_bytes());
            d.extend_from_slice(&s);
        }
        d
    }

    #[test]
    fn parses_names_and_streams() {
        let d = build("héllo", 0x20, 0, [5; 20], &[("ads", [6; 20])]);
        let r = parse_dentry(&d, 0).expect("valid").expect("not end");
        assert_eq!(String::from_utf16_lossy(&r.name), "héllo");
        assert_eq!(r.extra_streams.len(), 1);
        assert_eq!(r.extra_streams[0].hash, Sha1Hash([6; 20]));
        assert_eq!(r.next_offset, d.len() as u64);
    }

    #[test]
    fn end_marker_and_hostile_lengths() {
        assert!(parse_dentry(&[0u8; 8], 0).expect("valid").is_none());
        let mut d = build("a", 0x20, 0, [0; 20], &[]);
        d[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(parse_dentry(&d, 0).is_err());
        let mut d = build("a", 0x20, 0, [0; 20], &[]);
        d[100..102].copy_from_slice(&500u16.to_le_bytes());
        assert!(parse_dentry(&d, 0).is_err());
        let mut d = build("a", 0x20, 0, [0; 20], &[]);
        d[96..98].copy_from_slice(&3u16.to_le_bytes());
        assert!(parse_dentry(&d, 0).is_err());
        assert!(parse_dentry(&[1u8; 4], 0).is_err());
    }
}
