//! Appending new blobs as one solid resource (WIM version 0xE00, as in ESD files and
//! `wimlib-imagex capture --solid`): the blobs' data concatenated and cut into chunks of the
//! resource's chunk size (64 MiB in wimlib's and Microsoft's LZMS solid resources), stored as
//!
//! `[solid header (16 bytes)] [compressed size of every chunk (u32 each)] [chunks]`
//!
//! (wimlib `include/wimlib/resource.h`, `alt_chunk_table_header_disk`; a chunk whose stored
//! size equals its uncompressed size is raw). Both structures come from
//! [`crate::format::solid_header`] and [`crate::format::chunk_table`], which the reader uses.
//! The chunks are compressed in parallel, one per worker; a commit smaller than one chunk per
//! core uses smaller chunks (down to 4 MiB) so that every core still gets one
//! ([`SolidFormat::chunk_size_for`]).

use super::chunk_pipeline::{compress_in_order, Emit};
use super::writer::{compress_chunk, fill, BlobSource, ChunkFormat, WimWriter};
use crate::error::{WimError, WimResult};
use crate::format::chunk_table;
use crate::format::header::{Compression, VERSION_SOLID};
use crate::format::reshdr::FLAG_SOLID;
use crate::format::solid_header::{SolidHeader, SOLID_HEADER_SIZE, SOLID_RESOURCE_MAGIC};
use crate::format::ResourceHeader;
use crate::wim::WimFile;

/// How a new solid resource is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolidFormat {
    /// Uncompressed size of every chunk but the last.
    pub chunk_size: u32,
    /// How the chunks are compressed.
    pub compression: Compression,
}

/// The smallest chunk a commit splits a solid resource's chunks down to, so that every core
/// gets one: below this, the loss of matches across chunks costs more than it is worth.
const MIN_SPLIT_CHUNK: u32 = 4 << 20;

impl SolidFormat {
    /// How new blobs of `wim` are stored when it keeps its blobs in solid resources (WIM
    /// version 0xE00 with at least one): like its last solid resource; `None` otherwise.
    pub fn of(wim: &WimFile) -> Option<Self> {
        if wim.header().version != VERSION_SOLID {
            return None;
        }
        wim.solid_resources().last().map(|r| Self {
            chunk_size: r.chunk_size,
            compression: r.compression,
        })
    }

    /// The chunk size for `total` new bytes compressed on `threads` cores: the WIM's own, or,
    /// when that leaves a core idle (fewer chunks than threads), halved until every core has a
    /// chunk or the chunks reach [`MIN_SPLIT_CHUNK`] (a power of two, like every chunk size).
    /// Each solid resource records its own chunk size, so readers follow either.
    pub fn chunk_size_for(&self, total: u64, threads: usize) -> u32 {
        let threads = threads.max(1) as u64;
        let mut chunk = self.chunk_size;
        while chunk > MIN_SPLIT_CHUNK && total.div_ceil(u64::from(chunk)) < threads {
            chunk /= 2;
        }
        chunk
    }
}

/// Where a solid resource and its blobs went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolidWritten {
    /// The resource's own blob-table header (flag SOLID, uncompressed size
    /// [`SOLID_RESOURCE_MAGIC`]); `None` when every source was empty.
    pub resource: Option<ResourceHeader>,
    /// Its uncompressed size.
    pub uncompressed_size: u64,
    /// Each source's offset in the resource's uncompressed data.
    pub offsets: Vec<u64>,
}

/// Cuts the concatenation of `sources` into chunks of `chunk_size` bytes.
fn read_concatenated(
    sources: &[BlobSource<'_>],
    chunk_size: usize,
    emit: &mut Emit<'_>,
) -> WimResult<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(chunk_size);
    for (size, read) in sources {
        let mut off = 0u64;
        while off < *size {
            let room = chunk_size - buf.len();
            let len = usize::try_from(*size - off).map_or(room, |left| left.min(room));
            let at = buf.len();
            buf.resize(at + len, 0);
            fill(read, off, &mut buf[at..])?;
            off += len as u64;
            if buf.len() == chunk_size {
                let full = std::mem::replace(&mut buf, Vec::with_capacity(chunk_size));
                if !emit(full) {
                    return Ok(());
                }
            }
        }
    }
    if !buf.is_empty() {
        emit(buf);
    }
    Ok(())
}

