//! Collecting a UDF file's allocation descriptors (ECMA-167 4/12, 4/14.5): those in the File
//! Entry, then any continuation extents (Allocation Extent Descriptors, tag 258) they chain to,
//! with loop and count limits; and turning them into an [`ExtentMap`] where unrecorded extents
//! read as zeros.

use std::collections::HashSet;

use common::io::ReadAt;

use crate::bytes::Fields;
use crate::error::{IsoError, IsoResult};
use crate::read::extent::{ExtentMap, Piece};
use crate::read::udf_partition::Partitions;
use crate::udf::fentry::FileEntry;
use crate::udf::icb::{AdForm, ExtentType, LongAd};
use crate::udf::tag::{id, Tag};

/// At most this many continuation extents per file.
pub const MAX_CONTINUATIONS: usize = 4096;
/// At most this many allocation descriptors per file.
pub const MAX_ADS: usize = 1 << 20;

fn parse_list(
    raw: &[u8],
    offset: u64,
    form: AdForm,
    partition: u16,
    out: &mut Vec<LongAd>,
) -> IsoResult<Option<LongAd>> {
    let width = match form {
        AdForm::Short => 8,
        AdForm::Long => 16,
        AdForm::Extended => 20,
        AdForm::InIcb => return Ok(None),
    };
    for (i, chunk) in raw.chunks_exact(width).enumerate() {
        let at = offset + (i * width) as u64;
        let ad = match form {
            AdForm::Short => LongAd::parse_short(chunk, at, partition)?,
            AdForm::Long => LongAd::parse(chunk, at)?,
            _ => LongAd::parse_ext(chunk, at)?,
        };
        if ad.len == 0 {
            return Ok(None);
        }
        if ad.kind == ExtentType::Continuation {
            return Ok(Some(ad));
        }
        if out.len() >= MAX_ADS {
            return Err(IsoError::limit(
                "UDF allocation descriptors",
                at,
                MAX_ADS as u64,
            ));
        }
        out.push(ad);
    }
    Ok(None)
}

/// All allocation descriptors of `fe` (an ICB in partition reference `partition`).
pub fn collect_ads(
    src: &dyn ReadAt,
    parts: &Partitions,
    fe: &FileEntry,
    partition: u16,
) -> IsoResult<Vec<LongAd>> {
    let form = fe.icb.ad_form;
    let mut out = Vec::new();
    let mut next = parse_list(&fe.ad_bytes, fe.ad_offset, form, partition, &mut out)?;
    let mut seen = HashSet::new();
    while let Some(ce) = next {
        if !seen.insert((ce.location.partition, ce.location.block)) {
            return Err(IsoError::invalid(
                "UDF allocation extent descriptor",
                fe.ad_offset,
                format!("continuation extents loop at block {}", ce.location.block),
            ));
        }
        if seen.len() > MAX_CONTINUATIONS {
            return Err(IsoError::limit(
                "UDF allocation extent continuations",
                fe.ad_offset,
                MAX_CONTINUATIONS as u64,
            ));
        }
        let (raw, at) = parts.read_block(src, ce.location)?;
        Tag::expect(&raw, at, id::AED, "UDF allocation extent descriptor")?;
        let f = Fields::new(&raw, "UDF allocation extent descriptor", at);
        let l_ad = f.le32(20)? as usize;
        let list = f.bytes(24, l_ad.min(raw.len().saturating_sub(24)))?;
        // short_ads in a continuation refer to the continuation's partition.
        next = parse_list(list, at + 24, form, ce.location.partition, &mut out)?;
    }
    Ok(out)
}

/// The file's bytes: the extents of `ads` cut to `size`; past the last extent, zeros.
pub fn file_map(parts: &Partitions, ads: &[LongAd], size: u64) -> IsoResult<ExtentMap> {
    let mut map = ExtentMap::new();
    for ad in ads {
        let left = size - map.size();
        if left == 0 {
            break;
        }
        let len = u64::from(ad.len).min(left);
        match ad.kind {
            ExtentType::Recorded => parts.resolve(ad.location, len, &mut map)?,
            _ => map.push(len, Piece::Zero)?,
        }
    }
    if map.size() < size {
        map.push(size - map.size(), Piece::Zero)?;
    }
    Ok(map)
}
