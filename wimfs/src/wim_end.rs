//! Where the data of a WIM ends: the end of the last structure the header of part 1 references
//! (blob table, XML, integrity table, boot metadata, every resource outside a solid run).
//! Bytes after it are an orphaned tail (e.g. of an interrupted commit): the commit appends
//! there, the repair truncates them, and a read-write mount's fingerprint includes it.

use crate::blob_index::SOLID_RESOURCE_MAGIC;
use crate::error::WimResult;
use crate::format::header::HEADER_SIZE;
use crate::format::reshdr::FLAG_SOLID;
use crate::wim::WimFile;

/// The end of the last structure the header of part 1 references.
pub fn valid_end(wim: &WimFile) -> WimResult<u64> {
    let h = wim.header();
    let mut end = HEADER_SIZE as u64;
    for r in [h.blob_table, h.xml_data, h.integrity, h.boot_metadata] {
        end = end.max(r.end_in_wim().unwrap_or(0));
    }
    for e in wim.raw_entries()? {
        let in_solid_run =
            e.reshdr.flags & FLAG_SOLID != 0 && e.reshdr.uncompressed_size != SOLID_RESOURCE_MAGIC;
        if !in_solid_run {
            end = end.max(e.reshdr.end_in_wim().unwrap_or(0));
        }
    }
    Ok(end)
}
