//! Symlink targets: reading them from reparse data, and making reparse data for new symlinks
//! the way wimlib does (relative targets get SYMLINK_FLAG_RELATIVE; absolute ones the dummy
//! `\??\C:` prefix, marked "not fixed" so they read back exactly as written).

use std::sync::Arc;

use common::vfs::{VfsError, VfsResult};

use super::mounted_image::WimFs;
use crate::format::reparse::{parse_link, posix_target, RP_FLAG_NOT_FIXED};
use crate::inode::Inode;

/// Largest reparse buffer (the NTFS limit).
pub const MAX_REPARSE: u64 = 16 * 1024;

impl WimFs {
    /// The POSIX target of symlink `ino` (cached).
    pub(super) fn link_target(&self, ino: u64, inode: &Inode) -> VfsResult<Arc<[u8]>> {
        if let Some(t) = self.link_targets.lock().get(&ino) {
            return Ok(Arc::clone(t));
        }
        let rp = inode.reparse.as_ref().ok_or(VfsError::NotASymlink)?;
        let data = self.read_small(rp, MAX_REPARSE)?;
        let link = parse_link(inode.reparse_tag, &data).ok_or_else(|| {
            VfsError::Corrupt(format!("inode {ino}: malformed symlink reparse data"))
        })?;
        let fixed = inode.rp_flags & RP_FLAG_NOT_FIXED == 0;
        let target: Arc<[u8]> =
            Arc::from(posix_target(&link, fixed, self.opts.mount_root.as_deref()).into_bytes());
        self.link_targets.lock().insert(ino, Arc::clone(&target));
        Ok(target)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::reparse::TAG_SYMLINK;

    #[test]
    fn new_symlinks_read_back_as_written() {
        for t in ["../a/b", "/etc/passwd", "x\\y", "/", "rel"] {
            let (data, rp_flags) = symlink_reparse_data(t.as_bytes()).expect("valid");
            let link = parse_link(TAG_SYMLINK, &data).expect("parses");
            let fixed = rp_flags & RP_FLAG_NOT_FIXED == 0;
            assert_eq!(posix_target(&link, fixed, Some("/mnt")), t, "{t}");
        }
        assert!(symlink_reparse_data(b"\xff").is_err());
    }
}
