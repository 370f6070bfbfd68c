//! Resolving UDF logical block addresses (partition reference + block) to image extents once
//! the partition maps are resolved (see `udf_partition_maps.rs`): physical (type 1) and sparable
//! partitions are a start sector plus the block; a metadata partition (OSTA UDF 2.60 2.2.10)
//! maps its blocks through the extents of the metadata file; a virtual partition (write-once
//! media) maps each block through the Virtual Allocation Table.

use std::collections::HashSet;

use common::io::ReadAt;

use crate::error::{IsoError, IsoResult};
use crate::read::extent::{ExtentMap, Piece};
use crate::read::image::read_vec;
use crate::udf::icb::{LbAddr, LongAd};

/// At most this many blocks per extent of a virtual partition.
pub const MAX_VIRTUAL_BLOCKS: u64 = 1 << 20;

/// One partition map, resolved.
#[derive(Debug, Clone)]
pub(super) enum Resolved {
    Physical { start: u64 },
    Metadata { map: ExtentMap },
    Virtual { physical: u16, table: Vec<u32> },
    Unsupported(String),
}

/// The partition maps of a logical volume, ready to resolve addresses.
#[derive(Debug, Clone)]
pub struct Partitions {
    pub(super) block_size: u64,
    pub(super) maps: Vec<Resolved>,
}

impl Partitions {
    /// The logical block size.
    pub fn block_size(&self) -> u64 {
        self.block_size
    }

    /// Appends the image pieces holding `len` bytes from `addr` to `out`.
    pub fn resolve(&self, addr: LbAddr, len: u64, out: &mut ExtentMap) -> IsoResult<()> {
        let bad = |detail: String| IsoError::invalid("UDF block address", 0, detail);
        let m = self.maps.get(usize::from(addr.partition)).ok_or_else(|| {
            bad(format!(
                "partition reference {} does not exist",
                addr.partition
            ))
        })?;
        let rel = u64::from(addr.block) * self.block_size;
        match m {
            Resolved::Physical { start } => {
                let at = start
                    .checked_add(rel)
                    .ok_or_else(|| bad(format!("block {} overflows", addr.block)))?;
                out.push(len, Piece::Image(at))
            }
            Resolved::Metadata { map } => {
                let end = rel
                    .checked_add(len)
                    .ok_or_else(|| bad("metadata extent overflows".into()))?;
                if end > map.size() {
                    return Err(bad(format!(
                        "metadata bytes {rel}..{end} lie past the metadata file ({} bytes)",
                        map.size()
                    )));
                }
                for e in map.extents() {
                    let (lo, hi) = (e.file_off, e.file_off + e.len);
                    if hi <= rel || lo >= end {
                        continue;
                    }
                    let from = rel.max(lo);
                    let to = end.min(hi);
                    let piece = match e.piece {
                        Piece::Image(o) => Piece::Image(o + (from - lo)),
                        other => other,
                    };
                    out.push(to - from, piece)?;
                }
                Ok(())
            }
            Resolved::Virtual { physical, table } => {
                let blocks = len.div_ceil(self.block_size);
                if blocks > MAX_VIRTUAL_BLOCKS {
                    return Err(IsoError::limit(
                        "UDF virtual extent blocks",
                        rel,
                        MAX_VIRTUAL_BLOCKS,
                    ));
                }
                let mut left = len;
                for k in 0..blocks {
                    let v = u64::from(addr.block) + k;
                    let p = usize::try_from(v)
                        .ok()
                        .and_then(|v| table.get(v))
                        .copied()
                        .filter(|&p| p != u32::MAX)
                        .ok_or_else(|| {
                            bad(format!("virtual block {v} is not in the allocation table"))
                        })?;
                    let n = left.min(self.block_size);
                    let phys = LbAddr {
                        block: p,
                        partition: *physical,
                    };
                    self.resolve(phys, n, out)?;
                    left -= n;
                }
                Ok(())
            }
            Resolved::Unsupported(why) => Err(IsoError::Unsupported(format!(
                "UDF partition reference {}: {why}",
                addr.partition
            ))),
        }
    }

    /// Reads the logical block at `addr`; returns it and its image offset.
    pub fn read_block(&self, src: &dyn ReadAt, addr: LbAddr) -> IsoResult<(Vec<u8>, u64)> {
        let mut m = ExtentMap::new();
        self.resolve(addr, self.block_size, &mut m)?;
        match m.extents() {
            [e] => match e.piece {
                Piece::Image(at) => Ok((read_vec(src, at, self.block_size, "UDF block")?, at)),
                _ => Err(IsoError::invalid("UDF block", 0, "block is not recorded")),
            },
            _ => {
                let mut buf = vec![0u8; self.block_size as usize];
                let n = m.read_at(src, 0, &mut buf)?;
                buf.truncate(n);
                Ok((buf, m.first_offset().unwrap_or(0)))
            }
        }
    }

    /// Reads `len` bytes (bounded by the caller) of the extents `ads`.
    pub fn read_extents(&self, src: &dyn ReadAt, map: &ExtentMap) -> IsoResult<Vec<u8>> {
        let len = map.size();
        if len > crate::read::image::MAX_METADATA_READ {
            return Err(IsoError::limit(
                "UDF directory size",
                map.first_offset().unwrap_or(0),
                crate::read::image::MAX_METADATA_READ,
            ));
        }
        let mut buf = vec![0u8; len as usize];
        let n = map.read_at(src, 0, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }
}

/// Tracks visited addresses for loop protection.
pub type Visited = HashSet<(u16, u32)>;

/// Convenience: a `LongAd`'s address as a visited-set key.
pub fn key(ad: &LongAd) -> (u16, u32) {
    (ad.location.partition, ad.location.block)
}
