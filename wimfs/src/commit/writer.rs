//! Appending resources to a WIM: the writer, its positional writes, and what its resource
//! writers share (chunk compression, cutting sources into chunks). Blobs and whole buffers are
//! written by `blob_writer`, solid resources by `solid_writer`.
//!
//! Every write is positional and goes through [`WimWriter::write_at`], which also hosts the
//! fault-injection hook of the crash tests (`fault.rs`, only with the `fault-injection` cargo
//! feature).

use std::fs::File;

use super::chunk_pipeline::Emit;
use super::writeback::Writeback;
use crate::compress;
use crate::error::{WimError, WimResult};
use crate::format::header::Compression;
use crate::format::ResourceHeader;

/// Appends to an open WIM file.
#[derive(Debug)]
pub struct WimWriter<'a> {
    file: &'a File,
    /// Where the next resource starts.
    pub pos: u64,
    pub(super) compression: Compression,
    pub(super) chunk_size: u32,
    threads: usize,
    writeback: Writeback,
}

/// The LZX compressor's effort for commits: the fast one, whose output is ~1.2% larger than
/// wimlib's (a commit grows 1.015x wimlib's, target 1.02x) at ~1.25x its speed per core
/// (docs/benchmarks.md, "Commit into LZX ..."); `Effort::Normal` matches wimlib's ratio more
/// closely at about its speed.
const COMMIT_LZX_EFFORT: compress::lzx::Effort = compress::lzx::Effort::Fast;

/// The XPRESS compressor's effort for commits: the fast one, ~1.3% larger output than
/// wimlib's at ~1.19x its speed per core (docs/benchmarks.md, "XPRESS commit, session 5");
/// `Effort::Normal` matches wimlib's size at about its speed.
const COMMIT_XPRESS_EFFORT: compress::xpress::Effort = compress::xpress::Effort::Fast;

/// The LZMS compressor's effort for the chunks of non-solid resources (128 KiB in wimlib's
/// LZMS WIMs): the light one, a shallower search and delta matches only where the data uses
/// them, about 1.6x the speed of `Effort::Normal` (wimlib's speed per core) for output ~1.3%
/// larger (docs/benchmarks.md, "Session 7: XPRESS and LZMS commit speed"). Solid chunks (4-64
/// MiB, [`super::solid_writer`]) keep `Effort::Normal`: that commit meets its target already.
const COMMIT_LZMS_EFFORT: compress::lzms::Effort = compress::lzms::Effort::Light;

/// How a chunk is stored: the WIM's compression, its chunk size, and whether it is a chunk
/// of a solid resource.
#[derive(Debug, Clone, Copy)]
pub(super) struct ChunkFormat {
    pub(super) compression: Compression,
    pub(super) chunk_size: u32,
    pub(super) solid: bool,
}

/// Compresses one chunk; `None` means "store it raw".
pub(super) fn compress_chunk(format: ChunkFormat, data: &[u8]) -> Option<Vec<u8>> {
    let ChunkFormat {
        compression,
        chunk_size,
        solid,
    } = format;
    match compression {
        Compression::Xpress => compress::xpress::compress_with(data, COMMIT_XPRESS_EFFORT),
        Compression::Lzx => {
            compress::lzx::compress_with(data, chunk_size as usize, COMMIT_LZX_EFFORT)
        }
        Compression::Lzms if solid => compress::lzms::compress(data),
        Compression::Lzms => compress::lzms::compress_with_effort(data, COMMIT_LZMS_EFFORT),
        Compression::None => None,
    }
    .filter(|c| c.len() < data.len())
}

/// Cuts `sources`, one after the other, into chunks of `chunk_size` bytes (each source's last
/// chunk may be shorter); `emit` takes each.
pub(super) fn read_chunks(
    sources: &[BlobSource<'_>],
    chunk_size: u64,
    emit: &mut Emit<'_>,
) -> WimResult<()> {
    for (size, read) in sources {
        let mut off = 0u64;
        while off < *size {
            let len = (*size - off).min(chunk_size) as usize;
            let mut buf = vec![0u8; len];
            fill(read, off, &mut buf)?;
            if !emit(buf) {
                return Ok(());
            }
            off += len as u64;
        }
    }
    Ok(())
}

/// Reads `buf.len()` bytes at `off` of a source.
pub(super) fn fill(
    read: &(dyn Fn(u64, &mut [u8]) -> std::io::Result<usize> + Send + Sync + '_),
    off: u64,
    buf: &mut [u8],
) -> WimResult<()> {
    let mut got = 0;
    while got < buf.len() {
        match read(off + got as u64, &mut buf[got..]) {
            Ok(0) => {
                return Err(WimError::Unsupported(
                    "a staged file shrank during the commit".into(),
                ))
            }
            Ok(n) => got += n,
            Err(e) => return Err(WimError::io("reading staged data for the commit", e)),
        }
    }
    Ok(())
}

/// Records an empty resource for each empty source from `blob` on.
pub(super) fn skip_empty(
    sources: &[BlobSource<'_>],
    blob: &mut usize,
    headers: &mut Vec<ResourceHeader>,
    pos: u64,
) {
    while *blob < sources.len() && sources[*blob].0 == 0 {
        headers.push(ResourceHeader {
            size_in_wim: 0,
            flags: 0,
            offset_in_wim: pos,
            uncompressed_size: 0,
        });
        *blob += 1;
    }
}

/// A source of blob data: (size, reader at offset).
pub type BlobSource<'s> = (
    u64,
    Box<dyn Fn(u64, &mut [u8]) -> std::io::Result<usize> + Send + Sync + 's>,
);

impl<'a> WimWriter<'a> {
    /// Appends at `pos` of `file`, compressing like the WIM's header says.
    pub fn new(
        file: &'a File,
        pos: u64,
        compression: Compression,
        chunk_size: u32,
        threads: usize,
    ) -> Self {
        Self {
            file,
            pos,
            compression,
            chunk_size,
            threads: threads.max(1),
            writeback: Writeback::new(pos),
        }
    }

    /// How many compression threads it runs.
    pub(super) fn threads(&self) -> usize {
        self.threads
    }

    /// True when new blobs are compressed (not for uncompressed WIMs).
    pub(super) fn compresses(&self) -> bool {
        matches!(
            self.compression,
            Compression::Xpress | Compression::Lzx | Compression::Lzms
        )
    }

    /// One positional write (the fault-injection point).
    pub fn write_at(&self, offset: u64, data: &[u8]) -> WimResult<()> {
        #[cfg(feature = "fault-injection")]
        super::fault::before_write();
        common::io::write_all_at(self.file, offset, data).map_err(|e| {
            WimError::io(
                format!("writing {} bytes at offset {offset} of the WIM", data.len()),
                e,
            )
        })?;
        self.writeback
            .wrote_up_to(self.file, offset.saturating_add(data.len() as u64));
        Ok(())
    }
}
