//! Where every blob is: the blob table turned into an index keyed by SHA-1, with solid runs
//! resolved (wimlib `blob_table.c`, "solid run" description; WIM version 0xE00).
//!
//! In a solid run (consecutive entries flagged SOLID), an entry whose uncompressed size is
//! 0x100000000 describes a solid resource; any other entry is a blob whose `offset_in_wim` is a
//! logical offset into the concatenation of the run's resources and whose `size_in_wim` is its
//! size. Metadata entries with a zero reference count are ignored (WAIK WinPE WIMs have them).

use std::collections::HashMap;

use crate::error::{WimError, WimResult};
use crate::format::header::{Compression, VERSION_SOLID};
use crate::format::reshdr::FLAG_SOLID;
use crate::format::{BlobEntry, ResourceHeader, Sha1Hash};

pub use crate::format::solid_header::SOLID_RESOURCE_MAGIC;

/// A solid resource: many blobs compressed together in large chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolidResource {
    /// Which part of a split WIM holds it.
    pub part: u16,
    /// Where the resource lies in its part.
    pub reshdr: ResourceHeader,
    /// Uncompressed size of the whole resource.
    pub uncompressed_size: u64,
    /// Its chunk size (overrides the header's).
    pub chunk_size: u32,
    /// Its compression (overrides the header's).
    pub compression: Compression,
}

/// Where a blob's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobLocation {
    /// A resource of its own.
    Resource(ResourceHeader),
    /// Inside solid resource `resource` (index into [`BlobIndex::solid`]) at `offset`.
    Solid {
        /// Index of the solid resource.
        resource: usize,
        /// Offset of the blob in the resource's uncompressed data.
        offset: u64,
    },
}

/// One blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobInfo {
    /// SHA-1 of the data.
    pub hash: Sha1Hash,
    /// Uncompressed size.
    pub size: u64,
    /// Reference count from the table.
    pub refcount: u32,
    /// Part of a split WIM holding it.
    pub part: u16,
    /// Where it is.
    pub location: BlobLocation,
}

/// All blobs of a WIM (all parts merged).
#[derive(Debug, Default)]
pub struct BlobIndex {
    /// Non-metadata blobs by hash (the first of duplicates wins, as in wimlib).
    pub blobs: HashMap<Sha1Hash, BlobInfo>,
    /// Metadata resources, in image order.
    pub metadata: Vec<BlobInfo>,
    /// Solid resources.
    pub solid: Vec<SolidResource>,
}

/// Reads a solid resource's 16-byte header: (uncompressed size, chunk size, compression).
pub type SolidHeaderReader<'a> =
    dyn FnMut(&ResourceHeader) -> WimResult<(u64, u32, Compression)> + 'a;

impl BlobIndex {
    /// Adds the entries of one part's blob table. `version` is the part's WIM version.
    pub fn add_part(
        &mut self,
        entries: &[BlobEntry],
        version: u32,
        part: u16,
        table_offset: u64,
        read_solid_header: &mut SolidHeaderReader<'_>,
    ) -> WimResult<()> {
        let solid_ok = version == VERSION_SOLID;
        let mut run: Vec<usize> = Vec::new();
        let mut in_run = false;
        for (i, e) in entries.iter().enumerate() {
            let is_solid = solid_ok && e.reshdr.flags & FLAG_SOLID != 0;
            let at = table_offset.saturating_add((i * 50) as u64);
            if !is_solid {
                in_run = false;
            } else if !in_run {
                in_run = true;
                run.clear();
                for r in entries[i..]
                    .iter()
                    .take_while(|r| r.reshdr.flags & FLAG_SOLID != 0)
                {
                    if r.reshdr.uncompressed_size == SOLID_RESOURCE_MAGIC {
                        let (usize_, chunk_size, compression) = read_solid_header(&r.reshdr)?;
                        self.solid.push(SolidResource {
                            part,
                            reshdr: r.reshdr,
                            uncompressed_size: usize_,
                            chunk_size,
                            compression,
                        });
                        run.push(self.solid.len() - 1);
                    }
                }
            }
            if is_solid && e.reshdr.uncompressed_size == SOLID_RESOURCE_MAGIC {
                continue;
            }
            if e.hash.is_zero() || e.part_number != part {
                continue;
            }
            let (size, location) = if is_solid {
                let size = e.reshdr.size_in_wim;
                let mut offset = e.reshdr.offset_in_wim;
                let mut found = None;
                for &r in &run {
                    let rsize = self.solid[r].uncompressed_size;
                    if offset.checked_add(size).is_some_and(|end| end <= rsize) {
                        found = Some(BlobLocation::Solid {
                            resource: r,
                            offset,
                        });
                        break;
                    }
                    offset = offset.wrapping_sub(rsize);
                }
                let loc = found.ok_or_else(|| {
                    WimError::invalid(
                        format!("blob table entry {i}"),
                        at,
                        "blob lies outside every solid resource of its run",
                    )
                })?;
                (size, loc)
            } else {
                if !e.reshdr.is_compressed() && e.reshdr.size_in_wim != e.reshdr.uncompressed_size {
                    // One damaged entry must not take the whole image down: leave the blob out,
                    // so only the files using it fail (EIO), as with any missing blob.
                    tracing::warn!(
                        "blob table entry {i} at byte {at}: uncompressed resource whose stored and \
                         uncompressed sizes differ ({} vs {}); its blob is treated as missing",
                        e.reshdr.size_in_wim,
                        e.reshdr.uncompressed_size
                    );
                    if e.reshdr.is_metadata() {
                        return Err(WimError::invalid(
                            format!("blob table entry {i}"),
                            at,
                            "metadata resource whose stored and uncompressed sizes differ",
                        ));
                    }
                    continue;
                }
                (e.reshdr.uncompressed_size, BlobLocation::Resource(e.reshdr))
            };
            let info = BlobInfo {
                hash: e.hash,
                size,
                refcount: e.refcount,
                part,
                location,
            };
            if e.reshdr.is_metadata() {
                if e.refcount == 0 {
                    continue;
                }
                if is_solid {
                    return Err(WimError::Unsupported(
                        "image metadata inside a solid resource".into(),
                    ));
                }
                self.metadata.push(info);
            } else if size > 0 {
                self.blobs.entry(e.hash).or_insert(info);
            }
        }
        Ok(())
    }
}
