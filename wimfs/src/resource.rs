//! Reading blobs: uncompressed resources directly, compressed ones chunk by chunk through the
//! shared [`ChunkCache`], so a read decodes only the chunks it touches.
//!
//! Two chunk layouts exist (wimlib `resource.c`; WIM paper section 2.4):
//! - a compressed resource starts with a table of `n - 1` chunk offsets (u32, or u64 when the
//!   uncompressed size exceeds 4 GiB) relative to the end of the table; chunk 1 starts right
//!   after it; every chunk but the last decodes to the WIM's chunk size;
//! - a solid resource starts with a 16-byte header {uncompressed size u64, chunk size u32,
//!   compression u32 (0 none, 1 XPRESS, 2 LZX, 3 LZMS)} and a table of `n` u32 compressed chunk
//!   sizes; many blobs live at offsets inside its uncompressed data.
//!
//! A chunk stored with its uncompressed size is raw.

use std::sync::Arc;

use common::cache::{ChunkCache, ChunkKey, SourceId};
use common::io::ReadAt;
use sha1::{Digest, Sha1};

use crate::blob_index::{BlobInfo, BlobLocation, SolidResource};
use crate::error::{WimError, WimResult};
use crate::format::bytes::u64_at;
use crate::format::chunk_table::ChunkTable;
use crate::format::header::Compression;
pub use crate::format::solid_header::SOLID_HEADER_SIZE;
use crate::format::solid_header::{SolidHeader, MAX_SOLID_CHUNK};
use crate::format::{ResourceHeader, Sha1Hash};

mod codec;
mod solid_spill;

use codec::decode;

/// The cache key of a resource's chunk table (chunk indices never reach it).
const CHUNK_TABLE_KEY: u64 = u64::MAX;
/// Uncompressed blobs up to this size are read whole (through the cache) and verified.
const SMALL_RAW_BLOB: u64 = 64 * 1024;
/// Largest chunk we will allocate for (solid LZMS resources use up to 64 MiB).
const MAX_CHUNK: u32 = MAX_SOLID_CHUNK;

/// One part of a WIM: its bytes, default compression and chunk size, and the shared cache.
#[derive(Debug, Clone)]
pub struct ResourceContext {
    /// The part's bytes.
    pub source: Arc<dyn ReadAt>,
    /// Compression of its (non-solid) compressed resources.
    pub compression: Compression,
    /// Their chunk size.
    pub chunk_size: u32,
    /// Shared decoded-chunk cache.
    pub cache: Arc<ChunkCache>,
    /// This opened part's identity in the cache: resource offsets repeat across parts and
    /// across the WIMs sharing one cache, so every key carries it.
    pub source_id: SourceId,
}

impl ResourceContext {
    /// The cache key of chunk `chunk` of the resource at `resource_offset` in this part.
    fn key(&self, resource_offset: u64, chunk: u64) -> ChunkKey {
        ChunkKey {
            source: self.source_id,
            resource: resource_offset,
            chunk,
        }
    }
}

fn io_err(what: String) -> impl FnOnce(std::io::Error) -> WimError {
    move |e| WimError::io(what, e)
}

fn check_in_file(ctx: &ResourceContext, hdr: &ResourceHeader) -> WimResult<u64> {
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
                "{} bytes run past the end of the file ({} bytes)",
                hdr.size_in_wim,
                ctx.source.len()
            ),
        ));
    }
    Ok(end)
}

/// A chunked (compressed or solid) resource.
#[derive(Debug, Clone, Copy)]
struct Chunked {
    hdr: ResourceHeader,
    uncompressed_size: u64,
    chunk_size: u32,
    compression: Compression,
    solid: bool,
}

impl Chunked {
    fn chunk_count(&self) -> u64 {
        self.uncompressed_size.div_ceil(u64::from(self.chunk_size))
    }

