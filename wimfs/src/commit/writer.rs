//! Appending resources to a WIM: blobs compressed chunk by chunk on a pool of threads with our
//! own XPRESS/LZX/LZMS compressors, and whole buffers (metadata, blob table, XML, integrity
//! table).
//!
//! Every write is positional and goes through [`WimWriter::write_at`], which also hosts the
//! fault-injection hook of the crash tests (`fault.rs`, only with the `fault-injection` cargo
//! feature).

use std::collections::BTreeMap;
use std::fs::File;
use std::sync::mpsc::sync_channel;

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
}

/// Compresses one chunk; `None` means "store it raw".
fn compress_chunk(compression: Compression, chunk_size: u32, data: &[u8]) -> Option<Vec<u8>> {
    match compression {
        Compression::Xpress => compress::xpress::compress(data),
        Compression::Lzx => compress::lzx::compress(data, chunk_size as usize),
        Compression::Lzms => compress::lzms::compress(data),
        Compression::None => None,
    }
    .filter(|c| c.len() < data.len())
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
        }
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
        })
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
        let (job_tx, job_rx) = sync_channel::<(u64, Vec<u8>)>(self.threads * 4);
        let job_rx = std::sync::Arc::new(std::sync::Mutex::new(job_rx));
        let (res_tx, res_rx) = sync_channel::<WimResult<(u64, Vec<u8>, bool)>>(self.threads * 4);
        let mut headers = Vec::with_capacity(sources.len());
        std::thread::scope(|s| -> WimResult<()> {
            // Owned here so an early error return drops them, which unblocks every thread.
            let res_rx = res_rx;
            // Producer: reads chunks in order and numbers them.
            let prod_tx = res_tx.clone();
            s.spawn(move || {
                let mut seq = 0u64;
                for (size, read) in sources {
                    let mut off = 0u64;
                    while off < *size {
                        let len = (*size - off).min(cs) as usize;
                        let mut buf = vec![0u8; len];
                        let mut got = 0;
                        while got < len {
                            match read(off + got as u64, &mut buf[got..]) {
                                Ok(0) => break,
                                Ok(n) => got += n,
                                Err(e) => {
                                    let _ = prod_tx.send(Err(WimError::io(
                                        "reading staged data for the commit",
                                        e,
                                    )));
                                    return;
                                }
                            }
                        }
                        if got < len {
                            let _ = prod_tx.send(Err(WimError::Unsupported(
                                "a staged file shrank during the commit".into(),
                            )));
                            return;
                        }
                        if job_tx.send((seq, buf)).is_err() {
                            return;
                        }
                        seq += 1;
                        off += len as u64;
                    }
                }
            });
            // Workers: compress.
            for _ in 0..self.threads {
                let tx = res_tx.clone();
                let rx = std::sync::Arc::clone(&job_rx);
                s.spawn(move || loop {
                    let job = rx.lock().ok().and_then(|r| r.recv().ok());
                    let Some((seq, raw)) = job else { return };
                    let out = match compress_chunk(compression, chunk_size, &raw) {
                        Some(c) => (seq, c, true),
                        None => (seq, raw, false),
                    };
                    if tx.send(Ok(out)).is_err() {
                        return;
                    }
                });
            }
            drop(res_tx);
            drop(job_rx);
            // Writer: in sequence order.
            let mut pending: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
            let mut next = 0u64;
            let mut blob = 0usize;
            let mut chunk_in_blob = 0u64;
            let mut start = 0u64;
            let mut offsets: Vec<u64> = Vec::new();
            let total_chunks: u64 = sources.iter().map(|(sz, _)| sz.div_ceil(cs)).sum();
            // Skip leading empty sources.
            let skip_empty = |blob: &mut usize, headers: &mut Vec<ResourceHeader>, pos: u64| {
                while *blob < sources.len() && sources[*blob].0 == 0 {
                    headers.push(ResourceHeader {
                        size_in_wim: 0,
                        flags: 0,
                        offset_in_wim: pos,
                        uncompressed_size: 0,
                    });
                    *blob += 1;
                }
            };
            skip_empty(&mut blob, &mut headers, self.pos);
            while next < total_chunks {
                let msg = res_rx
                    .recv()
                    .map_err(|_| WimError::Unsupported("a compression worker stopped".into()))?;
                let (seq, data, _compressed) = msg?;
                pending.insert(seq, data);
                while let Some(data) = pending.remove(&next) {
                    let size = sources[blob].0;
                    let n = size.div_ceil(cs);
                    let entry = chunk_table::entry_size(size);
                    if chunk_in_blob == 0 {
                        start = self.pos;
                        self.pos += (n - 1) * entry;
                        offsets.clear();
                    }
                    if chunk_in_blob > 0 {
                        offsets.push(self.pos - (start + (n - 1) * entry));
                    }
                    self.write_at(self.pos, &data)?;
                    self.pos += data.len() as u64;
                    progress(data.len() as u64);
                    chunk_in_blob += 1;
                    next += 1;
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
                        skip_empty(&mut blob, &mut headers, self.pos);
                    }
                }
            }
            drop(res_rx);
            Ok(())
        })?;
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
