//! The write half of a read-write mount, creating names: files, directories, symlinks and hard
//! links. Each builds a [`crate::change::Op`] and hands it to `WimFs::change` (`replay.rs`):
//! checked, journaled, applied to the tree under its lock. Unchanged files keep being read
//! lazily from the WIM. Removing and renaming are in `remove_rename.rs`, file data and
//! attributes in `write_data.rs`.

use std::ffi::OsStr;
use std::sync::atomic::Ordering;

use common::vfs::{Attr, OpenInfo, VfsError, VfsResult};

use super::mounted_image::{Handle, WimFs};
use crate::change::Op;
use crate::staging::Staging;

impl WimFs {
    /// The staging area, if this mount accepts writes now.
    pub(super) fn writable(&self) -> VfsResult<&Staging> {
        let staging = self.staging.as_ref().ok_or(VfsError::ReadOnly)?;
        if self.frozen.load(Ordering::SeqCst) {
            return Err(VfsError::Busy("a commit is in progress".into()));
        }
        Ok(staging)
    }

    /// Records that the image changed.
    pub(super) fn touched(&self) {
        self.dirty.store(true, Ordering::Relaxed);
    }

    pub(super) fn do_create(
        &self,
        parent: u64,
        name: &OsStr,
        perm: u16,
    ) -> VfsResult<(Attr, OpenInfo)> {
        let id = self.writable()?.create()?;
        let result = {
            let mut tree = self.tree.write();
            let ino = tree.next_ino();
            let op = Op::Create {
                parent,
                name: name.as_encoded_bytes().to_vec(),
                ino,
                perm,
                staged: id,
            };
            self.change(&mut tree, op).and_then(|_| {
                Ok((
                    ino,
                    self.attr_of(ino, tree.inode(ino).ok_or(VfsError::NotFound)?),
                ))
            })
        };
        let (ino, attr) = match result {
            Ok(r) => r,
            Err(e) => {
                if let Some(s) = &self.staging {
                    s.remove(id);
                }
                return Err(e);
            }
        };
        let handle = self.next_handle.fetch_add(1, Ordering::Relaxed);
        self.handles.lock().insert(
            handle,
            Handle {
                ino,
                write: true,
                seq: None,
            },
        );
        Ok((
            attr,
            OpenInfo {
                handle,
                immutable: false,
            },
        ))
    }

    /// Adds a new inode with `op` (built from the number it gets); returns its attributes.
    fn add_new(&self, op: impl FnOnce(u64) -> Op) -> VfsResult<Attr> {
        self.writable()?;
        let mut tree = self.tree.write();
        let ino = tree.next_ino();
        self.change(&mut tree, op(ino))?;
        let inode = tree.inode(ino).ok_or(VfsError::NotFound)?;
        Ok(self.attr_of(ino, inode))
    }

    pub(super) fn do_mkdir(&self, parent: u64, name: &OsStr, perm: u16) -> VfsResult<Attr> {
        self.add_new(|ino| Op::Mkdir {
            parent,
            name: name.as_encoded_bytes().to_vec(),
            ino,
            perm,
        })
    }

    pub(super) fn do_symlink(&self, parent: u64, name: &OsStr, target: &[u8]) -> VfsResult<Attr> {
        self.add_new(|ino| Op::Symlink {
            parent,
            name: name.as_encoded_bytes().to_vec(),
            ino,
            target: target.to_vec(),
        })
    }

    pub(super) fn do_link(&self, ino: u64, parent: u64, name: &OsStr) -> VfsResult<Attr> {
        self.writable()?;
        let mut tree = self.tree.write();
        let op = Op::Link {
            ino,
            parent,
            name: name.as_encoded_bytes().to_vec(),
        };
        self.change(&mut tree, op)?;
        let target = tree.inode(ino).ok_or(VfsError::NotFound)?;
        Ok(self.attr_of(ino, target))
    }
}
