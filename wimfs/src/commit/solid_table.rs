//! The blob-table entries of a new solid resource, spliced into the table being written.
//!
//! A solid run is a sequence of consecutive entries flagged SOLID: first the entries of its
//! resources (uncompressed size [`SOLID_RESOURCE_MAGIC`], zero hash), then its blobs, whose
//! `offset_in_wim` counts from the start of the run's first resource as if all the run's
//! resources were one (wimlib `blob_table.c`: WIMGAPI expects this; `size_in_wim` is the
//! blob's size and `uncompressed_size` zero). A commit into a solid WIM appends its resource to
//! the table's last solid run, exactly as `wimlib-imagex update` does, so readers that expect a
//! single run (WIMGAPI) see one.

use crate::error::{WimError, WimResult};
use crate::format::blob_table::{parse_blob_table, ENTRY_SIZE};
use crate::format::reshdr::FLAG_SOLID;
use crate::format::solid_header::SOLID_RESOURCE_MAGIC;
use crate::format::{BlobEntry, ResourceHeader, Sha1Hash};

/// A blob of the new resource: hash, size, reference count.
pub type NewSolidBlob = (Sha1Hash, u64, u32);

/// Inserts `resource` and `blobs` (at `offsets` in its uncompressed data) into `table`, the
/// encoded entries of the new blob table: right after its last solid run, continuing that run,
/// or at the end. `run_resource_size` gives the uncompressed size of an existing solid
/// resource from its entry.
pub fn splice_solid_run(
    table: &mut Vec<u8>,
    resource: ResourceHeader,
    blobs: &[NewSolidBlob],
    offsets: &[u64],
    run_resource_size: &dyn Fn(&ResourceHeader) -> Option<u64>,
) -> WimResult<()> {
    let entries = parse_blob_table(table, 0)?;
    let solid = |e: &BlobEntry| e.reshdr.flags & FLAG_SOLID != 0;
    let (insert_at, base) = match entries.iter().rposition(solid) {
        None => (entries.len(), 0u64),
        Some(last) => {
            let first = entries[..=last]
                .iter()
                .rposition(|e| !solid(e))
                .map_or(0, |i| i + 1);
            let mut base = 0u64;
            for e in &entries[first..=last] {
                if e.reshdr.uncompressed_size == SOLID_RESOURCE_MAGIC {
                    let size = run_resource_size(&e.reshdr).ok_or_else(|| {
                        WimError::Unsupported(format!(
                            "the solid resource at byte {} is not in the WIM's index",
                            e.reshdr.offset_in_wim
                        ))
                    })?;
                    base = base.checked_add(size).ok_or_else(|| {
                        WimError::Unsupported("solid resources over 2^64 bytes".into())
                    })?;
                }
            }
            (last + 1, base)
        }
    };
    let mut run = Vec::with_capacity((blobs.len() + 1) * ENTRY_SIZE);
    run.extend_from_slice(
        &BlobEntry {
            reshdr: resource,
            part_number: 1,
            refcount: 1,
            hash: Sha1Hash::ZERO,
        }
        .to_bytes(),
    );
    for (&(hash, size, refcount), &offset) in blobs.iter().zip(offsets) {
        let offset_in_wim = base
            .checked_add(offset)
            .ok_or_else(|| WimError::Unsupported("solid blob offset over 2^64 bytes".into()))?;
        run.extend_from_slice(
            &BlobEntry {
                reshdr: ResourceHeader {
                    size_in_wim: size,
                    flags: FLAG_SOLID,
                    offset_in_wim,
                    uncompressed_size: 0,
                },
                part_number: 1,
                refcount,
                hash,
            }
            .to_bytes(),
        );
    }
    let tail = table.split_off(insert_at * ENTRY_SIZE);
    table.extend_from_slice(&run);
    table.extend_from_slice(&tail);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(size_in_wim: u64, flags: u8, offset: u64, usize_: u64, h: u8) -> BlobEntry {
        BlobEntry {
            reshdr: ResourceHeader {
                size_in_wim,
                flags,
                offset_in_wim: offset,
                uncompressed_size: usize_,
            },
            part_number: 1,
            refcount: 1,
            hash: Sha1Hash([h; 20]),
        }
    }

    #[test]
    fn continues_the_last_run_with_logical_offsets() {
        let meta = entry(100, 2, 5000, 300, 1);
        let old_res = entry(4000, FLAG_SOLID, 208, SOLID_RESOURCE_MAGIC, 0);
        let old_blob = entry(700, FLAG_SOLID, 0, 0, 2);
        let mut table = Vec::new();
        for e in [meta, old_res, old_blob, entry(10, 0, 9000, 10, 3)] {
            table.extend_from_slice(&e.to_bytes());
        }
        let new_res = entry(50, FLAG_SOLID, 6000, SOLID_RESOURCE_MAGIC, 0).reshdr;
        let blobs = [(Sha1Hash([4; 20]), 30, 2), (Sha1Hash([5; 20]), 9, 1)];
        splice_solid_run(&mut table, new_res, &blobs, &[0, 30], &|r| {
            (r.offset_in_wim == 208).then_some(700)
        })
        .expect("splices");
        let got = parse_blob_table(&table, 0).expect("parses");
        assert_eq!(got.len(), 7);
        assert_eq!(got[3].reshdr, new_res);
        assert!(got[3].hash.is_zero());
        assert_eq!(got[4].reshdr.offset_in_wim, 700);
        assert_eq!(got[5].reshdr.offset_in_wim, 730);
        assert_eq!((got[5].reshdr.size_in_wim, got[5].refcount), (9, 1));
        assert_eq!(got[6].hash, Sha1Hash([3; 20]));
    }

    #[test]
    fn an_unknown_resource_in_the_run_is_an_error() {
        let mut table = entry(4000, FLAG_SOLID, 208, SOLID_RESOURCE_MAGIC, 0)
            .to_bytes()
            .to_vec();
        let new_res = entry(50, FLAG_SOLID, 6000, SOLID_RESOURCE_MAGIC, 0).reshdr;
        let e = splice_solid_run(&mut table, new_res, &[], &[], &|_| None).expect_err("unknown");
        assert!(e.to_string().contains("208"), "{e}");
    }
}
