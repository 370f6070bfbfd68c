//! The volume descriptors of a UDF volume descriptor sequence that we use:
//! ECMA-167 3/10.1 Primary Volume Descriptor (volume identifier), 3/10.5 Partition Descriptor
//! (partition number, start and length in sectors) and 3/10.6 Logical Volume Descriptor
//! (block size, domain identifier with the UDF revision, the File Set Descriptor's location,
//! and the partition maps, 3/10.7: type 1 physical, type 2 by identifier: OSTA UDF 2.60 2.2.10
//! metadata, 2.2.9 sparable, 2.2.8 virtual).

use crate::bytes::Fields;
use crate::error::{IsoError, IsoResult};
use crate::udf::cs0::dstring;
use crate::udf::icb::LongAd;

/// A Partition Descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionDesc {
    /// The partition number partition maps refer to.
    pub number: u16,
    /// First sector.
    pub start: u32,
    /// Length in sectors.
    pub len: u32,
}

impl PartitionDesc {
    /// Parses a Partition Descriptor read at image byte `offset`.
    pub fn parse(raw: &[u8], offset: u64) -> IsoResult<Self> {
        let f = Fields::new(raw, "UDF partition descriptor", offset);
        Ok(Self {
            number: f.le16(22)?,
            start: f.le32(188)?,
            len: f.le32(192)?,
        })
    }
}

/// A partition map of the Logical Volume Descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionMapDesc {
    /// Type 1: the partition with this number.
    Physical {
        /// Partition number.
        partition: u16,
    },
    /// Type 2 "*UDF Metadata Partition": blocks are those of the metadata file.
    Metadata {
        /// The physical partition number holding the metadata files.
        partition: u16,
        /// Block of the metadata file's File Entry in that partition.
        file: u32,
        /// Block of the mirror file's File Entry.
        mirror: u32,
    },
    /// Type 2 "*UDF Sparable Partition": read as the physical partition (the sparing table
    /// only matters for rewritten packets of media with defects).
    Sparable {
        /// Partition number.
        partition: u16,
    },
    /// Type 2 "*UDF Virtual Partition" (OSTA UDF 2.60 2.2.8): blocks are mapped through the
    /// Virtual Allocation Table of write-once media (CD-R, DVD-R, BD-R).
    Virtual {
        /// The physical partition number holding the VAT and the data.
        partition: u16,
    },
    /// Another type 2 map: not supported.
    Unsupported(String),
}

/// The Logical Volume Descriptor fields we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogicalVolume {
    /// Logical volume identifier (the label).
    pub label: String,
    /// Logical block size.
    pub block_size: u32,
    /// The UDF revision from the domain identifier suffix (e.g. 0x0250), 0 if absent.
    pub revision: u16,
    /// Where the File Set Descriptor is.
    pub fsd: LongAd,
    /// The partition maps, indexed by partition reference number.
    pub maps: Vec<PartitionMapDesc>,
}

/// At most this many partition maps are read.
pub const MAX_MAPS: u32 = 64;

impl LogicalVolume {
    /// Parses a Logical Volume Descriptor read at image byte `offset`.
    pub fn parse(raw: &[u8], offset: u64) -> IsoResult<Self> {
        let f = Fields::new(raw, "UDF logical volume descriptor", offset);
        let block_size = f.le32(212)?;
        if !block_size.is_power_of_two() || !(512..=65536).contains(&block_size) {
            return Err(IsoError::invalid(
                "UDF logical volume descriptor",
                offset,
                format!("logical block size {block_size}"),
            ));
        }
        let domain = f.bytes(216, 32)?;
        let revision = if domain.get(1..20) == Some(b"*OSTA UDF Compliant") {
            f.le16(216 + 24)?
        } else {
            0
        };
        let fsd = LongAd::parse(f.bytes(248, 16)?, offset + 248)?;
        let table_len = f.le32(264)? as usize;
        let count = f.le32(268)?.min(MAX_MAPS);
        let table = f.bytes(440, table_len.min(raw.len().saturating_sub(440)))?;
        let mut maps = Vec::new();
        let mut pos = 0usize;
        for _ in 0..count {
            let Some(&[kind, len]) = table.get(pos..pos + 2) else {
                break;
            };
            let len = usize::from(len);
            let Some(m) = table.get(pos..pos + len).filter(|_| len >= 2) else {
                break;
            };
            let mf = Fields::new(m, "UDF partition map", offset + 440 + pos as u64);
            maps.push(match kind {
                1 => PartitionMapDesc::Physical {
                    partition: mf.le16(4)?,
                },
                2 => {
                    let ident = mf.bytes(5, 23)?;
                    let name = String::from_utf8_lossy(ident)
                        .trim_end_matches('\0')
                        .to_string();
                    match name.as_str() {
                        "*UDF Metadata Partition" => PartitionMapDesc::Metadata {
                            partition: mf.le16(38)?,
                            file: mf.le32(40)?,
                            mirror: mf.le32(44)?,
                        },
                        "*UDF Sparable Partition" => PartitionMapDesc::Sparable {
                            partition: mf.le16(38)?,
                        },
                        "*UDF Virtual Partition" => PartitionMapDesc::Virtual {
                            partition: mf.le16(38)?,
                        },
                        _ => PartitionMapDesc::Unsupported(name),
                    }
                }
                _ => PartitionMapDesc::Unsupported(format!("type {kind}")),
            });
            pos += len;
        }
        Ok(Self {
            label: dstring(f.bytes(84, 128)?),
            block_size,
            revision,
            fsd,
            maps,
        })
    }
}

/// The volume identifier of a Primary Volume Descriptor.
pub fn pvd_label(raw: &[u8], offset: u64) -> IsoResult<String> {
    let f = Fields::new(raw, "UDF primary volume descriptor", offset);
    Ok(dstring(f.bytes(24, 32)?))
}
