//! Reading resources: uncompressed ones directly, compressed ones chunk by chunk through the
//! shared [`ChunkCache`], so a read decodes only the chunks it touches.
//!
//! A compressed (non-solid) resource starts with a chunk table of `n - 1` entries (u32, or u64
//! when the uncompressed size exceeds 4 GiB) giving the start of chunks 2..n relative to the end
//! of the table; chunk 1 starts right after it. Every chunk but the last decodes to the WIM's
//! chunk size; a chunk stored with its uncompressed size is raw (wimlib `resource.c`,
//! "chunk table" description; WIM paper section 2.4).

use std::sync::Arc;

use common::cache::{ChunkCache, ChunkKey};
use common::io::ReadAt;
use sha1::{Digest, Sha1};

use crate::compress;
use crate::error::{WimError, WimResult};
use crate::format::header::Compression;
use crate::format::{ResourceHeader, Sha1Hash};

/// The cache key of a resource's chunk table (chunk indices never reach it).
const CHUNK_TABLE_KEY: u64 = u64::MAX;
/// Uncompressed blobs up to this size are read whole (through the cache) and verified.
const SMALL_RAW_BLOB: u64 = 64 * 1024;

/// Where chunk data comes from: the WIM file, its compression, and the shared cache.
#[derive(Debug, Clone)]
pub struct ResourceContext {
    /// The WIM's bytes.
    pub source: Arc<dyn ReadAt>,
    /// Compression of compressed resources.
    pub compression: Compression,
    /// Uncompressed chunk size.
    pub chunk_size: u32,
    /// Shared decoded-chunk cache.
    pub cache: Arc<ChunkCache>,
}

/// One resource of the WIM, readable at any offset.
#[derive(Debug, Clone)]
pub struct Resource<'a> {
    ctx: &'a ResourceContext,
    hdr: ResourceHeader,
    /// Expected SHA-1 of the whole data, checked when a single chunk is the whole resource.
    hash: Option<Sha1Hash>,
}

fn io_err(what: String) -> impl FnOnce(std::io::Error) -> WimError {
    move |e| WimError::io(what, e)
}

impl<'a> Resource<'a> {
    /// A resource described by `hdr`; `hash`, when given, is verified where cheap.
    pub fn new(
        ctx: &'a ResourceContext,
        hdr: ResourceHeader,
        hash: Option<Sha1Hash>,
    ) -> WimResult<Self> {
        let end = hdr.end_in_wim().ok_or_else(|| {
            WimError::invalid(
                "resource header",
                hdr.offset_in_wim,
                "offset + size overflows",
            )
        })?;
        if end > ctx.source.len() {
            return Err(WimError::invalid(
                "resource",
                hdr.offset_in_wim,
                format!(
                    "{} bytes at offset {} run past the end of the file ({} bytes)",
                    hdr.size_in_wim,
                    hdr.offset_in_wim,
                    ctx.source.len()
                ),
            ));
        }
        if hdr.is_solid() {
            return Err(WimError::Unsupported(format!(
                "solid resource at byte {} (WIM version 0xE00 / ESD)",
                hdr.offset_in_wim
            )));
        }
        if !hdr.is_compressed() && hdr.size_in_wim != hdr.uncompressed_size {
            return Err(WimError::invalid(
                "resource",
                hdr.offset_in_wim,
                format!(
                    "uncompressed resource has size {} in the WIM but {} uncompressed",
                    hdr.size_in_wim, hdr.uncompressed_size
                ),
            ));
        }
        Ok(Self { ctx, hdr, hash })
    }

    /// True when every read checks the blob's SHA-1 by itself (the whole blob is one chunk or
    /// one small raw read); otherwise the caller verifies by hashing a sequential read-through.
    pub fn verified_on_decode(&self) -> bool {
        if self.hdr.is_compressed() {
            self.chunk_count() <= 1
        } else {
            self.hdr.uncompressed_size <= SMALL_RAW_BLOB
        }
    }

    /// The uncompressed size.
    pub fn len(&self) -> u64 {
        self.hdr.uncompressed_size
    }

    /// True if the resource holds no data.
    pub fn is_empty(&self) -> bool {
        self.hdr.uncompressed_size == 0
    }

