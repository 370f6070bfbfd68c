//! An image's counts in the XML data (`DIRCOUNT`, `FILECOUNT`, `TOTALBYTES`, `HARDLINKBYTES`),
//! computed as wimlib computes them (observed with `wimlib-imagex capture` then `info`, and
//! described in wimlib's `xml.c`), so a commit writes what wimlib would: every name counts. Each
//! directory, the root included, adds one to `DIRCOUNT`; each name of anything else (a symlink
//! or junction too) one to `FILECOUNT`. `TOTALBYTES` is the size of every stream (data, reparse
//! data, named streams) of every name; `HARDLINKBYTES` is the part of it that the second and
//! later names of a file add.

use crate::inode::NodeKind;
use crate::tree::ImageTree;

/// The counts of one image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct ImageStats {
    /// `DIRCOUNT`.
    pub dirs: u64,
    /// `FILECOUNT`.
    pub files: u64,
    /// `TOTALBYTES`.
    pub total_bytes: u64,
    /// `HARDLINKBYTES`.
    pub hardlink_bytes: u64,
}

/// The counts of `tree`.
pub(super) fn image_stats(tree: &ImageTree) -> ImageStats {
    let mut s = ImageStats::default();
    for (_, inode) in tree.live() {
        // A directory has one name (its nlink counts its subdirectories' "..").
        let names = if inode.kind == NodeKind::Directory {
            s.dirs += 1;
            1
        } else {
            let n = u64::from(inode.nlink.max(1));
            s.files += n;
            n
        };
        let bytes = inode
            .streams()
            .fold(0u64, |sum, (_, c)| sum.saturating_add(c.size()));
        s.total_bytes = s.total_bytes.saturating_add(bytes.saturating_mul(names));
        s.hardlink_bytes = s
            .hardlink_bytes
            .saturating_add(bytes.saturating_mul(names - 1));
    }
    s
}
