//! The write half of the WinFsp adapter: create, write, resize, attributes, rename and delete,
//! each a call of the [`Vfs`] write methods. A read-only mount never gets here: WinFsp refuses
//! writes on a read-only volume itself.

use std::ffi::OsStr;

use winfsp::U16CStr;

use super::{Handle, WinFspAdapter};
use crate::vfs::{FileKind, SetAttr, Vfs, VfsError, VfsResult};
use crate::winnt::info::XATTR_ATTRIBUTES;
use crate::winnt::names::{from_utf16, split_path, WinPath};
use crate::winnt::ops::{
    attributes_change, basic_info_change, size_change, write_range, CLEANUP_DELETE,
    FILE_DIRECTORY_FILE,
};
use crate::winnt::resolve::Resolved;

/// The last component of a path and the resolved directory holding it.
struct Target {
    parent: Resolved,
    name: Vec<u16>,
}

impl<V: Vfs> WinFspAdapter<V> {
    /// Splits `path` into its directory (resolved) and last name; no named streams.
    fn target(&self, path: &U16CStr) -> VfsResult<Target> {
        let WinPath {
            mut components,
            stream,
        } = split_path(path.as_slice())?;
        if stream.is_some() {
            return Err(VfsError::Unsupported(
                "creating or renaming named streams".into(),
            ));
        }
        let name = components
            .pop()
            .ok_or_else(|| VfsError::InvalidArgument("the root has no name".into()))?;
        let parent = self.resolver.resolve(&*self.vfs, &components)?;
        if parent.attr.kind != FileKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        Ok(Target { parent, name })
    }

    /// Stores FILE_ATTRIBUTE_* bits; a VFS that cannot keep them is not an error.
    fn store_attributes(&self, ino: u64, requested: u32) -> VfsResult<()> {
        let current = self.vfs.getattr(ino)?.dos_attributes;
        let Some(bits) = attributes_change(current, requested) else {
            return Ok(());
        };
        match self
            .vfs
            .setxattr(ino, OsStr::new(XATTR_ATTRIBUTES), &bits.to_le_bytes())
        {
            Err(VfsError::Unsupported(_)) | Err(VfsError::NoAttribute) => {
                tracing::debug!(ino, "file attributes {bits:#x} not kept");
                Ok(())
            }
            other => other,
        }
    }

    pub(super) fn create_file(
        &self,
        file_name: &U16CStr,
        create_options: u32,
        file_attributes: u32,
        extra_buffer: Option<&[u8]>,
    ) -> VfsResult<Handle> {
        if extra_buffer.is_some_and(|b| !b.is_empty()) {
            return Err(VfsError::Unsupported(
                "creating with extended attributes or a reparse point".into(),
            ));
        }
        let Target { parent, name } = self.target(file_name)?;
        // Windows names are case-insensitive: "FOO" exists if "foo" does.
        if self
            .resolver
            .lookup(&*self.vfs, parent.attr.ino, &name)
            .is_ok()
        {
            return Err(VfsError::Exists);
        }
        let os_name = from_utf16(&name);
        let directory = create_options & FILE_DIRECTORY_FILE != 0;
        let (attr, vfs_handle) = if directory {
            (self.vfs.mkdir(parent.attr.ino, &os_name, 0o755)?, None)
        } else {
            let (attr, info) = self.vfs.create(parent.attr.ino, &os_name, 0o644)?;
            (attr, Some(info.handle))
        };
        self.resolver.invalidate(parent.attr.ino);
        let handle = Handle {
            ino: attr.ino,
            kind: attr.kind,
            parent: parent.attr.ino,
            depth: parent.depth + 1,
            vfs_handle,
            stream: None,
            dir: directory.then(winfsp::filesystem::DirBuffer::new),
        };
        if let Err(e) = self.store_attributes(attr.ino, file_attributes) {
            self.release(&handle);
            return Err(e);
        }
        Ok(handle)
    }

    pub(super) fn overwrite_file(
        &self,
        handle: &Handle,
        file_attributes: u32,
        replace: bool,
    ) -> VfsResult<()> {
        let changes = SetAttr {
            size: Some(0),
            ..SetAttr::default()
        };
        self.vfs.setattr(handle.ino, &changes)?;
        let current = self.vfs.getattr(handle.ino)?.dos_attributes;
        let wanted = if replace {
            file_attributes
        } else {
            current | file_attributes
        };
        self.store_attributes(handle.ino, wanted)
    }

