//! What a change may contain, checked the same way live and on replay: names a WIM can store,
//! settable stream (xattr) names, the UNIX type bits of new inodes, and the reparse data of a
//! new symlink, made the way wimlib does (relative targets get SYMLINK_FLAG_RELATIVE; absolute
//! ones the dummy `\??\C:` prefix, marked "not fixed" so they read back exactly as written).

use std::ffi::{OsStr, OsString};

use common::vfs::{is_safe_name, VfsError, VfsResult};

use crate::format::reparse::RP_FLAG_NOT_FIXED;
use crate::inode::NodeKind;

/// Largest reparse buffer (the NTFS limit).
pub const MAX_REPARSE: u64 = 16 * 1024;
/// Longest name NTFS (and so a WIM applied to it) allows, in UTF-16 units.
const MAX_NAME_UNITS: usize = 255;
/// File-type bits of the UNIX data's `st_mode` (Linux's values, which the format stores on
/// every host).
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// `name` if a WIM can store it as a file name.
pub fn check_name(name: &OsStr) -> VfsResult<OsString> {
    let bytes = name.as_encoded_bytes();
    if !is_safe_name(bytes) {
        return Err(VfsError::InvalidArgument(format!(
            "{name:?} cannot be a name"
        )));
    }
    let text = name.to_str().ok_or_else(|| {
        VfsError::InvalidArgument("names must be UTF-8 to be stored in a WIM".into())
    })?;
    if text.encode_utf16().count() > MAX_NAME_UNITS {
        return Err(VfsError::NameTooLong);
    }
    Ok(name.to_os_string())
}

/// The UNIX type bits of a node kind.
pub fn type_bits(kind: NodeKind) -> u32 {
    match kind {
        NodeKind::File => S_IFREG,
        NodeKind::Directory => S_IFDIR,
        NodeKind::Symlink => S_IFLNK,
    }
}

/// The UTF-16 stream name of a settable xattr name (`user.<stream>`).
pub fn stream_name(name: &OsStr) -> VfsResult<Vec<u16>> {
    let text = name
        .to_str()
        .ok_or_else(|| VfsError::InvalidArgument("xattr names must be UTF-8".into()))?;
    match text.strip_prefix("user.") {
        Some(s) if !s.is_empty() && !s.contains(':') => Ok(s.encode_utf16().collect()),
        _ => Err(VfsError::Unsupported(format!(
            "only user.<stream> xattrs (named data streams) can be set in a WIM, not {text:?}"
        ))),
    }
}

/// Reparse data (without the 8-byte header) and dentry rp_flags for a symlink to `target`.
pub fn symlink_reparse_data(target: &[u8]) -> VfsResult<(Vec<u8>, u16)> {
    let text = std::str::from_utf8(target).map_err(|_| {
        VfsError::InvalidArgument("symlink targets must be UTF-8 to be stored in a WIM".into())
    })?;
    let swapped: String = text
        .chars()
        .map(|c| match c {
            '/' => '\\',
            '\\' => '/',
            c => c,
        })
        .collect();
    let absolute = swapped.is_empty() || swapped.starts_with('\\');
    let (substitute, print, flags, rp_flags) = if absolute {
        (
            format!("\\??\\C:{swapped}"),
            format!("C:{swapped}"),
            0u32,
            RP_FLAG_NOT_FIXED,
        )
    } else {
        (swapped.clone(), swapped, 1u32, 0u16)
    };
    let sub: Vec<u8> = substitute
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let prn: Vec<u8> = print.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let too_long = || VfsError::NameTooLong;
    let sub_len = u16::try_from(sub.len()).map_err(|_| too_long())?;
    let prn_len = u16::try_from(prn.len()).map_err(|_| too_long())?;
    let prn_off = sub_len.checked_add(2).ok_or_else(too_long)?;
    let mut data = Vec::with_capacity(12 + sub.len() + prn.len() + 4);
    data.extend_from_slice(&0u16.to_le_bytes());
    data.extend_from_slice(&sub_len.to_le_bytes());
    data.extend_from_slice(&prn_off.to_le_bytes());
    data.extend_from_slice(&prn_len.to_le_bytes());
    data.extend_from_slice(&flags.to_le_bytes());
    data.extend_from_slice(&sub);
    data.extend_from_slice(&[0, 0]);
    data.extend_from_slice(&prn);
    data.extend_from_slice(&[0, 0]);
    if data.len() as u64 > MAX_REPARSE {
        return Err(too_long());
    }
    Ok((data, rp_flags))
}
