//! Verification: the integrity table (when present) and the SHA-1 of every blob and metadata
//! resource, each failure reported with what and where.

use sha1::{Digest, Sha1};

use crate::blob_index::BlobInfo;
use crate::error::{WimError, WimResult};
use crate::format::header::HEADER_SIZE;
use crate::format::integrity::parse_integrity_table;
use crate::format::Sha1Hash;
use crate::resource::BlobReader;
use crate::wim::WimFile;

/// Largest integrity table accepted.
const MAX_INTEGRITY_TABLE: u64 = 64 << 20;

/// Result of checking one part's integrity table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegrityOutcome {
    /// The part has no integrity table.
    Absent,
    /// Every chunk matched.
    Ok {
        /// Chunks checked.
        chunks: usize,
    },
}

/// Checks the integrity tables of all parts. `progress(done, total)` is called as bytes are
/// hashed. Fails with the first mismatching chunk's byte range.
pub fn check_integrity(
    wim: &WimFile,
    progress: &mut dyn FnMut(u64, u64),
) -> WimResult<Vec<IntegrityOutcome>> {
    let mut outcomes = Vec::new();
    for (name, header, ctx) in wim.part_contexts() {
        let ih = header.integrity;
        if ih.size_in_wim == 0 {
            outcomes.push(IntegrityOutcome::Absent);
            continue;
        }
        let end = header.blob_table.end_in_wim().unwrap_or(0);
        let checked = end.checked_sub(HEADER_SIZE as u64).ok_or_else(|| {
            WimError::invalid(
                "integrity table",
                ih.offset_in_wim,
                "the blob table ends before the header",
            )
        })?;
        let buf = BlobReader::resource(ctx, ih, None)?.read_all(MAX_INTEGRITY_TABLE)?;
        let table = parse_integrity_table(&buf, checked, ih.offset_in_wim).map_err(|e| {
            WimError::InFile {
                file: name.to_string(),
                source: Box::new(e),
            }
        })?;
        let mut chunk = vec![0u8; table.chunk_size as usize];
        let mut offset = HEADER_SIZE as u64;
        for (i, expected) in table.digests.iter().enumerate() {
            let len =
                (HEADER_SIZE as u64 + checked - offset).min(u64::from(table.chunk_size)) as usize;
            ctx.source
                .read_exact_at(offset, &mut chunk[..len])
                .map_err(|e| {
                    WimError::io(
                        format!("{name}: reading bytes {offset}..{}", offset + len as u64),
                        e,
                    )
                })?;
            let actual = Sha1Hash(Sha1::digest(&chunk[..len]).into());
            if actual != *expected {
                return Err(WimError::InFile {
                    file: name.to_string(),
                    source: Box::new(WimError::invalid(
                        format!("integrity chunk {i} (bytes {offset}..{})", offset + len as u64),
                        offset,
                        format!("SHA-1 is {actual}, the integrity table says {expected}: the file is damaged"),
                    )),
                });
            }
            offset += len as u64;
            progress(offset - HEADER_SIZE as u64, checked);
        }
        outcomes.push(IntegrityOutcome::Ok {
            chunks: table.digests.len(),
        });
    }
    Ok(outcomes)
}

/// One blob that failed.
#[derive(Debug)]
pub struct BlobFailure {
    /// What the blob is ("image 1 metadata", "blob <sha1>").
    pub what: String,
    /// Why.
    pub error: WimError,
}

/// Reads every blob and metadata resource and checks its SHA-1. `progress(done, total)` gets
/// uncompressed bytes. Returns the failures (empty = all good).
pub fn verify_blobs(wim: &WimFile, progress: &mut dyn FnMut(u64, u64)) -> Vec<BlobFailure> {
    let mut jobs: Vec<(String, BlobInfo)> = Vec::new();
    for i in 1..=wim.image_count() {
        if let Ok(m) = wim.metadata_blob(i) {
            jobs.push((format!("metadata resource of image {i}"), *m));
        }
    }
    let mut blobs: Vec<BlobInfo> = wim.blobs().copied().collect();
    blobs.sort_by_key(|b| (b.part, location_key(b)));
    jobs.extend(blobs.into_iter().map(|b| (format!("blob {}", b.hash), b)));
    let total: u64 = jobs.iter().map(|(_, b)| b.size).sum();
    let mut done = 0u64;
    let mut failures = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    for (what, blob) in jobs {
        if let Err(error) = hash_blob(wim, &blob, &mut buf) {
            failures.push(BlobFailure { what, error });
        }
        done += blob.size;
        progress(done, total);
    }
    failures
}

fn location_key(b: &BlobInfo) -> (u64, u64) {
    match b.location {
        crate::blob_index::BlobLocation::Resource(h) => (h.offset_in_wim, 0),
        crate::blob_index::BlobLocation::Solid { resource, offset } => (resource as u64, offset),
    }
}

fn hash_blob(wim: &WimFile, blob: &BlobInfo, buf: &mut [u8]) -> WimResult<()> {
    let reader = wim.reader(blob)?;
    let mut hasher = Sha1::new();
    let mut off = 0u64;
    while off < blob.size {
        let n = reader.read_at(off, buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        off += n as u64;
    }
    let actual = Sha1Hash(hasher.finalize().into());
    if actual != blob.hash || off != blob.size {
        return Err(WimError::HashMismatch {
            sha1: blob.hash.to_string(),
            actual: actual.to_string(),
            offset: location_key(blob).0,
        });
    }
    Ok(())
}
