//! Symlink targets: reading them from reparse data (made for new symlinks by
//! `change/names.rs`).

use std::sync::Arc;

use common::vfs::{VfsError, VfsResult};

use super::mounted_image::WimFs;
use crate::format::reparse::{parse_link, posix_target, RP_FLAG_NOT_FIXED};
use crate::inode::Inode;

pub use crate::change::MAX_REPARSE;

impl WimFs {
    /// The POSIX target of symlink `ino` (cached).
    pub(super) fn link_target(&self, ino: u64, inode: &Inode) -> VfsResult<Arc<[u8]>> {
        if let Some(t) = self.link_targets.lock().get(&ino) {
            return Ok(Arc::clone(t));
        }
        let rp = inode
            .extras()
            .reparse
            .as_ref()
            .ok_or(VfsError::NotASymlink)?;
        let data = self.read_small(rp, MAX_REPARSE)?;
        let link = parse_link(inode.extras().reparse_tag, &data).ok_or_else(|| {
            VfsError::Corrupt(format!("inode {ino}: malformed symlink reparse data"))
        })?;
        let fixed = inode.extras().rp_flags & RP_FLAG_NOT_FIXED == 0;
        let target: Arc<[u8]> =
            Arc::from(posix_target(&link, fixed, self.opts.mount_root.as_deref()).into_bytes());
        self.link_targets.lock().insert(ino, Arc::clone(&target));
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::symlink_reparse_data;
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
