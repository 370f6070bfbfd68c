//! The read half's helpers of the WinFsp adapter: file information and security descriptor
//! copies, directory listings, reads of files and named streams, stream enumeration.

use std::ffi::c_void;

use winfsp::filesystem::{DirBuffer, DirBufferLock, DirInfo, FileInfo, StreamInfo, WideNameInfo};
use winfsp::FspError;

use super::{fsp, Handle, WinFspAdapter};
use crate::vfs::{Attr, FileKind, Vfs, VfsError, VfsResult, ROOT_INO};
use crate::winnt::info::{nt_file_info, NtFileInfo};
use crate::winnt::names::to_utf16;
use crate::winnt::resolve::named_streams;
use crate::winnt::security::fit_descriptor;
use crate::winnt::status::STATUS_END_OF_FILE;

/// Copies a file's Windows information into WinFsp's struct.
pub(super) fn copy_info(nt: &NtFileInfo, out: &mut FileInfo) {
    out.file_attributes = nt.attributes;
    out.reparse_tag = nt.reparse_tag;
    out.allocation_size = nt.allocation_size;
    out.file_size = nt.file_size;
    out.creation_time = nt.creation_time;
    out.last_access_time = nt.last_access_time;
    out.last_write_time = nt.last_write_time;
    out.change_time = nt.change_time;
    out.index_number = nt.index_number;
    out.hard_links = 0;
    out.ea_size = 0;
}

/// Copies `bytes` into a WinFsp output buffer; fails if it does not fit.
pub(super) fn copy_out(bytes: &[u8], out: &mut [u8]) -> VfsResult<u64> {
    let dest = out
        .get_mut(..bytes.len())
        .ok_or_else(|| VfsError::TooBig(format!("{} bytes for a smaller buffer", bytes.len())))?;
    dest.copy_from_slice(bytes);
    Ok(bytes.len() as u64)
}

impl<V: Vfs> WinFspAdapter<V> {
    /// Copies a security descriptor into WinFsp's buffer (if any); returns its size.
    pub(super) fn copy_descriptor(
        &self,
        sd: Vec<u8>,
        buf: Option<&mut [c_void]>,
        attr: &Attr,
    ) -> VfsResult<u64> {
        let Some(buf) = buf else {
            return Ok(sd.len() as u64);
        };
        // SAFETY: c_void is one byte; WinFsp hands a writable buffer of buf.len() bytes.
        let out =
            unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), buf.len()) };
        let directory = attr.kind == FileKind::Directory;
        let sd = fit_descriptor(sd, out.len(), directory, !self.read_only)
            .ok_or_else(|| VfsError::TooBig("security descriptor".into()))?;
        copy_out(&sd, out)
    }

    /// Adds one directory entry to a listing; entries that cannot be described are skipped.
    pub(super) fn add_entry(
        &self,
        lock: &DirBufferLock<'_>,
        name: &[u16],
        ino: u64,
        depth: usize,
    ) -> winfsp::Result<()> {
        let attr = match self.vfs.getattr(ino) {
            Ok(attr) => attr,
            Err(e) => {
                tracing::warn!(ino, "skipping a directory entry: {e}");
                return Ok(());
            }
        };
        let nt = self.nt_info(&attr, depth).unwrap_or_else(|e| {
            tracing::warn!(ino, "reparse data unreadable: {e}");
            nt_file_info(&attr, None)
        });
        let mut info: DirInfo = DirInfo::new();
        if info.set_name_raw(name).is_err() {
            tracing::warn!(ino, "skipping a name longer than 255 UTF-16 units");
            return Ok(());
        }
        copy_info(&nt, info.file_info_mut());
        lock.write(&mut info)
    }

    /// Fills the directory buffer (anew when `reset`, i.e. at the start of an enumeration).
    pub(super) fn list(
        &self,
        handle: &Handle,
        buffer: &DirBuffer,
        reset: bool,
    ) -> winfsp::Result<()> {
        let lock = match buffer.acquire(reset, None) {
            Ok(lock) => lock,
            Err(_) => return Ok(()), // already filled
        };
        if handle.ino != ROOT_INO {
            self.add_entry(&lock, &[u16::from(b'.')], handle.ino, handle.depth)?;
            let parent_depth = handle.depth.saturating_sub(1);
            self.add_entry(&lock, &[u16::from(b'.'); 2], handle.parent, parent_depth)?;
        }
        let mut entries = Vec::new();
        self.vfs
            .readdir(handle.ino, 0, &mut |_, entry| {
                entries.push((to_utf16(&entry.name), entry.ino));
                false
            })
            .map_err(fsp)?;
        for (name, ino) in entries {
            self.add_entry(&lock, &name, ino, handle.depth + 1)?;
        }
        Ok(())
    }

    /// A read of a file or of an open named stream (WinFsp wants END_OF_FILE at the end).
    pub(super) fn read_data(
        &self,
        context: &Handle,
        buffer: &mut [u8],
        offset: u64,
    ) -> winfsp::Result<u32> {
        let eof = || FspError::NTSTATUS(STATUS_END_OF_FILE);
        if let Some(data) = &context.stream {
            let start = usize::try_from(offset).ok().filter(|&s| s < data.len());
            let rest = data.get(start.ok_or_else(eof)?..).unwrap_or_default();
            let n = rest.len().min(buffer.len());
            buffer[..n].copy_from_slice(&rest[..n]);
            return Ok(n as u32);
        }
        let Some(h) = context.vfs_handle else {
            return Err(eof());
        };
        let mut done = 0usize;
        while done < buffer.len() {
            let at = offset.saturating_add(done as u64);
            let n = self
                .vfs
                .read(context.ino, h, at, &mut buffer[done..])
                .map_err(fsp)?;
            if n == 0 {
                break;
            }
            done += n.min(buffer.len() - done);
        }
        if done == 0 && !buffer.is_empty() {
            return Err(eof());
        }
        Ok(u32::try_from(done).unwrap_or(u32::MAX))
    }

    /// The unnamed data stream (files only) and the named streams, in WinFsp's format.
    pub(super) fn stream_info(&self, context: &Handle, buffer: &mut [u8]) -> winfsp::Result<u32> {
        let mut cursor = 0u32;
        let mut streams = Vec::new();
        if context.kind == FileKind::File {
            let size = self.vfs.getattr(context.ino).map_err(fsp)?.size;
            streams.push((Vec::new(), size)); // the unnamed data stream
        }
        streams.extend(named_streams(&*self.vfs, context.ino).map_err(fsp)?);
        for (name, size) in streams {
            let mut info: StreamInfo = StreamInfo::new();
            if info.set_name_raw(name.as_slice()).is_err() {
                continue;
            }
            info.stream_size = size;
            info.stream_alloc_size = size.div_ceil(4096).saturating_mul(4096);
            if !info.append_to_buffer(buffer, &mut cursor) {
                return Ok(cursor);
            }
        }
        StreamInfo::<255>::finalize_buffer(buffer, &mut cursor);
        Ok(cursor)
    }
}
