//! The write half of a read-write mount, removing and moving names: unlink, rmdir and rename
//! (as [`crate::change::Op`]s), and freeing an inode (with its staging files) when its last
//! name and handle are gone.

use std::ffi::OsStr;

use common::vfs::VfsResult;

use super::mounted_image::WimFs;
use crate::change::Op;
use crate::inode::Content;
use crate::tree::ImageTree;

impl WimFs {
    /// Removes an inode and its staging files.
    pub(super) fn free_inode(&self, tree: &mut ImageTree, ino: u64) {
        if let Some(inode) = tree.take_inode(ino) {
            if let Some(staging) = &self.staging {
                for (_, c) in inode.streams() {
                    if let Content::Staged { id, .. } = c {
                        staging.remove(*id);
                    }
                }
            }
        }
        self.link_targets.lock().remove(&ino);
    }

    pub(super) fn do_unlink(&self, parent: u64, name: &OsStr) -> VfsResult<()> {
        self.remove_entry(parent, name, false)
    }

    pub(super) fn do_rmdir(&self, parent: u64, name: &OsStr) -> VfsResult<()> {
        self.remove_entry(parent, name, true)
    }

    fn remove_entry(&self, parent: u64, name: &OsStr, dir: bool) -> VfsResult<()> {
        self.writable()?;
        let mut tree = self.tree.write();
        let op = Op::Remove {
            parent,
            name: name.as_encoded_bytes().to_vec(),
            dir,
        };
        self.change(&mut tree, op).map(|_| ())
    }

    pub(super) fn do_rename(
        &self,
        parent: u64,
        name: &OsStr,
        new_parent: u64,
        new_name: &OsStr,
        no_replace: bool,
    ) -> VfsResult<()> {
        self.writable()?;
        let mut tree = self.tree.write();
        let op = Op::Rename {
            parent,
            name: name.as_encoded_bytes().to_vec(),
            new_parent,
            new_name: new_name.as_encoded_bytes().to_vec(),
            no_replace,
        };
        self.change(&mut tree, op).map(|_| ())
    }
}
