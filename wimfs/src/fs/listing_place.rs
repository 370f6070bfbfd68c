//! Where files are listed, for reading ahead across files ([`common::files_ahead`]): the
//! position of an inode in its directory's listing ([`Vfs::readdir`](common::vfs::Vfs) lists a
//! directory's `children` in order), from a table of every inode's position built at the first
//! use (one pass over the tree; 4 bytes per inode) and checked against the tree at every use,
//! so that a tree changed since (read-write mounts) can never give a wrong answer, only a
//! slower one.

use common::vfs::ListedFile;

use super::WimFs;
use crate::tree::{ImageTree, NodeKind};

/// Marks an inode without a position (directories' own entries are not needed).
const NONE: u32 = u32::MAX;

impl WimFs {
    pub(super) fn do_listing_place(&self, ino: u64) -> Option<(u64, usize)> {
        let tree = self.tree.read();
        let inode = tree.inode(ino)?;
        if inode.kind != NodeKind::File {
            return None;
        }
        let dir = tree.inode(inode.parent)?;
        let positions = self.listing_positions.get_or_init(|| positions(&tree));
        let slot = usize::try_from(ino.checked_sub(1)?).ok()?;
        let known = positions
            .get(slot)
            .filter(|&&p| p != NONE)
            .map(|&p| p as usize)
            .filter(|&p| dir.children.get(p).is_some_and(|(_, c)| *c == ino));
        let index = known.or_else(|| dir.children.iter().position(|(_, c)| *c == ino))?;
        Some((inode.parent, index))
    }

    pub(super) fn do_listed_files(&self, dir: u64, from: usize, to: usize) -> Vec<ListedFile> {
        let tree = self.tree.read();
        let Some(dir) = tree.inode(dir) else {
            return Vec::new();
        };
        let end = to.min(dir.children.len());
        let Some(entries) = dir.children.get(from..end) else {
            return Vec::new();
        };
        entries
            .iter()
            .enumerate()
            .filter_map(|(k, (_, ino))| {
                let inode = tree.inode(*ino).filter(|i| i.kind == NodeKind::File)?;
                Some(ListedFile {
                    index: from + k,
                    ino: *ino,
                    size: inode.data.size(),
                })
            })
            .collect()
    }
}

/// Every file's position in its parent's listing (the directory of its first name, for a
/// hard-linked file), by inode number - 1.
fn positions(tree: &ImageTree) -> Vec<u32> {
    let mut table = vec![NONE; tree.inodes.len()];
    for (dir_ino, dir) in tree.live().filter(|(_, i)| i.kind == NodeKind::Directory) {
        for (p, (_, child)) in dir.children.iter().enumerate() {
            let Some(inode) = tree.inode(*child).filter(|i| i.parent == dir_ino) else {
                continue;
            };
            let slot = child.checked_sub(1).and_then(|s| usize::try_from(s).ok());
            if let (Some(entry), Ok(p)) = (slot.and_then(|s| table.get_mut(s)), u32::try_from(p)) {
                if inode.kind == NodeKind::File {
                    *entry = p;
                }
            }
        }
    }
    table
}
