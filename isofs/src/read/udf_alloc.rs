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

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;
    use crate::udf::descriptors::{PartitionDesc, PartitionMapDesc};
    use crate::udf::icb::IcbTag;
    use crate::udf::tag::tests::seal;

    fn short_ad(kind: u32, len: u32, block: u32) -> Vec<u8> {
        let mut v = ((kind << 30) | len).to_le_bytes().to_vec();
        v.extend(block.to_le_bytes());
        v
    }

    fn aed(image: &mut [u8], block: usize, ads: &[u8]) {
        let at = block * 2048;
        let mut d = vec![0u8; 24 + ads.len()];
        d[20..24].copy_from_slice(&(ads.len() as u32).to_le_bytes());
        d[24..].copy_from_slice(ads);
        seal(&mut d, id::AED, block as u32);
        image[at..at + d.len()].copy_from_slice(&d);
    }

    fn entry(ads: Vec<u8>, size: u64) -> FileEntry {
        FileEntry {
            icb: IcbTag {
                file_type: 5,
                ad_form: AdForm::Short,
                special_bits: 0,
            },
            uid: 0,
            gid: 0,
            perm: 0o644,
            links: 1,
            size,
            atime: UNIX_EPOCH,
            mtime: UNIX_EPOCH,
            ctime: UNIX_EPOCH,
            crtime: None,
            ad_bytes: ads,
            ad_offset: 0,
            ea_bytes: Vec::new(),
            ea_offset: 0,
        }
    }

    fn partitions(image: &Vec<u8>) -> Partitions {
        Partitions::new(
            image,
            2048,
            &[PartitionMapDesc::Physical { partition: 0 }],
            &[PartitionDesc {
                number: 0,
                start: 0,
                len: 32,
            }],
        )
        .expect("partitions")
    }

    #[test]
    fn continuation_extents_and_unrecorded_zeros() {
        let mut image = vec![0u8; 32 * 2048];
        image[5 * 2048..6 * 2048].fill(b'a');
        image[6 * 2048..6 * 2048 + 100].fill(b'b');
        let mut more = short_ad(1, 4096, 0); // allocated, not recorded: zeros
        more.extend(short_ad(0, 100, 6));
        aed(&mut image, 10, &more);
        let mut ads = short_ad(0, 2048, 5);
        ads.extend(short_ad(3, 2048, 10)); // continue at block 10
        let fe = entry(ads, 2048 + 4096 + 100 + 50);
        let parts = partitions(&image);
        let list = collect_ads(&image, &parts, &fe, 0).expect("ads");
        assert_eq!(list.len(), 3);
        let map = file_map(&parts, &list, fe.size).expect("map");
        let mut data = vec![0xEEu8; fe.size as usize];
        assert_eq!(map.read_at(&image, 0, &mut data).expect("read"), data.len());
        assert!(data[..2048].iter().all(|&b| b == b'a'));
        assert!(data[2048..6144].iter().all(|&b| b == 0));
        assert!(data[6144..6244].iter().all(|&b| b == b'b'));
        assert!(
            data[6244..].iter().all(|&b| b == 0),
            "past the last extent: zeros"
        );
    }

    #[test]
    fn continuation_loops_are_errors() {
        let mut image = vec![0u8; 32 * 2048];
        aed(&mut image, 10, &short_ad(3, 2048, 11));
        aed(&mut image, 11, &short_ad(3, 2048, 10));
        let fe = entry(short_ad(3, 2048, 10), 1 << 40);
        let parts = partitions(&image);
        let e = collect_ads(&image, &parts, &fe, 0).expect_err("loop");
        assert!(e.to_string().contains("loop"), "{e}");
        // A continuation that is not an AED is named.
        let fe = entry(short_ad(3, 2048, 20), 10);
        let e = collect_ads(&image, &parts, &fe, 0).expect_err("not an AED");
        assert!(
            e.to_string().contains("allocation extent descriptor"),
            "{e}"
        );
    }
}