    pub(super) fn write_data(
        &self,
        handle: &Handle,
        data: &[u8],
        offset: u64,
        write_to_eof: bool,
        constrained_io: bool,
    ) -> VfsResult<usize> {
        let Some(h) = handle.vfs_handle else {
            return Err(VfsError::Unsupported("writing named streams".into()));
        };
        let size = self.vfs.getattr(handle.ino)?.size;
        let Some((offset, len)) =
            write_range(size, offset, data.len(), write_to_eof, constrained_io)
        else {
            return Ok(0);
        };
        let data = data.get(..len).unwrap_or(data);
        let mut done = 0usize;
        while done < data.len() {
            let n = self
                .vfs
                .write(handle.ino, h, offset + done as u64, &data[done..])?;
            if n == 0 {
                break;
            }
            done += n.min(data.len() - done);
        }
        Ok(done)
    }

    pub(super) fn resize(&self, handle: &Handle, new_size: u64, allocation: bool) -> VfsResult<()> {
        if handle.stream.is_some() {
            return Err(VfsError::Unsupported("resizing named streams".into()));
        }
        let current = self.vfs.getattr(handle.ino)?.size;
        if let Some(size) = size_change(current, new_size, allocation) {
            let changes = SetAttr {
                size: Some(size),
                ..SetAttr::default()
            };
            self.vfs.setattr(handle.ino, &changes)?;
        }
        Ok(())
    }

    pub(super) fn set_basic(
        &self,
        handle: &Handle,
        file_attributes: u32,
        last_access: u64,
        last_write: u64,
    ) -> VfsResult<()> {
        if let Some(changes) = basic_info_change(last_access, last_write) {
            self.vfs.setattr(handle.ino, &changes)?;
        }
        self.store_attributes(handle.ino, file_attributes)
    }

    /// SetDelete only checks that the file may go; cleanup deletes it (WinFsp's protocol).
    pub(super) fn check_delete(&self, handle: &Handle, delete: bool) -> VfsResult<()> {
        if !delete || handle.kind != FileKind::Directory {
            return Ok(());
        }
        let mut empty = true;
        self.vfs.readdir(handle.ino, 0, &mut |_, _| {
            empty = false;
            true
        })?;
        if empty {
            Ok(())
        } else {
            Err(VfsError::NotEmpty)
        }
    }

    pub(super) fn cleanup_file(&self, handle: &Handle, file_name: Option<&U16CStr>, flags: u32) {
        let Some(file_name) = file_name.filter(|_| flags & CLEANUP_DELETE != 0) else {
            return;
        };
        let result = self.target(file_name).and_then(|t| {
            let (stored, _) = self
                .resolver
                .lookup(&*self.vfs, t.parent.attr.ino, &t.name)?;
            self.resolver.invalidate(t.parent.attr.ino);
            if handle.kind == FileKind::Directory {
                self.vfs.rmdir(t.parent.attr.ino, &stored)
            } else {
                self.vfs.unlink(t.parent.attr.ino, &stored)
            }
        });
        if let Err(e) = result {
            tracing::warn!(ino = handle.ino, "delete on close failed: {e}");
        }
    }

    pub(super) fn rename_file(&self, from: &U16CStr, to: &U16CStr, replace: bool) -> VfsResult<()> {
        let old = self.target(from)?;
        let (old_name, old_attr) =
            self.resolver
                .lookup(&*self.vfs, old.parent.attr.ino, &old.name)?;
        let new = self.target(to)?;
        let new_name = from_utf16(&new.name);
        if let Ok((stored, existing)) =
            self.resolver
                .lookup(&*self.vfs, new.parent.attr.ino, &new.name)
        {
            // Renaming to another spelling of the same name changes only its case.
            if existing.ino != old_attr.ino {
                if !replace {
                    return Err(VfsError::Exists);
                }
                if stored != new_name {
                    // Replace the entry that differs in case, not add a second one.
                    self.vfs.unlink(new.parent.attr.ino, &stored)?;
                }
            }
        }
        self.resolver.invalidate(old.parent.attr.ino);
        self.resolver.invalidate(new.parent.attr.ino);
        self.vfs.rename(
            old.parent.attr.ino,
            &old_name,
            new.parent.attr.ino,
            &new_name,
            !replace,
        )
    }
}
