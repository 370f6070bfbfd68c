//! Transparent zisofs decoding: a file's compressed bytes (an [`ExtentMap`]) served as its
//! uncompressed bytes. Blocks are inflated on demand into the shared [`ChunkCache`], keyed by
//! the image's [`SourceId`], the compressed data's image offset and the block index; block pointers are read per block,
//! so no table proportional to the (hostile) size is ever allocated.

use std::sync::{Arc, OnceLock};

use common::cache::{ChunkCache, ChunkKey, SourceId};
use common::io::ReadAt;

use crate::error::{IsoError, IsoResult};
use crate::read::extent::ExtentMap;
use crate::zisofs::header::ZisofsHeader;

/// A zisofs-compressed file.
#[derive(Debug)]
pub struct ZisofsFile {
    data: ExtentMap,
    size: u64,
    header: OnceLock<ZisofsHeader>,
}

impl ZisofsFile {
    /// `data` holds the compressed bytes; `size` is the uncompressed size the directory entry
    /// announces (what `stat` shows).
    pub fn new(data: ExtentMap, size: u64) -> Self {
        Self {
            data,
            size,
            header: OnceLock::new(),
        }
    }

    /// The uncompressed size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The compressed bytes.
    pub fn compressed(&self) -> &ExtentMap {
        &self.data
    }

    fn origin(&self) -> u64 {
        self.data.first_offset().unwrap_or(0)
    }

    fn read_exact(&self, src: &dyn ReadAt, at: u64, buf: &mut [u8]) -> IsoResult<()> {
        let n = self.data.read_at(src, at, buf)?;
        if n < buf.len() {
            return Err(IsoError::invalid(
                "zisofs file",
                self.origin(),
                format!(
                    "wanted {} bytes at {at}, the compressed data holds {}",
                    buf.len(),
                    self.data.size()
                ),
            ));
        }
        Ok(())
    }

    fn header(&self, src: &dyn ReadAt) -> IsoResult<ZisofsHeader> {
        if let Some(h) = self.header.get() {
            return Ok(*h);
        }
        let mut raw = [0u8; 24];
        let n = self.data.read_at(src, 0, &mut raw)?;
        let h = ZisofsHeader::parse(&raw[..n], self.origin())?;
        if h.size < self.size {
            return Err(IsoError::invalid(
                "zisofs header",
                self.origin(),
                format!(
                    "holds {} bytes, the directory entry says {}",
                    h.size, self.size
                ),
            ));
        }
        Ok(*self.header.get_or_init(|| h))
    }

    fn pointer(&self, src: &dyn ReadAt, h: &ZisofsHeader, i: u64) -> IsoResult<u64> {
        let mut raw = [0u8; 8];
        let width = h.pointer_size as usize;
        self.read_exact(src, h.pointer_offset(i), &mut raw[..width])?;
        Ok(u64::from_le_bytes(raw))
    }

    fn block(&self, src: &dyn ReadAt, h: &ZisofsHeader, i: u64) -> IsoResult<Arc<[u8]>> {
        let bs = h.block_size();
        let expect = (h.size - i * bs).min(bs) as usize;
        let start = self.pointer(src, h, i)?;
        let end = self.pointer(src, h, i + 1)?;
        let bad = |detail: String| IsoError::Decompress {
            offset: self.origin(),
            block: i,
            detail,
        };
        if end < start {
            return Err(bad(format!(
                "block pointers go backwards ({start} > {end})"
            )));
        }
        let clen = end - start;
        if clen == 0 {
            return Ok(vec![0u8; expect].into());
        }
        // zlib never expands a block by more than a few bytes per 16 KiB.
        if clen > bs + bs / 8 + 64 {
            return Err(bad(format!(
                "compressed length {clen} for a {bs}-byte block"
            )));
        }
        let mut comp = vec![0u8; clen as usize];
        self.read_exact(src, start, &mut comp)?;
        let out = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&comp, expect)
            .map_err(|e| bad(format!("inflate: {:?}", e.status)))?;
        if out.len() != expect {
            return Err(bad(format!(
                "inflates to {} bytes, expected {expect}",
                out.len()
            )));
        }
        Ok(out.into())
    }

    /// Reads uncompressed bytes at `offset`; `src` is the image, `src_id` its cache identity.
    pub fn read_at(
        &self,
        src: &dyn ReadAt,
        src_id: SourceId,
        cache: &ChunkCache,
        offset: u64,
        buf: &mut [u8],
    ) -> IsoResult<usize> {
        if offset >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let h = self.header(src)?;
        let bs = h.block_size();
        let want = usize::try_from(self.size - offset)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let mut done = 0usize;
        while done < want {
            let pos = offset + done as u64;
            let i = pos / bs;
            let key = ChunkKey {
                source: src_id,
                resource: self.origin(),
                chunk: i,
            };
            let block = cache.get_or_load(key, || self.block(src, &h, i))?;
            let within = (pos % bs) as usize;
            let avail = block.len().saturating_sub(within);
            if avail == 0 {
                break;
            }
            let n = avail.min(want - done);
            buf[done..done + n].copy_from_slice(&block[within..within + n]);
            done += n;
        }
        Ok(done)
    }
}
