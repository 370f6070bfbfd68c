//! Appending resources one per source (MS-WIM 2.2.2 "Compressed resource": a chunk table, then
//! the chunks): blobs compressed chunk by chunk on the writer's threads, and whole buffers
//! (metadata, blob table, XML, integrity table). A list of blobs can end with a [`Tail`], a
//! resource whose bytes are known only once the blobs are read (the image's metadata, built
//! meanwhile on another thread); it goes through the same pipeline, so the compression
//! threads do not drain after the blobs and start again for it.

use std::sync::OnceLock;

use super::chunk_pipeline::compress_in_order;
use super::writer::{compress_chunk, read_chunks, skip_empty, BlobSource, ChunkFormat, WimWriter};
use crate::error::{WimError, WimResult};
use crate::format::chunk_table;
use crate::format::reshdr::FLAG_COMPRESSED;
use crate::format::ResourceHeader;

/// The last resource of a list: called (once, on the thread that reads the chunks) when the
/// blobs before it have been read.
pub type Tail<'t> = Box<dyn FnOnce() -> WimResult<Vec<u8>> + Send + 't>;

/// A resource as written: its header and its (uncompressed) bytes.
pub type BufferWritten = (ResourceHeader, Vec<u8>);

/// A source reading `data`.
fn buffer_source(data: &[u8]) -> BlobSource<'_> {
    (
        data.len() as u64,
        Box::new(move |off, buf| {
            let start = usize::try_from(off).unwrap_or(usize::MAX).min(data.len());
            let n = buf.len().min(data.len() - start);
            buf[..n].copy_from_slice(&data[start..start + n]);
            Ok(n)
        }),
    )
}

impl WimWriter<'_> {
    /// Appends `data` as one resource (compressed when `compress` and the WIM compresses).
    pub fn write_buffer(
        &mut self,
        data: &[u8],
        flags: u8,
        compress: bool,
    ) -> WimResult<ResourceHeader> {
        let mut out = self.write_blobs(&[buffer_source(data)], compress, &mut |_| {})?;
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
        Ok(self.write_blobs_then(sources, None, compress, progress)?.0)
    }

    /// [`Self::write_blobs`], then `tail` as one more resource right after them (compressed
    /// like them; no progress reported for it); returns the sources' headers and the tail's
    /// header and bytes.
    pub fn write_blobs_then(
        &mut self,
        sources: &[BlobSource<'_>],
        tail: Option<Tail<'_>>,
        compress: bool,
        progress: &mut dyn FnMut(u64),
    ) -> WimResult<(Vec<ResourceHeader>, Option<BufferWritten>)> {
        if !(compress && self.compresses()) {
            let headers = self.write_raw(sources, progress)?;
            let Some(tail) = tail else {
                return Ok((headers, None));
            };
            let data = tail()?;
            let hdr = self.write_raw(&[buffer_source(&data)], &mut |_| {})?.pop();
            let hdr = hdr.ok_or_else(|| WimError::Unsupported("no resource written".into()))?;
            return Ok((headers, Some((hdr, data))));
        }
        let cs = u64::from(self.chunk_size);
        let format = ChunkFormat {
            compression: self.compression,
            chunk_size: self.chunk_size,
            solid: false,
        };
        let compressor = move |raw: &[u8]| compress_chunk(format, raw);
        let has_tail = tail.is_some();
        // Set by the reading thread before the tail's first chunk is handed on.
        let tail_data: OnceLock<Vec<u8>> = OnceLock::new();
        let mut headers = Vec::with_capacity(sources.len());
        let mut tail_hdr = None;
        // The sink's position: which resource, which of its chunks, and where it began.
        let mut blob = 0usize;
        let mut chunk_in_blob = 0u64;
        let mut start = self.pos;
        let mut offsets: Vec<u64> = Vec::new();
        skip_empty(sources, &mut blob, &mut headers, self.pos);
        let threads = self.threads();
        compress_in_order(
            threads,
            threads * 4,
            |emit| {
                read_chunks(sources, cs, emit)?;
                if let Some(tail) = tail {
                    let bytes = tail()?;
                    let data = tail_data.get_or_init(|| bytes);
                    read_chunks(&[buffer_source(data)], cs, emit)?;
                }
                Ok(())
            },
            &compressor,
            &mut |chunk| {
                let is_tail = blob >= sources.len();
                let size = match sources.get(blob) {
                    Some(s) => s.0,
                    None => tail_data.get().map_or(0, |d| d.len() as u64),
                };
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
                if !is_tail {
                    progress(chunk.raw_len as u64);
                }
                chunk_in_blob += 1;
                if chunk_in_blob == n {
                    let table = chunk_table::encode_offsets(&offsets, entry);
                    if !table.is_empty() {
                        self.write_at(start, &table)?;
                    }
                    let hdr = ResourceHeader {
                        size_in_wim: self.pos - start,
                        flags: FLAG_COMPRESSED,
                        offset_in_wim: start,
                        uncompressed_size: size,
                    };
                    if is_tail {
                        tail_hdr = Some(hdr);
                    } else {
                        headers.push(hdr);
                    }
                    blob += 1;
                    chunk_in_blob = 0;
                    skip_empty(sources, &mut blob, &mut headers, self.pos);
                }
                Ok(())
            },
        )?;
        if !has_tail {
            return Ok((headers, None));
        }
        // An empty tail has no chunks: an empty resource here.
        let hdr = tail_hdr.unwrap_or(ResourceHeader {
            size_in_wim: 0,
            flags: 0,
            offset_in_wim: self.pos,
            uncompressed_size: 0,
        });
        Ok((
            headers,
            Some((hdr, tail_data.into_inner().unwrap_or_default())),
        ))
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