    /// Chunk start offsets (absolute, `n + 1` values: the last is the end), as LE u64 bytes.
    fn load_starts(&self, ctx: &ResourceContext) -> WimResult<Vec<u8>> {
        let table = ChunkTable::locate(
            self.hdr.offset_in_wim,
            self.hdr.size_in_wim,
            self.uncompressed_size,
            self.chunk_count(),
            self.solid,
        )?;
        let mut bytes = vec![0u8; table.byte_len() as usize];
        ctx.source
            .read_exact_at(table.at, &mut bytes)
            .map_err(io_err(format!(
                "reading the chunk table at byte {}",
                self.hdr.offset_in_wim
            )))?;
        table.starts(&bytes)
    }

    fn chunk(&self, ctx: &ResourceContext, i: u64) -> WimResult<Arc<[u8]>> {
        ctx.cache
            .get_or_load(ctx.key(self.hdr.offset_in_wim, i), || {
                self.decode_chunk(ctx, i)
            })
    }

    /// The uncompressed length of chunk `i`.
    fn chunk_len(&self, i: u64) -> u64 {
        let cs = u64::from(self.chunk_size);
        self.uncompressed_size
            .saturating_sub(i.saturating_mul(cs))
            .min(cs)
    }

    /// Reads and decodes chunk `i` (no caching).
    fn decode_chunk(&self, ctx: &ResourceContext, i: u64) -> WimResult<Arc<[u8]>> {
        // The output is allocated as the shared buffer itself: `Arc::from(Vec)` would copy it,
        // holding a 64 MiB solid chunk twice at the peak.
        let mut shared: Arc<[u8]> = std::iter::repeat_n(0u8, self.chunk_len(i) as usize).collect();
        let out = Arc::get_mut(&mut shared).ok_or_else(|| {
            WimError::io(
                format!("decoding chunk {i}"),
                std::io::Error::other("decode buffer shared"),
            )
        })?;
        self.decode_chunk_into(ctx, i, out)?;
        Ok(shared)
    }

    /// Where chunk `i` is stored, for a buffer of `buf_len` bytes that must hold exactly its
    /// uncompressed length: (its offset in the source, its stored length); a stored length
    /// equal to `buf_len` means stored raw.
    fn chunk_span(&self, ctx: &ResourceContext, i: u64, buf_len: usize) -> WimResult<(u64, usize)> {
        let at = self.hdr.offset_in_wim;
        let starts = ctx.cache.get_or_load(ctx.key(at, CHUNK_TABLE_KEY), || {
            self.load_starts(ctx).map(Arc::from)
        })?;
        let (Some(start), Some(end)) = (
            u64_at(&starts, (i * 8) as usize),
            u64_at(&starts, (i * 8 + 8) as usize),
        ) else {
            return Err(WimError::invalid(
                "chunk table",
                at,
                format!("no chunk {i}"),
            ));
        };
        let out_len = self.chunk_len(i) as usize;
        let in_len = (end - start) as usize;
        if in_len > out_len {
            return Err(WimError::invalid(
                "chunk table",
                at,
                format!(
                    "chunk {i} is {in_len} bytes compressed, more than its {out_len} bytes of data"
                ),
            ));
        }
        if buf_len != out_len {
            return Err((self.read_error(i))(std::io::Error::other(format!(
                "a {buf_len} byte buffer for {out_len} bytes"
            ))));
        }
        Ok((start, in_len))
    }

    /// Reads and decodes chunk `i` into `out`, which holds exactly its uncompressed length.
    fn decode_chunk_into(&self, ctx: &ResourceContext, i: u64, out: &mut [u8]) -> WimResult<()> {
        let (start, in_len) = self.chunk_span(ctx, i, out.len())?;
        if in_len == out.len() {
            return ctx
                .source
                .read_exact_at(start, out)
                .map_err(self.read_error(i));
        }
        let mut input = vec![0u8; in_len];
        ctx.source
            .read_exact_at(start, &mut input)
            .map_err(self.read_error(i))?;
        decode(self.compression, &input, out, self.chunk_size).map_err(|e| self.decode_error(i, e))
    }
}

