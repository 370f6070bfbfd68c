//! Finding the Virtual Allocation Table of a write-once UDF volume (OSTA UDF 2.60 2.2.11: the
//! VAT ICB is the last recorded sector of the session); its content is decoded by
//! [`crate::udf::vat`].

use common::io::ReadAt;

use crate::error::{IsoError, IsoResult};
use crate::read::image::read_vec;
use crate::read::udf_alloc::{collect_ads, file_map};
use crate::read::udf_partition::Partitions;
use crate::udf::fentry::FileEntry;
use crate::udf::icb::AdForm;
use crate::udf::vat;

/// At most this many trailing sectors are searched for the VAT.
pub const MAX_VAT_SCAN: u64 = 32 << 10;

/// Finds the VAT: the File Entry of type 248 (or a UDF 1.50 VAT) in the last recorded
/// sector of the image, skipping up to [`MAX_VAT_SCAN`] sectors of zero padding at its end.
pub fn find_vat(src: &dyn ReadAt, parts: &Partitions, phys: u16) -> IsoResult<Vec<u32>> {
    let bs = parts.block_size();
    let sectors = src.len() / bs;
    let mut s = sectors;
    let stop = sectors.saturating_sub(MAX_VAT_SCAN);
    while s > stop {
        s -= 1;
        let raw = read_vec(src, s * bs, bs, "UDF VAT search")?;
        if raw.iter().all(|&b| b == 0) {
            continue;
        }
        // The last recorded sector (or one of the few before it) holds the VAT ICB.
        for cand in (s.saturating_sub(8)..=s).rev() {
            let at = cand * bs;
            let raw = read_vec(src, at, bs, "UDF VAT file entry")?;
            let Ok(fe) = FileEntry::parse(&raw, at) else {
                continue;
            };
            let ft = fe.icb.file_type;
            if ft != vat::VAT_FILE_TYPE && ft != 0 {
                continue;
            }
            let content = if fe.icb.ad_form == AdForm::InIcb {
                let n = usize::try_from(fe.size)
                    .unwrap_or(usize::MAX)
                    .min(fe.ad_bytes.len());
                fe.ad_bytes[..n].to_vec()
            } else {
                if fe.size > crate::read::image::MAX_METADATA_READ {
                    continue;
                }
                let ads = collect_ads(src, parts, &fe, phys)?;
                parts.read_extents(src, &file_map(parts, &ads, fe.size)?)?
            };
            if let Ok(table) = vat::parse(&content, ft, at) {
                return Ok(table);
            }
        }
        break;
    }
    Err(IsoError::invalid(
        "UDF virtual partition",
        s * bs,
        "no Virtual Allocation Table in the last recorded sectors",
    ))
}
