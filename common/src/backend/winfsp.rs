//! The WinFsp adapter: translates WinFsp's file system callbacks into [`Vfs`] calls and nothing
//! more. Compiled only on Windows with the `winfsp` feature.
//!
//! WinFsp speaks in `\`-separated UTF-16 paths; the adapter splits them, resolves them
//! case-insensitively and reads the Windows metadata a VFS serves as extended attributes, all
//! through [`crate::winnt`], which holds every decision that does not need WinFsp (and is
//! unit-tested on every host). Errors become NTSTATUS only through [`VfsError::ntstatus`].
//!
//! Windows sees the image as Windows stored it: the stored security descriptor
//! (`system.ntfs_acl`, a default one otherwise), FILE_ATTRIBUTE_* bits, reparse points
//! (`system.ntfs_reparse_data`, or a relative symlink made from a POSIX symlink), named
//! streams (`user.<name>` attributes, opened as `file:name`). The write half lives in
//! `winfsp_write.rs`, the file system host in `winfsp_host.rs`, and the tools' mount and
//! unmount (foreground, detached, by named event) in `winfsp_mount.rs`.

#[path = "winfsp_host.rs"]
mod host;
#[path = "winfsp_mount.rs"]
mod mount;
#[path = "winfsp_read.rs"]
mod read;
#[path = "winfsp_write.rs"]
mod write;

use std::ffi::c_void;
use std::sync::Arc;

use winfsp::filesystem::{
    DirBuffer, DirMarker, FileInfo, FileSecurity, FileSystemContext, OpenFileInfo, VolumeInfo,
};
use winfsp::{FspError, U16CStr};

pub use host::{WinFspOptions, WinFspSession};
pub use mount::{
    check_mountpoint, is_mounted, mount_path, run_mount, run_mount_with, unmount, MountSpec,
    WinFspUnmounter, REPORT_ENV,
};

use crate::vfs::{Attr, FileKind, Vfs, VfsError, VfsResult};
use crate::winnt::info::{nt_file_info, NtFileInfo};
use crate::winnt::names::{split_path, WinPath};
use crate::winnt::ops::FILE_WRITE_ACCESS;
use crate::winnt::reparse::reparse_tag;
use crate::winnt::resolve::{read_stream, reparse_data, security_descriptor, Resolved, Resolver};
use read::{copy_info, copy_out};

/// A [`Vfs`] seen through WinFsp.
pub struct WinFspAdapter<V: Vfs> {
    vfs: Arc<V>,
    resolver: Resolver,
    read_only: bool,
    label: String,
}

impl<V: Vfs> std::fmt::Debug for WinFspAdapter<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WinFspAdapter")
            .field("read_only", &self.read_only)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// An open file, directory or named stream (WinFsp's file context).
#[derive(Debug)]
pub struct Handle {
    ino: u64,
    kind: FileKind,
    /// The directory holding the file (for `..` in listings).
    parent: u64,
    /// Components between the root and the file.
    depth: usize,
    /// The VFS handle of an opened regular file.
    vfs_handle: Option<u64>,
    /// The contents of an opened named stream.
    stream: Option<Vec<u8>>,
    /// The listing of an opened directory.
    dir: Option<DirBuffer>,
}

/// Any error as WinFsp's error type, through the one NTSTATUS mapping.
pub(crate) fn fsp(e: VfsError) -> FspError {
    FspError::NTSTATUS(e.ntstatus())
}

impl<V: Vfs> WinFspAdapter<V> {
    /// Wraps `vfs`; `label` is the volume label Windows shows (32 characters at most).
    pub fn new(vfs: Arc<V>, label: String) -> Self {
        let read_only = vfs.read_only();
        Self {
            vfs,
            resolver: Resolver::new(read_only),
            read_only,
            label,
        }
    }

    fn resolve(&self, name: &U16CStr) -> VfsResult<(WinPath, Resolved)> {
        let path = split_path(name.as_slice())?;
        let resolved = self.resolver.resolve(&*self.vfs, &path.components)?;
        Ok((path, resolved))
    }

    /// The Windows view of an inode `depth` components below the root.
    fn nt_info(&self, attr: &Attr, depth: usize) -> VfsResult<NtFileInfo> {
        let rp = reparse_data(&*self.vfs, attr, depth.saturating_sub(1))?;
        Ok(nt_file_info(attr, rp.as_deref().and_then(reparse_tag)))
    }

    fn fill(&self, handle: &Handle, out: &mut FileInfo) -> VfsResult<()> {
        let attr = self.vfs.getattr(handle.ino)?;
        let mut nt = self.nt_info(&attr, handle.depth)?;
        if let Some(data) = &handle.stream {
            nt = nt.for_stream(data.len() as u64);
        }
        copy_info(&nt, out);
        Ok(())
    }