    fn chunk_count(&self) -> u64 {
        self.hdr
            .uncompressed_size
            .div_ceil(u64::from(self.ctx.chunk_size))
    }

    fn entry_size(&self) -> u64 {
        if self.hdr.uncompressed_size > u64::from(u32::MAX) {
            8
        } else {
            4
        }
    }

    /// The chunk table, read once and kept in the cache.
    fn chunk_table(&self) -> WimResult<Arc<[u8]>> {
        let key = ChunkKey {
            source: self.hdr.offset_in_wim,
            chunk: CHUNK_TABLE_KEY,
        };
        self.ctx.cache.get_or_load(key, || {
            let n = self.chunk_count();
            let table_len = (n.saturating_sub(1))
                .checked_mul(self.entry_size())
                .filter(|&l| l <= self.hdr.size_in_wim)
                .ok_or_else(|| {
                    WimError::invalid(
                        "chunk table",
                        self.hdr.offset_in_wim,
                        format!(
                            "{n} chunks do not fit in a {}-byte resource",
                            self.hdr.size_in_wim
                        ),
                    )
                })?;
            let mut table = vec![0u8; table_len as usize];
            self.ctx
                .source
                .read_exact_at(self.hdr.offset_in_wim, &mut table)
                .map_err(io_err(format!(
                    "reading the chunk table at byte {}",
                    self.hdr.offset_in_wim
                )))?;
            Ok(Arc::from(table))
        })
    }

    /// The absolute byte range of compressed chunk `i` in the WIM.
    fn chunk_range(&self, table: &[u8], i: u64) -> WimResult<(u64, u64)> {
        let n = self.chunk_count();
        let es = self.entry_size() as usize;
        let table_end = self.hdr.offset_in_wim + table.len() as u64;
        let entry = |k: u64| -> u64 {
            let at = (k as usize) * es;
            if es == 8 {
                crate::format::bytes::u64_at(table, at).unwrap_or(u64::MAX)
            } else {
                crate::format::bytes::u32_at(table, at).map_or(u64::MAX, u64::from)
            }
        };
        let start = if i == 0 {
            Some(table_end)
        } else {
            table_end.checked_add(entry(i - 1))
        };
        let end = if i + 1 == n {
            self.hdr.end_in_wim()
        } else {
            table_end.checked_add(entry(i))
        };
        match (start, end) {
            (Some(s), Some(e)) if s <= e && e <= self.hdr.offset_in_wim + self.hdr.size_in_wim => {
                Ok((s, e))
            }
            _ => Err(WimError::invalid(
                "chunk table",
                self.hdr.offset_in_wim,
                format!("entry for chunk {i} of {n} points outside the resource"),
            )),
        }
    }

    /// Decodes chunk `i` (through the cache).
    pub fn chunk(&self, i: u64) -> WimResult<Arc<[u8]>> {
        let key = ChunkKey {
            source: self.hdr.offset_in_wim,
            chunk: i,
        };
        self.ctx.cache.get_or_load(key, || self.decode_chunk(i))
    }

    fn decode_chunk(&self, i: u64) -> WimResult<Arc<[u8]>> {
        let cs = u64::from(self.ctx.chunk_size);
        let out_len = (self.hdr.uncompressed_size - i * cs).min(cs) as usize;
        let table = self.chunk_table()?;
        let (start, end) = self.chunk_range(&table, i)?;
        let in_len = (end - start) as usize;
        if in_len > out_len {
            return Err(WimError::invalid(
                "chunk table",
                self.hdr.offset_in_wim,
                format!(
                    "chunk {i} is {in_len} bytes compressed, more than its {out_len} bytes of data"
                ),
            ));
        }
        let mut input = vec![0u8; in_len];
        self.ctx
            .source
            .read_exact_at(start, &mut input)
            .map_err(io_err(format!(
                "reading chunk {i} of the resource at byte {}",
                self.hdr.offset_in_wim
            )))?;
        let out = if in_len == out_len {
            input
        } else {
            let mut out = vec![0u8; out_len];
            let result = match self.ctx.compression {
                Compression::Xpress => compress::xpress::decompress(&input, &mut out),
                Compression::Lzx => {
                    compress::lzx::decompress(&input, &mut out, self.ctx.chunk_size as usize)
                }
                Compression::Lzms => {
                    return Err(WimError::Unsupported("LZMS-compressed resources".into()));
                }
                Compression::None => {
                    return Err(WimError::invalid(
                        "resource",
                        self.hdr.offset_in_wim,
                        "flagged compressed in a WIM whose header names no compression",
                    ));
                }
            };
            result.map_err(|e| WimError::Decompress {
                codec: self.ctx.compression.name(),
                offset: self.hdr.offset_in_wim,
                chunk: i,
                detail: e.to_string(),
            })?;
            out
        };
        if self.chunk_count() == 1 {
            self.verify(&out)?;
        }
        Ok(Arc::from(out))
    }

