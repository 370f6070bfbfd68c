//! Appending resources to a WIM: blobs compressed chunk by chunk on a pool of threads with our
//! own XPRESS/LZX/LZMS compressors, and whole buffers (metadata, blob table, XML, integrity
//! table).
//!
//! Every write is positional and goes through [`WimWriter::write_at`], which also hosts the
//! fault-injection hook of the crash tests (`fault.rs`, only with the `fault-injection` cargo
//! feature).

use std::fs::File;

use super::chunk_pipeline::{compress_in_order, Emit};
use super::writeback::Writeback;
use crate::compress;
use crate::error::{WimError, WimResult};
use crate::format::chunk_table;
use crate::format::header::Compression;
use crate::format::reshdr::FLAG_COMPRESSED;
use crate::format::ResourceHeader;

/// Appends to an open WIM file.
#[derive(Debug)]
pub struct WimWriter<'a> {
    file: &'a File,
    /// Where the next resource starts.
    pub pos: u64,
    compression: Compression,
    chunk_size: u32,
    threads: usize,
    writeback: Writeback,
}

/// The LZX compressor's effort for commits: the fast one, whose output is ~1.2% larger than
/// wimlib's (a commit grows 1.015x wimlib's, target 1.02x) at ~1.25x its speed per core
/// (docs/benchmarks.md, "Commit into LZX ..."); `Effort::Normal` matches wimlib's ratio more
/// closely at about its speed.
const COMMIT_LZX_EFFORT: compress::lzx::Effort = compress::lzx::Effort::Fast;

/// Compresses one chunk; `None` means "store it raw".
pub(super) fn compress_chunk(
    compression: Compression,
    chunk_size: u32,
    data: &[u8],
) -> Option<Vec<u8>> {
    match compression {
        Compression::Xpress => compress::xpress::compress(data),
        Compression::Lzx => {
            compress::lzx::compress_with(data, chunk_size as usize, COMMIT_LZX_EFFORT)
        }
        Compression::Lzms => compress::lzms::compress(data),
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
fn skip_empty(
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
    fn compresses(&self) -> bool {
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

    /// Appends `data` as one resource (compressed when `compress` and the WIM compresses).
    pub fn write_buffer(
        &mut self,
        data: &[u8],
        flags: u8,
        compress: bool,
    ) -> WimResult<ResourceHeader> {
        let source: BlobSource<'_> = (
            data.len() as u64,
            Box::new(move |off, buf| {
                let start = off as usize;
                let n = buf.len().min(data.len().saturating_sub(start));
                buf[..n].copy_from_slice(&data[start..start + n]);
                Ok(n)
            }),
        );
        let mut out = self.write_blobs(&[source], compress, &mut |_| {})?;
        let mut hdr = out
            .pop()
            .ok_or_else(|| WimError::Unsupported("no resource written".into()))?;
        hdr.flags |= flags;
        Ok(hdr)
    }

    /// Appends each source as its own resource, in order; `progress(bytes)` after each chunk.
    pub fn write_blobs(
        &mut self,
        sources: &[BlobSource<'_>],
        compress: bool,
        progress: &mut dyn FnMut(u64),
    ) -> WimResult<Vec<ResourceHeader>> {
        if !(compress && self.compresses()) {
            return self.write_raw(sources, progress);
        }
        let cs = u64::from(self.chunk_size);
        let (compression, chunk_size) = (self.compression, self.chunk_size);
        let compressor = move |raw: &[u8]| compress_chunk(compression, chunk_size, raw);
        let mut headers = Vec::with_capacity(sources.len());
        // The sink's position: which blob, which of its chunks, and where its resource began.
        let mut blob = 0usize;
        let mut chunk_in_blob = 0u64;
        let mut start = self.pos;
        let mut offsets: Vec<u64> = Vec::new();
        skip_empty(sources, &mut blob, &mut headers, self.pos);
        let threads = self.threads;
        compress_in_order(
            threads,
            threads * 4,
            |emit| read_chunks(sources, cs, emit),
            &compressor,
            &mut |chunk| {
                let size = sources[blob].0;
                let n = size.div_ceil(cs);
                let entry = chunk_table::entry_size(size);
                if chunk_in_blob == 0 {
                    start = self.pos;
                    self.pos += (n - 1) * entry;
                    offsets.clear();
                } else {
                    offsets.push(self.pos - (start + (n - 1) * entry));
                }
                self.write_at(self.pos, &chunk.data)?;
                self.pos += chunk.data.len() as u64;
                progress(chunk.raw_len as u64);
                chunk_in_blob += 1;
                if chunk_in_blob == n {
                    let table = chunk_table::encode_offsets(&offsets, entry);
                    if !table.is_empty() {
                        self.write_at(start, &table)?;
                    }
                    headers.push(ResourceHeader {
                        size_in_wim: self.pos - start,
                        flags: FLAG_COMPRESSED,
                        offset_in_wim: start,
                        uncompressed_size: size,
                    });
                    blob += 1;
                    chunk_in_blob = 0;
                    skip_empty(sources, &mut blob, &mut headers, self.pos);
                }
                Ok(())
            },
        )?;
        Ok(headers)
    }

    fn write_raw(
        &mut self,
        sources: &[BlobSource<'_>],
        progress: &mut dyn FnMut(u64),
    ) -> WimResult<Vec<ResourceHeader>> {
        let mut headers = Vec::with_capacity(sources.len());
        let mut buf = vec![0u8; 1 << 20];
        for (size, read) in sources {
            let start = self.pos;
            let mut off = 0u64;
            while off < *size {
                let want = (*size - off).min(buf.len() as u64) as usize;
                let n = read(off, &mut buf[..want])
                    .map_err(|e| WimError::io("reading staged data for the commit", e))?;
                if n == 0 {
                    return Err(WimError::Unsupported(
                        "a staged file shrank during the commit".into(),
                    ));
                }
                self.write_at(self.pos, &buf[..n])?;
                self.pos += n as u64;
                off += n as u64;
                progress(n as u64);
            }
            headers.push(ResourceHeader {
                size_in_wim: *size,
                flags: 0,
                offset_in_wim: start,
                uncompressed_size: *size,
            });
        }
        Ok(headers)
    }
}
