//! Tagged metadata items in the extra bytes of a dentry (wimlib `tagged_items.h`, `xattr.h`,
//! `unix_data.h`): each item is {tag u32, length u32, data}, padded to 8 bytes.
//!
//! Tags read here: object id (0x1), Windows-style xattrs (0x2: entries of value length u16,
//! name length u8, flags u8, NUL-terminated name, value, no padding), wimlib's UNIX data
//! (0x337DD873: uid, gid, mode, rdev as u32) and wimlib's older Linux xattrs (0x337DD874:
//! entries of name length u16, reserved u16, value length u32, name, value, padded to 4).

use super::bytes::{align8, u16_at, u32_at};

/// Object id item.
pub const TAG_OBJECT_ID: u32 = 0x1;
/// Extended attributes, the format DISM also uses.
pub const TAG_XATTRS: u32 = 0x2;
/// wimlib's UNIX owner/group/mode/rdev.
pub const TAG_UNIX_DATA: u32 = 0x337D_D873;
/// wimlib's deprecated Linux xattr format.
pub const TAG_LINUX_XATTRS_OLD: u32 = 0x337D_D874;

/// UNIX metadata stored by `wimlib-imagex capture --unix-data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnixData {
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Full st_mode (type and permission bits).
    pub mode: u32,
    /// Device number for device files.
    pub rdev: u32,
}

/// Everything the tagged items of one dentry say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaggedItems {
    /// UNIX data, if present.
    pub unix: Option<UnixData>,
    /// The object id bytes, if present.
    pub object_id: Option<Vec<u8>>,
    /// Extended attributes (name, value), in stored order.
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Parses the tagged-items area. Malformed trailing bytes end the parse silently, as they do in
/// wimlib (the area is optional extra data and older writers left garbage there).
pub fn parse_tagged_items(area: &[u8]) -> TaggedItems {
    let mut out = TaggedItems::default();
    let mut p = 0usize;
    while let (Some(tag), Some(len)) = (u32_at(area, p), u32_at(area, p + 4)) {
        let data_start = p + 8;
        let Some(data_end) = data_start
            .checked_add(len as usize)
            .filter(|&e| e <= area.len())
        else {
            break;
        };
        let data = &area[data_start..data_end];
        match tag {
            TAG_UNIX_DATA if data.len() >= 16 => {
                if let (Some(uid), Some(gid), Some(mode), Some(rdev)) = (
                    u32_at(data, 0),
                    u32_at(data, 4),
                    u32_at(data, 8),
                    u32_at(data, 12),
                ) {
                    out.unix = Some(UnixData {
                        uid,
                        gid,
                        mode,
                        rdev,
                    });
                }
            }
            TAG_OBJECT_ID if data.len() >= 16 => out.object_id = Some(data.to_vec()),
            TAG_XATTRS => parse_xattrs(data, &mut out.xattrs),
            TAG_LINUX_XATTRS_OLD => parse_old_xattrs(data, &mut out.xattrs),
            _ => {}
        }
        match align8(data_end as u64) {
            Some(next) if (next as usize) > p => p = next as usize,
            _ => break,
        }
    }
    out
}

fn parse_xattrs(data: &[u8], out: &mut Vec<(Vec<u8>, Vec<u8>)>) {
    let mut p = 0usize;
    while p + 4 <= data.len() {
        let (Some(value_len), Some(&name_len)) = (u16_at(data, p), data.get(p + 2)) else {
            return;
        };
        let name_start = p + 4;
        let name_end = name_start + usize::from(name_len);
        let value_start = name_end + 1; // the name's NUL
        let value_end = value_start + usize::from(value_len);
        if name_len == 0 || value_end > data.len() || data.get(name_end) != Some(&0) {
            return;
        }
        out.push((
            data[name_start..name_end].to_vec(),
            data[value_start..value_end].to_vec(),
        ));
        p = value_end;
    }
}

fn parse_old_xattrs(data: &[u8], out: &mut Vec<(Vec<u8>, Vec<u8>)>) {
    let mut p = 0usize;
    while p + 8 <= data.len() {
        let (Some(name_len), Some(value_len)) = (u16_at(data, p), u32_at(data, p + 4)) else {
            return;
        };
        let name_start = p + 8;
        let name_end = name_start + usize::from(name_len);
        let Some(value_end) = name_end.checked_add(value_len as usize) else {
            return;
        };
        if name_len == 0 || value_end > data.len() {
            return;
        }
        out.push((
            data[name_start..name_end].to_vec(),
            data[name_end..value_end].to_vec(),
        ));
        p = (value_end + 3) & !3;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(tag: u32, data: &[u8]) -> Vec<u8> {
        let mut v = tag.to_le_bytes().to_vec();
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        while !v.len().is_multiple_of(8) {
            v.push(0);
        }
        v
    }

    #[test]
    fn reads_unix_data_and_both_xattr_formats() {
        let mut area = item(
            TAG_UNIX_DATA,
            &[1, 0, 0, 0, 2, 0, 0, 0, 0xa4, 0x81, 0, 0, 0, 0, 0, 0],
        );
        let mut x = vec![3, 0, 6, 0];
        x.extend_from_slice(b"user.a\0abc");
        area.extend(item(TAG_XATTRS, &x));
        let mut o = vec![6, 0, 0, 0, 2, 0, 0, 0];
        o.extend_from_slice(b"user.bxy");
        area.extend(item(TAG_LINUX_XATTRS_OLD, &o));
        let t = parse_tagged_items(&area);
        assert_eq!(
            t.unix,
            Some(UnixData {
                uid: 1,
                gid: 2,
                mode: 0o100644,
                rdev: 0
            })
        );
        assert_eq!(
            t.xattrs,
            vec![
                (b"user.a".to_vec(), b"abc".to_vec()),
                (b"user.b".to_vec(), b"xy".to_vec())
            ]
        );
    }

    #[test]
    fn garbage_ends_the_parse() {
        let mut area = item(TAG_UNIX_DATA, &[0; 16]);
        area.extend_from_slice(&[0xff; 12]);
        assert!(parse_tagged_items(&area).unix.is_some());
        assert_eq!(parse_tagged_items(&[0xff; 3]), TaggedItems::default());
    }
}
