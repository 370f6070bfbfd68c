//! The commit's new blob table (MS-WIM 2.2.3 "Lookup table"): the old entries with updated
//! reference counts (dropped once no image references them), the committed image's metadata
//! entry in place of the old one (or after the others for an appended image), then the new
//! blobs' entries.

use super::new_blobs::NewBlobsWritten;
use super::refs::RefCounts;
use crate::blob_index::SOLID_RESOURCE_MAGIC;
use crate::error::WimResult;
use crate::format::blob_table::ENTRY_SIZE;
use crate::format::header::VERSION_SOLID;
use crate::format::reshdr::FLAG_SOLID;
use crate::format::{BlobEntry, Sha1Hash};
use crate::inode::Content;
use crate::wim::WimFile;

/// Where the committed image's metadata entry goes.
#[derive(Debug, Clone, Copy)]
pub enum MetadataSlot {
    /// In place of image N's (1-based).
    Replace(u32),
    /// After every other metadata entry (the image order is the entries' order).
    Append,
}

/// The encoded entries of the new blob table.
pub fn new_blob_table(
    wim: &WimFile,
    new_meta: &BlobEntry,
    slot: MetadataSlot,
    counts: &RefCounts,
    written: &NewBlobsWritten,
    new_blobs: &[(Sha1Hash, Content)],
) -> WimResult<Vec<u8>> {
    let solid_wim = wim.header().version == VERSION_SOLID;
    let entries = wim.raw_entries()?;
    let mut table = Vec::with_capacity((entries.len() + new_blobs.len() + 1) * ENTRY_SIZE);
    let mut meta_index = 0u32;
    for e in entries {
        let solid = solid_wim && e.reshdr.flags & FLAG_SOLID != 0;
        if solid && e.reshdr.uncompressed_size == SOLID_RESOURCE_MAGIC {
            table.extend_from_slice(&e.to_bytes());
            continue;
        }
        if e.reshdr.is_metadata() {
            if e.refcount == 0 {
                continue;
            }
            meta_index += 1;
            let entry = match slot {
                MetadataSlot::Replace(image) if image == meta_index => new_meta,
                _ => e,
            };
            table.extend_from_slice(&entry.to_bytes());
            continue;
        }
        let count = counts.count(&e.hash, u64::from(e.refcount));
        if count == 0 && !e.hash.is_zero() {
            continue; // no longer referenced by any image
        }
        let mut entry = *e;
        entry.refcount = u32::try_from(count).unwrap_or(u32::MAX);
        table.extend_from_slice(&entry.to_bytes());
    }
    if let MetadataSlot::Append = slot {
        table.extend_from_slice(&new_meta.to_bytes());
    }
    written.add_entries(&mut table, wim, new_blobs, &counts.new)?;
    debug_assert_eq!(table.len() % ENTRY_SIZE, 0);
    Ok(table)
}
