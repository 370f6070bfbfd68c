//! Resolving the partition maps of a UDF logical volume (ECMA-167 3/10.7, OSTA UDF 2.60
//! 2.2.8-2.2.11) into [`Partitions`]: physical and sparable maps first, then a metadata
//! partition through its metadata file (whose File Entry lives in the physical partition; if it
//! is damaged, the mirror is used), and a virtual partition through the Virtual Allocation
//! Table found in the last recorded sectors of the image.
//!
//! This sits above `udf_alloc` and `udf_vat`, which only use the address resolution of
//! [`Partitions`] (`udf_partition.rs`), so the modules form no cycle.

use common::io::ReadAt;

use crate::error::IsoResult;
use crate::read::extent::ExtentMap;
use crate::read::udf_alloc::{collect_ads, file_map};
use crate::read::udf_partition::{Partitions, Resolved};
use crate::read::udf_vat::find_vat;
use crate::udf::descriptors::{PartitionDesc, PartitionMapDesc};
use crate::udf::fentry::FileEntry;
use crate::udf::icb::LbAddr;

impl Partitions {
    /// Resolves the maps of a Logical Volume Descriptor against the Partition Descriptors.
    pub fn new(
        src: &dyn ReadAt,
        block_size: u32,
        maps: &[PartitionMapDesc],
        descs: &[PartitionDesc],
    ) -> IsoResult<Self> {
        let bs = u64::from(block_size);
        let start_of = |number: u16| -> Option<u64> {
            descs
                .iter()
                .find(|d| d.number == number)
                .map(|d| u64::from(d.start) * bs)
        };
        let mut parts = Partitions {
            block_size: bs,
            maps: Vec::new(),
        };
        // Physical maps first: the metadata maps need them.
        for m in maps {
            parts.maps.push(match m {
                PartitionMapDesc::Physical { partition }
                | PartitionMapDesc::Sparable { partition } => match start_of(*partition) {
                    Some(start) => Resolved::Physical { start },
                    None => Resolved::Unsupported(format!(
                        "partition {partition} has no partition descriptor"
                    )),
                },
                PartitionMapDesc::Metadata { .. } | PartitionMapDesc::Virtual { .. } => {
                    Resolved::Unsupported("pending".into())
                }
                PartitionMapDesc::Unsupported(name) => {
                    Resolved::Unsupported(format!("partition map {name:?}"))
                }
            });
        }
        for (i, m) in maps.iter().enumerate() {
            if let PartitionMapDesc::Virtual { partition } = m {
                let phys = maps.iter().position(|p| {
                    matches!(p, PartitionMapDesc::Physical { partition: q }
                        | PartitionMapDesc::Sparable { partition: q } if q == partition)
                });
                let resolved = match phys {
                    None => Resolved::Unsupported(format!(
                        "virtual partition on partition {partition}, which has no map"
                    )),
                    Some(p) => match find_vat(src, &parts, p as u16) {
                        Ok(table) => Resolved::Virtual {
                            physical: p as u16,
                            table,
                        },
                        Err(e) => Resolved::Unsupported(format!("virtual allocation table: {e}")),
                    },
                };
                if let Some(slot) = parts.maps.get_mut(i) {
                    *slot = resolved;
                }
                continue;
            }
            if let PartitionMapDesc::Metadata {
                partition,
                file,
                mirror,
            } = m
            {
                let phys = maps.iter().position(|p| {
                    matches!(p, PartitionMapDesc::Physical { partition: q }
                        | PartitionMapDesc::Sparable { partition: q } if q == partition)
                });
                let resolved = match phys {
                    None => Resolved::Unsupported(format!(
                        "metadata partition on partition {partition}, which has no map"
                    )),
                    Some(p) => {
                        let p = p as u16;
                        match parts.metadata_file(src, p, *file) {
                            Ok(map) => Resolved::Metadata { map },
                            Err(e) => {
                                tracing::warn!(
                                    "UDF metadata file unusable ({e}); using the mirror"
                                );
                                match parts.metadata_file(src, p, *mirror) {
                                    Ok(map) => Resolved::Metadata { map },
                                    Err(e2) => Resolved::Unsupported(format!(
                                        "metadata file: {e}; mirror: {e2}"
                                    )),
                                }
                            }
                        }
                    }
                };
                if let Some(slot) = parts.maps.get_mut(i) {
                    *slot = resolved;
                }
            }
        }
        Ok(parts)
    }

    fn metadata_file(&self, src: &dyn ReadAt, phys: u16, block: u32) -> IsoResult<ExtentMap> {
        let addr = LbAddr {
            block,
            partition: phys,
        };
        let (raw, at) = self.read_block(src, addr)?;
        let fe = FileEntry::parse(&raw, at)?;
        let ads = collect_ads(src, self, &fe, phys)?;
        file_map(self, &ads, fe.size)
    }
}
