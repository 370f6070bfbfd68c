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
use common::fields::Fields;

use super::bytes::{align8, u64_at};
use crate::error::{WimError, WimResult};

/// The structure names errors use.
const DENTRY: &str = "directory entry (metadata resource)";
const STREAM: &str = "extra stream entry (metadata resource)";

/// Size of the fixed part of a dentry.
pub const DENTRY_FIXED_SIZE: usize = 102;
/// Where a dentry's subdirectory offset (u64) is, from its start.
const SUBDIR_OFFSET: usize = 16;
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
    WimError::invalid(DENTRY, offset, detail)
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
    // The entry's bytes, for fields that name this dentry and its offset when out of range.
    let f = Fields::new(&buf[start..end], DENTRY, offset);
    let attributes = f.le32(8)?;
    let reparse = attributes & ATTR_REPARSE_POINT != 0;
    let name_len = usize::from(f.le16(100)?);
    let short_len = usize::from(f.le16(98)?);
    if name_len % 2 != 0 || short_len % 2 != 0 {
        return Err(bad(
            offset,
            format!("odd UTF-16 name lengths {name_len}/{short_len}"),
        ));
    }
    let mut p = start + DENTRY_FIXED_SIZE;
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

    let stream_count = f.le16(96)?;
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
        let e = Fields::new(&buf[s..s + slen as usize], STREAM, s_off);
        let nlen = usize::from(e.le16(36)?);
        if nlen % 2 != 0 || (STREAM_FIXED_SIZE + nlen) as u64 > slen {
            return Err(sbad(format!(
                "name length {nlen} does not fit in the {slen}-byte entry"
            )));
        }
        let name = super::bytes::utf16le_units(e.bytes(STREAM_FIXED_SIZE, nlen)?);
        let hash = Sha1Hash(e.array(16)?);
        extra_streams.push(StreamRecord { name, hash });
        s += slen as usize;
    }

    Ok(Some(DentryRecord {
        offset,
        attributes,
        security_id: f.le32(12)? as i32,
        subdir_offset: f.le64(16)?,
        creation_time: f.le64(40)?,
        last_access_time: f.le64(48)?,
        last_write_time: f.le64(56)?,
        main_hash: Sha1Hash(f.array(64)?),
        reparse_tag: if reparse { f.le32(88)? } else { 0 },
        rp_flags: if reparse { f.le16(94)? } else { 0 },
        hard_link_group: if reparse { 0 } else { f.le64(88)? },
        name,
        short_name,
        tagged_items: tagged_start..end,
        extra_streams,
        next_offset: s as u64,
    }))
}