/// A readable blob.
#[derive(Debug, Clone)]
pub struct BlobReader<'a> {
    ctx: &'a ResourceContext,
    /// None: stored raw at `base` in the file.
    chunked: Option<Chunked>,
    /// Offset of the blob: in the file (raw) or in the chunked resource's data.
    base: u64,
    size: u64,
    hash: Option<Sha1Hash>,
}

impl<'a> BlobReader<'a> {
    /// A reader for a standalone resource (blob table, XML, metadata, or a blob).
    pub fn resource(
        ctx: &'a ResourceContext,
        hdr: ResourceHeader,
        hash: Option<Sha1Hash>,
    ) -> WimResult<Self> {
        check_in_file(ctx, &hdr)?;
        if hdr.is_solid() {
            return Err(WimError::invalid(
                "resource",
                hdr.offset_in_wim,
                "a solid resource where a standalone one was expected",
            ));
        }
        let chunked = if hdr.is_compressed() {
            Some(Chunked {
                hdr,
                uncompressed_size: hdr.uncompressed_size,
                chunk_size: ctx.chunk_size,
                compression: ctx.compression,
                solid: false,
            })
        } else {
            if hdr.size_in_wim != hdr.uncompressed_size {
                return Err(WimError::invalid(
                    "resource",
                    hdr.offset_in_wim,
                    format!(
                        "uncompressed resource has size {} in the WIM but {} uncompressed",
                        hdr.size_in_wim, hdr.uncompressed_size
                    ),
                ));
            }
            None
        };
        let base = if chunked.is_some() {
            0
        } else {
            hdr.offset_in_wim
        };
        Ok(Self {
            ctx,
            chunked,
            base,
            size: hdr.uncompressed_size,
            hash,
        })
    }

    /// A reader for `blob`, which may live in one of `solid`'s resources; `ctx` is its part.
    pub fn blob(
        ctx: &'a ResourceContext,
        blob: &BlobInfo,
        solid: &[SolidResource],
    ) -> WimResult<Self> {
        match blob.location {
            BlobLocation::Resource(hdr) => Self::resource(ctx, hdr, Some(blob.hash)),
            BlobLocation::Solid { resource, offset } => {
                let res = solid.get(resource).ok_or_else(|| {
                    WimError::invalid("blob table", 0, "bad solid resource index")
                })?;
                check_in_file(ctx, &res.reshdr)?;
                Ok(Self {
                    ctx,
                    chunked: Some(Chunked {
                        hdr: res.reshdr,
                        uncompressed_size: res.uncompressed_size,
                        chunk_size: res.chunk_size,
                        compression: res.compression,
                        solid: true,
                    }),
                    base: offset,
                    size: blob.size,
                    hash: Some(blob.hash),
                })
            }
        }
    }

    /// True when every read checks the blob's SHA-1 by itself (the blob is exactly one chunk
    /// or a small raw read); otherwise the caller verifies by hashing a sequential read-through.
    pub fn verified_on_decode(&self) -> bool {
        match &self.chunked {
            Some(c) => !c.solid && c.chunk_count() <= 1,
            None => self.size <= SMALL_RAW_BLOB,
        }
    }

    /// The uncompressed size.
    pub fn len(&self) -> u64 {
        self.size
    }