    fn open_resolved(&self, path: &WinPath, r: &Resolved, access: u32) -> VfsResult<Handle> {
        let mut handle = Handle {
            ino: r.attr.ino,
            kind: r.attr.kind,
            parent: r.parent,
            depth: r.depth,
            vfs_handle: None,
            stream: None,
            dir: None,
        };
        if let Some(stream) = &path.stream {
            handle.stream = Some(read_stream(&*self.vfs, r.attr.ino, stream)?);
            return Ok(handle);
        }
        match r.attr.kind {
            FileKind::Directory => handle.dir = Some(DirBuffer::new()),
            FileKind::File => {
                let write = !self.read_only && access & FILE_WRITE_ACCESS != 0;
                handle.vfs_handle = Some(self.vfs.open(r.attr.ino, write)?.handle);
            }
            // Opened as a reparse point (FILE_OPEN_REPARSE_POINT): metadata only.
            FileKind::Symlink => {}
            // Device nodes, FIFOs and sockets show as empty files: reads end at once.
            FileKind::CharDevice | FileKind::BlockDevice | FileKind::Fifo | FileKind::Socket => {}
        }
        Ok(handle)
    }

    fn release(&self, handle: &Handle) {
        if let Some(h) = handle.vfs_handle {
            if let Err(e) = self.vfs.release(handle.ino, h) {
                tracing::warn!(ino = handle.ino, "release failed: {e}");
            }
        }
    }
}

impl<V: Vfs> FileSystemContext for WinFspAdapter<V> {
    type FileContext = Handle;

    fn get_security_by_name(
        &self,
        file_name: &U16CStr,
        security_descriptor_buf: Option<&mut [c_void]>,
        reparse_point_resolver: impl FnOnce(&U16CStr) -> Option<FileSecurity>,
    ) -> winfsp::Result<FileSecurity> {
        let (path, r) = match self.resolve(file_name) {
            Ok(found) => found,
            Err(e @ (VfsError::NotFound | VfsError::NotADirectory)) => {
                // A link in the middle of the path: WinFsp answers STATUS_REPARSE.
                return reparse_point_resolver(file_name).ok_or_else(|| fsp(e));
            }
            Err(e) => return Err(fsp(e)),
        };
        if let Some(stream) = &path.stream {
            read_stream(&*self.vfs, r.attr.ino, stream).map_err(fsp)?;
        }
        let nt = self.nt_info(&r.attr, r.depth).map_err(fsp)?;
        let sd = security_descriptor(&*self.vfs, &r.attr).map_err(fsp)?;
        let size = self
            .copy_descriptor(sd, security_descriptor_buf, &r.attr)
            .map_err(fsp)?;
        Ok(FileSecurity {
            reparse: false,
            sz_security_descriptor: size,
            attributes: nt.attributes,
        })
    }

    fn open(
        &self,
        file_name: &U16CStr,
        _create_options: u32,
        granted_access: u32,
        file_info: &mut OpenFileInfo,
    ) -> winfsp::Result<Handle> {
        let (path, r) = self.resolve(file_name).map_err(fsp)?;
        let handle = self.open_resolved(&path, &r, granted_access).map_err(fsp)?;
        if let Err(e) = self.fill(&handle, file_info.as_mut()) {
            self.release(&handle);
            return Err(fsp(e));
        }
        let mut normalized = r.normalized;
        if let Some(stream) = &path.stream {
            normalized.push(u16::from(b':'));
            normalized.extend_from_slice(stream);
        }
        // Tell Windows the name as stored (we are case-insensitive), if it fits WinFsp's buffer.
        if normalized.len() * 2 < usize::from(file_info.normalized_name_size()) {
            file_info.set_normalized_name(&normalized, None);
        }
        Ok(handle)
    }

    fn close(&self, context: Handle) {
        self.release(&context);
    }

    fn get_file_info(&self, context: &Handle, file_info: &mut FileInfo) -> winfsp::Result<()> {
        self.fill(context, file_info).map_err(fsp)
    }

    fn get_security(
        &self,
        context: &Handle,
        security_descriptor_buf: Option<&mut [c_void]>,
    ) -> winfsp::Result<u64> {
        let attr = self.vfs.getattr(context.ino).map_err(fsp)?;
        let sd = security_descriptor(&*self.vfs, &attr).map_err(fsp)?;
        self.copy_descriptor(sd, security_descriptor_buf, &attr)
            .map_err(fsp)
    }

    fn read_directory(
        &self,
        context: &Handle,
        _pattern: Option<&U16CStr>,
        marker: DirMarker,
        buffer: &mut [u8],
    ) -> winfsp::Result<u32> {
        let Some(dir) = &context.dir else {
            return Err(fsp(VfsError::NotADirectory));
        };
        self.list(context, dir, marker.is_none())?;
        Ok(dir.read(marker, buffer))
    }

    fn read(&self, context: &Handle, buffer: &mut [u8], offset: u64) -> winfsp::Result<u32> {
        self.read_data(context, buffer, offset)
    }