/// Appends `rec` in its on-disk form (the inverse of [`parse_dentry`]): the fixed part, the
/// names (each NUL-terminated when non-empty), `tagged_items` (the bytes of the tagged-items
/// area, 8-aligned), then the extra stream entries. The reparse tag and flags are written for
/// reparse points, the hard-link group otherwise; `rec.offset`, `rec.tagged_items` and
/// `rec.next_offset` (positions in a parsed buffer) are ignored.
pub fn write_dentry(rec: &DentryRecord, tagged_items: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let mut d = [0u8; DENTRY_FIXED_SIZE];
    d[8..12].copy_from_slice(&rec.attributes.to_le_bytes());
    d[12..16].copy_from_slice(&rec.security_id.to_le_bytes());
    d[SUBDIR_OFFSET..SUBDIR_OFFSET + 8].copy_from_slice(&rec.subdir_offset.to_le_bytes());
    d[40..48].copy_from_slice(&rec.creation_time.to_le_bytes());
    d[48..56].copy_from_slice(&rec.last_access_time.to_le_bytes());
    d[56..64].copy_from_slice(&rec.last_write_time.to_le_bytes());
    d[64..84].copy_from_slice(&rec.main_hash.0);
    if rec.is_reparse_point() {
        d[88..92].copy_from_slice(&rec.reparse_tag.to_le_bytes());
        d[94..96].copy_from_slice(&rec.rp_flags.to_le_bytes());
    } else {
        d[88..96].copy_from_slice(&rec.hard_link_group.to_le_bytes());
    }
    d[96..98].copy_from_slice(&(rec.extra_streams.len() as u16).to_le_bytes());
    d[98..100].copy_from_slice(&((rec.short_name.len() * 2) as u16).to_le_bytes());
    d[100..102].copy_from_slice(&((rec.name.len() * 2) as u16).to_le_bytes());
    out.extend_from_slice(&d);
    put_name(out, &rec.name);
    put_name(out, &rec.short_name);
    pad8(out);
    out.extend_from_slice(tagged_items);
    pad8(out);
    let len = (out.len() - start) as u64;
    out[start..start + 8].copy_from_slice(&len.to_le_bytes());
    for s in &rec.extra_streams {
        let s_start = out.len();
        let mut e = [0u8; STREAM_FIXED_SIZE];
        e[16..36].copy_from_slice(&s.hash.0);
        e[36..38].copy_from_slice(&((s.name.len() * 2) as u16).to_le_bytes());
        out.extend_from_slice(&e);
        put_name(out, &s.name);
        pad8(out);
        let sl = (out.len() - s_start) as u64;
        out[s_start..s_start + 8].copy_from_slice(&sl.to_le_bytes());
    }
}

/// Sets the subdirectory offset of the dentry [`write_dentry`] wrote at `start` of `out` (for
/// writers that learn where a directory's children go only after writing its entry).
pub fn set_subdir_offset(out: &mut [u8], start: usize, subdir_offset: u64) {
    if let Some(field) = out.get_mut(start + SUBDIR_OFFSET..start + SUBDIR_OFFSET + 8) {
        field.copy_from_slice(&subdir_offset.to_le_bytes());
    }
}

/// A UTF-16LE name and its NUL terminator (nothing for an empty name).
fn put_name(out: &mut Vec<u8>, name: &[u16]) {
    if !name.is_empty() {
        out.extend(name.iter().flat_map(|u| u.to_le_bytes()));
        out.extend_from_slice(&[0, 0]);
    }
}

/// Zero bytes up to the next multiple of 8.
fn pad8(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
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
    fn round_trips_through_write_dentry() {
        let d = build(
            "héllo",
            0x20,
            4096,
            [5; 20],
            &[("", [7; 20]), ("ads", [6; 20])],
        );
        let r = parse_dentry(&d, 0).expect("valid").expect("not end");
        let mut again = Vec::new();
        write_dentry(&r, &d[r.tagged_items.clone()], &mut again);
        assert_eq!(again, d);
        let mut reparse = r.clone();
        reparse.attributes |= ATTR_REPARSE_POINT;
        reparse.reparse_tag = 0xA000_000C;
        reparse.rp_flags = 1;
        reparse.hard_link_group = 0;
        reparse.short_name = "HELLO~1".encode_utf16().collect();
        let mut bytes = Vec::new();
        write_dentry(&reparse, &[], &mut bytes);
        let back = parse_dentry(&bytes, 0).expect("valid").expect("not end");
        assert_eq!((back.reparse_tag, back.rp_flags), (0xA000_000C, 1));
        assert_eq!(back.short_name, reparse.short_name);
        assert_eq!(back.extra_streams, reparse.extra_streams);
    }

    #[test]
    fn errors_name_the_entry_offset() {
        let mut buf = vec![0u8; 16];
        buf.extend_from_slice(&build("a", 0x20, 0, [0; 20], &[("s", [1; 20])]));
        let len = buf.len();
        buf.truncate(len - 8); // the stream entry is cut short
        let e = parse_dentry(&buf, 16).expect_err("cut").to_string();
        assert!(e.contains("byte 16") || e.contains(" at 16"), "{e}");
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