    /// True if the blob holds no data.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    fn verify(&self, data: &[u8]) -> WimResult<()> {
        match self.hash {
            Some(expected) => check_sha1(expected, data, self.base),
            None => Ok(()),
        }
    }

    /// Reads up to `buf.len()` bytes at `offset`; returns the count (short only at the end).
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> WimResult<usize> {
        if offset >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let want = buf.len().min((self.size - offset) as usize);
        let Some(c) = self.chunked else {
            return self.read_raw(offset, &mut buf[..want]);
        };
        if c.chunk_size == 0 || c.chunk_size > MAX_CHUNK {
            return Err(WimError::invalid(
                "resource",
                c.hdr.offset_in_wim,
                format!("chunk size {} is out of range", c.chunk_size),
            ));
        }
        let cs = u64::from(c.chunk_size);
        let mut done = 0usize;
        while done < want {
            let pos = self.base + offset + done as u64;
            let file_start = offset + done as u64 == 0;
            if let Some(n) = c.read_spilled(
                self.ctx,
                pos / cs,
                pos % cs,
                &mut buf[done..want],
                file_start,
            )? {
                if n == 0 {
                    return Err(WimError::invalid(
                        "resource",
                        c.hdr.offset_in_wim,
                        "a chunk decoded short",
                    ));
                }
                done += n;
                continue;
            }
            let chunk = c.chunk(self.ctx, pos / cs)?;
            if c.chunk_count() == 1 && !c.solid {
                self.verify(&chunk)?;
            }
            let within = (pos % cs) as usize;
            let n = (want - done).min(chunk.len().saturating_sub(within));
            if n == 0 {
                return Err(WimError::invalid(
                    "resource",
                    c.hdr.offset_in_wim,
                    "a chunk decoded short",
                ));
            }
            buf[done..done + n].copy_from_slice(&chunk[within..within + n]);
            done += n;
        }
        Ok(want)
    }

    fn read_raw(&self, offset: u64, buf: &mut [u8]) -> WimResult<usize> {
        let what = || format!("reading the resource at byte {}", self.base);
        if self.size <= SMALL_RAW_BLOB && self.hash.is_some() {
            let whole = self.ctx.cache.get_or_load(self.ctx.key(self.base, 0), || {
                let mut data = vec![0u8; self.size as usize];
                self.ctx
                    .source
                    .read_exact_at(self.base, &mut data)
                    .map_err(io_err(what()))?;
                self.verify(&data)?;
                Ok::<_, WimError>(Arc::from(data))
            })?;
            let start = offset as usize;
            buf.copy_from_slice(&whole[start..start + buf.len()]);
        } else {
            self.ctx
                .source
                .read_exact_at(self.base + offset, buf)
                .map_err(io_err(what()))?;
        }
        Ok(buf.len())
    }

    /// Reads and verifies the whole blob (metadata, blob table, XML); `limit` bounds the
    /// allocation.
    pub fn read_all(&self, limit: u64) -> WimResult<Vec<u8>> {
        if self.size > limit {
            return Err(WimError::invalid(
                "resource",
                self.base,
                format!(
                    "{} bytes exceed the {limit}-byte limit for this structure",
                    self.size
                ),
            ));
        }
        let mut out = vec![0u8; self.size as usize];
        match self.chunked {
            // A whole standalone resource, read once (metadata, tables): decoded straight into
            // `out`, past the chunk cache, which would keep chunks nobody reads again for the
            // rest of the mount (megabytes of an image's metadata).
            Some(c)
                if !c.solid
                    && self.base == 0
                    && c.uncompressed_size == self.size
                    && (1..=MAX_CHUNK).contains(&c.chunk_size) =>
            {
                for (i, piece) in out.chunks_mut(c.chunk_size as usize).enumerate() {
                    c.decode_chunk_into(self.ctx, i as u64, piece)?;
                }
            }
            _ => {
                self.read_at(0, &mut out)?;
            }
        }
        self.verify(&out)?;
        Ok(out)
    }
}

/// Reads a solid resource's header: (uncompressed size, chunk size, compression).
pub fn read_solid_header(
    ctx: &ResourceContext,
    hdr: &ResourceHeader,
) -> WimResult<(u64, u32, Compression)> {
    check_in_file(ctx, hdr)?;
    if hdr.size_in_wim < SOLID_HEADER_SIZE {
        return Err(WimError::invalid(
            "solid resource header",
            hdr.offset_in_wim,
            "shorter than 16 bytes",
        ));
    }
    let mut h = [0u8; SOLID_HEADER_SIZE as usize];
    ctx.source
        .read_exact_at(hdr.offset_in_wim, &mut h)
        .map_err(io_err(format!(
            "reading the solid resource header at byte {}",
            hdr.offset_in_wim
        )))?;
    let s = SolidHeader::parse(&h, hdr.offset_in_wim)?;
    Ok((s.uncompressed_size, s.chunk_size, s.compression))
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