    fn get_volume_info(&self, out_volume_info: &mut VolumeInfo) -> winfsp::Result<()> {
        let s = self.vfs.statfs();
        let block = u64::from(s.block_size);
        out_volume_info.total_size = s.blocks.saturating_mul(block);
        out_volume_info.free_size = s.free_blocks.saturating_mul(block);
        out_volume_info.set_volume_label(&self.label);
        Ok(())
    }

    fn get_stream_info(&self, context: &Handle, buffer: &mut [u8]) -> winfsp::Result<u32> {
        self.stream_info(context, buffer)
    }

    fn get_reparse_point_by_name(
        &self,
        file_name: &U16CStr,
        _is_directory: bool,
        buffer: &mut [u8],
    ) -> winfsp::Result<u64> {
        let (_, r) = self.resolve(file_name).map_err(fsp)?;
        let data = reparse_data(&*self.vfs, &r.attr, r.depth.saturating_sub(1)).map_err(fsp)?;
        copy_out(&data.ok_or(VfsError::NotASymlink).map_err(fsp)?, buffer).map_err(fsp)
    }

    fn get_reparse_point(
        &self,
        context: &Handle,
        _file_name: &U16CStr,
        buffer: &mut [u8],
    ) -> winfsp::Result<u64> {
        let attr = self.vfs.getattr(context.ino).map_err(fsp)?;
        let data = reparse_data(&*self.vfs, &attr, context.depth.saturating_sub(1)).map_err(fsp)?;
        copy_out(&data.ok_or(VfsError::NotASymlink).map_err(fsp)?, buffer).map_err(fsp)
    }

    // ---- the write half: see winfsp_write.rs ----

    fn create(
        &self,
        file_name: &U16CStr,
        create_options: u32,
        _granted_access: u32,
        file_attributes: u32,
        _security_descriptor: Option<&[c_void]>,
        _allocation_size: u64,
        extra_buffer: Option<&[u8]>,
        _extra_buffer_is_reparse_point: bool,
        file_info: &mut OpenFileInfo,
    ) -> winfsp::Result<Handle> {
        let handle = self
            .create_file(file_name, create_options, file_attributes, extra_buffer)
            .map_err(fsp)?;
        if let Err(e) = self.fill(&handle, file_info.as_mut()) {
            self.release(&handle);
            return Err(fsp(e));
        }
        Ok(handle)
    }

    fn cleanup(&self, context: &Handle, file_name: Option<&U16CStr>, flags: u32) {
        self.cleanup_file(context, file_name, flags);
    }

    fn flush(&self, context: Option<&Handle>, file_info: &mut FileInfo) -> winfsp::Result<()> {
        let Some(context) = context else {
            return Ok(()); // the whole volume: nothing is buffered here
        };
        if let Some(h) = context.vfs_handle {
            self.vfs.fsync(context.ino, h).map_err(fsp)?;
        }
        self.fill(context, file_info).map_err(fsp)
    }

    fn overwrite(
        &self,
        context: &Handle,
        file_attributes: u32,
        replace_file_attributes: bool,
        _allocation_size: u64,
        _extra_buffer: Option<&[u8]>,
        file_info: &mut FileInfo,
    ) -> winfsp::Result<()> {
        self.overwrite_file(context, file_attributes, replace_file_attributes)
            .and_then(|()| self.fill(context, file_info))
            .map_err(fsp)
    }

    fn rename(
        &self,
        _context: &Handle,
        file_name: &U16CStr,
        new_file_name: &U16CStr,
        replace_if_exists: bool,
    ) -> winfsp::Result<()> {
        self.rename_file(file_name, new_file_name, replace_if_exists)
            .map_err(fsp)
    }

    fn set_basic_info(
        &self,
        context: &Handle,
        file_attributes: u32,
        _creation_time: u64,
        last_access_time: u64,
        last_write_time: u64,
        _last_change_time: u64,
        file_info: &mut FileInfo,
    ) -> winfsp::Result<()> {
        self.set_basic(context, file_attributes, last_access_time, last_write_time)
            .and_then(|()| self.fill(context, file_info))
            .map_err(fsp)
    }

    fn set_delete(
        &self,
        context: &Handle,
        _file_name: &U16CStr,
        delete_file: bool,
    ) -> winfsp::Result<()> {
        self.check_delete(context, delete_file).map_err(fsp)
    }

    fn set_file_size(
        &self,
        context: &Handle,
        new_size: u64,
        set_allocation_size: bool,
        file_info: &mut FileInfo,
    ) -> winfsp::Result<()> {
        self.resize(context, new_size, set_allocation_size)
            .and_then(|()| self.fill(context, file_info))
            .map_err(fsp)
    }

    fn write(
        &self,
        context: &Handle,
        buffer: &[u8],
        offset: u64,
        write_to_eof: bool,
        constrained_io: bool,
        file_info: &mut FileInfo,
    ) -> winfsp::Result<u32> {
        let n = self
            .write_data(context, buffer, offset, write_to_eof, constrained_io)
            .map_err(fsp)?;
        self.fill(context, file_info).map_err(fsp)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}
