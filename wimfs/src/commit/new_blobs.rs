//! The commit's first step: the new blobs appended to the WIM (then the image's metadata
//! resource), and later their blob-table entries. A solid WIM (one with solid resources: ESDs,
//! `--solid` captures) gets them as one more solid resource, similar files together
//! ([`super::solid_order`]), its entries appended to the table's last solid run
//! ([`super::solid_table`]); any other WIM, one resource each, its entries at the end of the
//! table.

use super::blob_writer::{BufferWritten, Tail};
use super::metadata::StreamHashes;
use super::refs::FastMap;
use super::solid_order::solid_order;
use super::solid_table::{splice_solid_run, NewSolidBlob};
use super::solid_writer::{SolidFormat, SolidWritten};
use super::source::CommitSource;
use super::writer::{BlobSource, WimWriter};
use crate::error::{WimError, WimResult};
use crate::format::reshdr::FLAG_METADATA;
use crate::format::{BlobEntry, ResourceHeader, Sha1Hash};
use crate::inode::Content;
use crate::tree::ImageTree;
use crate::wim::WimFile;

/// Where the new blobs went.
#[derive(Debug)]
pub enum NewBlobsWritten {
    /// One resource per blob, in the order of the commit's list.
    Separate(Vec<ResourceHeader>),
    /// One solid resource; `order[k]` is the commit's index of the blob written k-th.
    Solid {
        /// What the solid writer reports.
        written: SolidWritten,
        /// Write order.
        order: Vec<usize>,
    },
}

/// Appends `new_blobs` (hash, content) with `writer`, then the image's metadata resource that
/// `metadata` gives (in the blobs' compression pipeline when they are not solid), reporting
/// `progress(done, total)` in bytes of the blobs.
pub fn write_new_blobs(
    writer: &mut WimWriter<'_>,
    src: &CommitSource<'_>,
    (tree, hashes): (&ImageTree, &StreamHashes),
    new_blobs: &[(Sha1Hash, Content)],
    metadata: Tail<'_>,
    progress: &mut dyn FnMut(u64, u64),
) -> WimResult<(NewBlobsWritten, BufferWritten)> {
    let solid_format = SolidFormat::of(src.wim);
    let order: Vec<usize> = if solid_format.is_some() {
        let blob_hashes: Vec<Sha1Hash> = new_blobs.iter().map(|(h, _)| *h).collect();
        solid_order(tree, hashes, &blob_hashes)
    } else {
        (0..new_blobs.len()).collect()
    };
    let sources: Vec<BlobSource<'_>> = order
        .iter()
        .map(|&i| -> BlobSource<'_> {
            let c = new_blobs[i].1.clone();
            (
                c.size(),
                Box::new(move |off, buf| src.read(&c, off, buf).map_err(std::io::Error::other)),
            )
        })
        .collect();
    let total: u64 = new_blobs.iter().map(|(_, c)| c.size()).sum();
    let (mut written, mut reported) = (0u64, 0u64);
    let mut on_chunk = |n| {
        written += n;
        // Every 1 MiB at most: each report may be a write to the control channel.
        if written - reported >= 1 << 20 || written >= total {
            reported = written;
            progress(written.min(total), total);
        }
    };
    match solid_format {
        Some(format) => {
            let written = writer.write_solid(&sources, format, &mut on_chunk)?;
            let meta = metadata()?;
            let hdr = writer.write_buffer(&meta, FLAG_METADATA, true)?;
            Ok((NewBlobsWritten::Solid { written, order }, (hdr, meta)))
        }
        None => {
            let (headers, meta) =
                writer.write_blobs_then(&sources, Some(metadata), true, &mut on_chunk)?;
            let (mut hdr, meta) = meta.ok_or_else(|| {
                WimError::Unsupported("the metadata resource was not written".into())
            })?;
            hdr.flags |= FLAG_METADATA;
            Ok((NewBlobsWritten::Separate(headers), (hdr, meta)))
        }
    }
}

impl NewBlobsWritten {
    /// Adds the new blobs' entries to `table` (the encoded entries of the new blob table),
    /// with the reference counts `refs`.
    pub fn add_entries(
        &self,
        table: &mut Vec<u8>,
        wim: &WimFile,
        new_blobs: &[(Sha1Hash, Content)],
        refs: &FastMap<Sha1Hash, u64>,
    ) -> WimResult<()> {
        let refcount = |hash: &Sha1Hash| {
            u32::try_from(refs.get(hash).copied().unwrap_or(1)).unwrap_or(u32::MAX)
        };
        match self {
            Self::Separate(headers) => {
                for ((hash, _), hdr) in new_blobs.iter().zip(headers) {
                    let entry = BlobEntry {
                        reshdr: *hdr,
                        part_number: 1,
                        refcount: refcount(hash),
                        hash: *hash,
                    };
                    table.extend_from_slice(&entry.to_bytes());
                }
                Ok(())
            }
            Self::Solid { written, order } => {
                let Some(resource) = written.resource else {
                    return Ok(());
                };
                let blobs: Vec<NewSolidBlob> = order
                    .iter()
                    .map(|&i| {
                        let (hash, c) = &new_blobs[i];
                        (*hash, c.size(), refcount(hash))
                    })
                    .collect();
                splice_solid_run(table, resource, &blobs, &written.offsets, &|r| {
                    wim.solid_resources()
                        .iter()
                        .find(|s| s.reshdr == *r)
                        .map(|s| s.uncompressed_size)
                })
            }
        }
    }
}