impl WimWriter<'_> {
    /// Appends `sources` as one solid resource; `progress(bytes)` after each chunk.
    pub fn write_solid(
        &mut self,
        sources: &[BlobSource<'_>],
        format: SolidFormat,
        progress: &mut dyn FnMut(u64),
    ) -> WimResult<SolidWritten> {
        let mut offsets = Vec::with_capacity(sources.len());
        let mut total = 0u64;
        for (size, _) in sources {
            offsets.push(total);
            total = total
                .checked_add(*size)
                .ok_or_else(|| WimError::Unsupported("new data over 2^64 bytes".into()))?;
        }
        if total == 0 {
            return Ok(SolidWritten {
                resource: None,
                uncompressed_size: 0,
                offsets,
            });
        }
        let format = SolidFormat {
            chunk_size: format.chunk_size_for(total, self.threads()),
            ..format
        };
        let chunk_size = usize::try_from(format.chunk_size)
            .map_err(|_| WimError::Unsupported("solid chunk size over the address space".into()))?;
        let chunks = total.div_ceil(u64::from(format.chunk_size));
        let start = self.pos;
        let data_start = start + SOLID_HEADER_SIZE + chunks * 4;
        self.pos = data_start;
        let mut sizes: Vec<u32> = Vec::new();
        let chunk_format = ChunkFormat {
            compression: format.compression,
            chunk_size: format.chunk_size,
            solid: true,
        };
        let compressor = move |raw: &[u8]| compress_chunk(chunk_format, raw);
        let threads = self.threads();
        // Each job holds a whole chunk (up to 64 MiB) and takes seconds to compress: one chunk
        // waiting is enough to keep the workers fed. In memory at most: the chunk being read,
        // one waiting, one per worker (plus the compressor's ~5 bytes per input byte), and
        // one compressed result waiting.
        compress_in_order(
            threads,
            1,
            |emit| read_concatenated(sources, chunk_size, emit),
            &compressor,
            &mut |chunk| {
                let stored = u32::try_from(chunk.data.len()).map_err(|_| {
                    WimError::Unsupported("a solid chunk over 4 GiB compressed".into())
                })?;
                self.write_at(self.pos, &chunk.data)?;
                self.pos += chunk.data.len() as u64;
                sizes.push(stored);
                progress(chunk.raw_len as u64);
                Ok(())
            },
        )?;
        if sizes.len() as u64 != chunks {
            return Err(WimError::Unsupported(format!(
                "wrote {} solid chunks, expected {chunks}",
                sizes.len()
            )));
        }
        let mut head = SolidHeader {
            uncompressed_size: total,
            chunk_size: format.chunk_size,
            compression: format.compression,
        }
        .to_bytes()
        .to_vec();
        head.extend_from_slice(&chunk_table::encode_sizes(&sizes));
        self.write_at(start, &head)?;
        Ok(SolidWritten {
            resource: Some(ResourceHeader {
                size_in_wim: self.pos - start,
                flags: FLAG_SOLID,
                offset_in_wim: start,
                uncompressed_size: SOLID_RESOURCE_MAGIC,
            }),
            uncompressed_size: total,
            offsets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_shrink_only_to_give_every_core_one() {
        let f = SolidFormat {
            chunk_size: 64 << 20,
            compression: Compression::Lzms,
        };
        assert_eq!(f.chunk_size_for(200 << 20, 2), 64 << 20);
        assert_eq!(f.chunk_size_for(100 << 20, 2), 64 << 20);
        assert_eq!(f.chunk_size_for(50 << 20, 2), 32 << 20);
        assert_eq!(f.chunk_size_for(20 << 20, 2), 16 << 20);
        assert_eq!(f.chunk_size_for(1 << 20, 2), 4 << 20);
        assert_eq!(f.chunk_size_for(50 << 20, 1), 64 << 20);
        let small = SolidFormat {
            chunk_size: 128 << 10,
            ..f
        };
        assert_eq!(small.chunk_size_for(100 << 10, 2), 128 << 10);
    }
}
