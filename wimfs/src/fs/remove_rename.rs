//! The write half of a read-write mount, removing and moving names: unlink, rmdir and rename,
//! and freeing an inode (with its staging files) when its last name and handle are gone.

use std::ffi::OsStr;

use common::vfs::{VfsError, VfsResult};

use super::attr::now_filetime;
use super::create::check_name;
use super::journal::Op;
use super::mounted_image::WimFs;
use crate::inode::{Content, NodeKind};
use crate::tree::ImageTree;

impl WimFs {
    /// Drops one name of `ino`; frees the inode when no name and no handle is left.
    pub(super) fn drop_name(&self, tree: &mut ImageTree, ino: u64) {
        let Some(inode) = tree.inode_mut(ino) else {
            return;
        };
        inode.nlink = inode.nlink.saturating_sub(1);
        let gone = inode.kind == NodeKind::Directory || inode.nlink == 0;
        if gone && !self.handles.lock().values().any(|h| h.ino == ino) {
            self.free_inode(tree, ino);
        }
    }

    /// Removes an inode and its staging files.
    pub(super) fn free_inode(&self, tree: &mut ImageTree, ino: u64) {
        let Some(slot) = ino
            .checked_sub(1)
            .and_then(|i| tree.inodes.get_mut(i as usize))
        else {
            return;
        };
        if let Some(inode) = slot.take() {
            if let Some(staging) = &self.staging {
                for c in
                    std::iter::once(&inode.data).chain(inode.named_streams.iter().map(|(_, c)| c))
                {
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

    fn remove_entry(&self, parent: u64, name: &OsStr, dir_wanted: bool) -> VfsResult<()> {
        self.writable()?;
        let mut tree = self.tree.write();
        let dir = tree.inode(parent).ok_or(VfsError::NotFound)?;
        if dir.kind != NodeKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        let pos = dir
            .child_pos(name.as_encoded_bytes())
            .map_err(|_| VfsError::NotFound)?;
        let ino = dir.children[pos].1;
        let victim = tree.inode(ino).ok_or(VfsError::NotFound)?;
        match (dir_wanted, victim.kind == NodeKind::Directory) {
            (true, false) => return Err(VfsError::NotADirectory),
            (false, true) => return Err(VfsError::IsADirectory),
            (true, true) if !victim.children.is_empty() => return Err(VfsError::NotEmpty),
            _ => {}
        }
        let is_dir = victim.kind == NodeKind::Directory;
        self.log(&Op::Remove {
            parent,
            name: name.as_encoded_bytes().to_vec(),
            dir: dir_wanted,
        })?;
        let dir = tree.inode_mut(parent).ok_or(VfsError::NotFound)?;
        dir.children.remove(pos);
        dir.times[2] = now_filetime();
        if is_dir {
            dir.nlink = dir.nlink.saturating_sub(1);
        }
        self.drop_name(&mut tree, ino);
        self.touched();
        Ok(())
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
        let new_name = check_name(new_name)?;
        let mut tree = self.tree.write();
        let src_dir = tree.inode(parent).ok_or(VfsError::NotFound)?;
        let ino = src_dir
            .child(name.as_encoded_bytes())
            .ok_or(VfsError::NotFound)?;
        let dst_dir = tree.inode(new_parent).ok_or(VfsError::NotFound)?;
        if dst_dir.kind != NodeKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        let existing = dst_dir.child(new_name.as_encoded_bytes());
        if existing == Some(ino) {
            return Ok(()); // same file (or another link to it): POSIX says do nothing
        }
        let src_is_dir = tree
            .inode(ino)
            .is_some_and(|i| i.kind == NodeKind::Directory);
        if let Some(old) = existing {
            if no_replace {
                return Err(VfsError::Exists);
            }
            let old_inode = tree.inode(old).ok_or(VfsError::NotFound)?;
            match (src_is_dir, old_inode.kind == NodeKind::Directory) {
                (true, false) => return Err(VfsError::NotADirectory),
                (false, true) => return Err(VfsError::IsADirectory),
                (true, true) if !old_inode.children.is_empty() => return Err(VfsError::NotEmpty),
                _ => {}
            }
        }
        if src_is_dir {
            // A directory cannot move below itself.
            let mut at = new_parent;
            for _ in 0..tree.inodes.len() {
                if at == ino {
                    return Err(VfsError::InvalidArgument(
                        "a directory cannot move into itself".into(),
                    ));
                }
                let up = tree.inode(at).map_or(1, |i| i.parent);
                if at == 1 || up == at {
                    break;
                }
                at = up;
            }
        }
        self.log(&Op::Rename {
            parent,
            name: name.as_encoded_bytes().to_vec(),
            new_parent,
            new_name: new_name.as_encoded_bytes().to_vec(),
            no_replace,
        })?;
        let now = now_filetime();
        if let Some(old) = existing {
            let d = tree.inode_mut(new_parent).ok_or(VfsError::NotFound)?;
            if let Ok(p) = d.child_pos(new_name.as_encoded_bytes()) {
                d.children.remove(p);
            }
            if src_is_dir {
                d.nlink = d.nlink.saturating_sub(1);
            }
            self.drop_name(&mut tree, old);
        }
        let s = tree.inode_mut(parent).ok_or(VfsError::NotFound)?;
        if let Ok(p) = s.child_pos(name.as_encoded_bytes()) {
            s.children.remove(p);
        }
        s.times[2] = now;
        if src_is_dir {
            s.nlink = s.nlink.saturating_sub(1);
        }
        let d = tree.inode_mut(new_parent).ok_or(VfsError::NotFound)?;
        let pos = d
            .child_pos(new_name.as_encoded_bytes())
            .unwrap_or_else(|p| p);
        d.children.insert(pos, (new_name, ino));
        d.times[2] = now;
        if src_is_dir {
            d.nlink = d.nlink.saturating_add(1);
        }
        if let Some(moved) = tree.inode_mut(ino) {
            if src_is_dir || moved.parent == parent {
                moved.parent = new_parent;
            }
        }
        self.touched();
        Ok(())
    }
}