    fn verify(&self, data: &[u8]) -> WimResult<()> {
        match self.hash {
            Some(expected) => check_sha1(expected, data, self.hdr.offset_in_wim),
            None => Ok(()),
        }
    }

    /// Reads up to `buf.len()` bytes at `offset`; returns the count (short only at the end).
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> WimResult<usize> {
        let size = self.hdr.uncompressed_size;
        if offset >= size || buf.is_empty() {
            return Ok(0);
        }
        let want = buf.len().min((size - offset) as usize);
        if !self.hdr.is_compressed()
            && self.hdr.uncompressed_size <= SMALL_RAW_BLOB
            && self.hash.is_some()
        {
            let key = ChunkKey {
                source: self.hdr.offset_in_wim,
                chunk: 0,
            };
            let whole = self.ctx.cache.get_or_load(key, || {
                let mut data = vec![0u8; size as usize];
                self.ctx
                    .source
                    .read_exact_at(self.hdr.offset_in_wim, &mut data)
                    .map_err(io_err(format!(
                        "reading the resource at byte {}",
                        self.hdr.offset_in_wim
                    )))?;
                self.verify(&data)?;
                Ok::<_, WimError>(Arc::from(data))
            })?;
            let start = offset as usize;
            buf[..want].copy_from_slice(&whole[start..start + want]);
            return Ok(want);
        }
        if !self.hdr.is_compressed() {
            self.ctx
                .source
                .read_exact_at(self.hdr.offset_in_wim + offset, &mut buf[..want])
                .map_err(io_err(format!(
                    "reading the resource at byte {}",
                    self.hdr.offset_in_wim
                )))?;
            return Ok(want);
        }
        let cs = u64::from(self.ctx.chunk_size);
        let mut done = 0usize;
        while done < want {
            let pos = offset + done as u64;
            let chunk = self.chunk(pos / cs)?;
            let within = (pos % cs) as usize;
            let n = (want - done).min(chunk.len().saturating_sub(within));
            if n == 0 {
                return Err(WimError::invalid(
                    "resource",
                    self.hdr.offset_in_wim,
                    "a chunk decoded short",
                ));
            }
            buf[done..done + n].copy_from_slice(&chunk[within..within + n]);
            done += n;
        }
        Ok(want)
    }

    /// Reads and verifies the whole resource (metadata, blob table, XML). `limit` bounds the
    /// allocation.
    pub fn read_all(&self, limit: u64) -> WimResult<Vec<u8>> {
        let size = self.hdr.uncompressed_size;
        if size > limit {
            return Err(WimError::invalid(
                "resource",
                self.hdr.offset_in_wim,
                format!("{size} bytes exceed the {limit}-byte limit for this structure"),
            ));
        }
        let mut out = vec![0u8; size as usize];
        self.read_at(0, &mut out)?;
        self.verify(&out)?;
        Ok(out)
    }
}

/// Checks `data` against `expected`.
pub fn check_sha1(expected: Sha1Hash, data: &[u8], offset: u64) -> WimResult<()> {
    let actual = Sha1Hash(Sha1::digest(data).into());
    if actual == expected {
        Ok(())
    } else {
        Err(WimError::HashMismatch {
            sha1: expected.to_string(),
            actual: actual.to_string(),
            offset,
        })
    }
}
