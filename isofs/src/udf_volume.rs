//! Recognizing a UDF volume: the volume recognition sequence (an NSR02/NSR03 descriptor from
//! byte 32768 on, ECMA-167 2/9), the anchor at sector 256, else N-256, else N (3/8.4.2.1),
//! with 2048-byte sectors first, then 512, 4096 and 1024 (hard disk and flash images), and
//! the main volume descriptor sequence, else its reserve copy (3/8.4.2), followed through
//! Volume Descriptor Pointers with a hop limit.

use common::io::ReadAt;

use crate::error::{IsoError, IsoResult};
use crate::iso9660::descriptor::{FIRST_DESCRIPTOR, SECTOR};
use crate::read::image::read_vec;
use crate::udf::anchor::{is_vrs, nsr_version, Anchor, ExtentAd};
use crate::udf::descriptors::{pvd_label, LogicalVolume, PartitionDesc};
use crate::udf::tag::{id, Tag};

/// At most this many sectors of one descriptor sequence are read.
pub const MAX_SEQUENCE_SECTORS: u32 = 256;
/// At most this many Volume Descriptor Pointer hops.
pub const MAX_HOPS: usize = 16;

/// A recognized UDF volume.
#[derive(Debug, Clone)]
pub struct UdfVolume {
    /// 2 (NSR02: UDF 1.02/1.50) or 3 (NSR03: UDF 2.00+).
    pub nsr: u8,
    /// The Primary Volume Descriptor's volume identifier.
    pub volume_id: String,
    /// The Logical Volume Descriptor.
    pub lvd: LogicalVolume,
    /// The Partition Descriptors.
    pub partitions: Vec<PartitionDesc>,
}

impl UdfVolume {
    /// The UDF revision as text ("2.50"), from the domain identifier, else from the NSR.
    pub fn revision(&self) -> String {
        match self.lvd.revision {
            0 if self.nsr == 2 => "1.02 (NSR02)".into(),
            0 => "2.00+ (NSR03)".into(),
            r => format!("{:x}.{:02x}", r >> 8, r & 0xFF),
        }
    }
}

fn find_nsr(src: &dyn ReadAt) -> IsoResult<Option<u8>> {
    for i in 0..64u64 {
        let at = FIRST_DESCRIPTOR + i * SECTOR;
        if at + SECTOR > src.len() {
            break;
        }
        let s = read_vec(src, at, 8, "volume recognition sequence")?;
        if let Some(v) = nsr_version(&s) {
            return Ok(Some(v));
        }
        if !is_vrs(&s) {
            break;
        }
    }
    Ok(None)
}

/// Sector sizes tried, in order: optical media, then hard disks and flash (mkudffs -b).
pub const SECTOR_SIZES: [u64; 4] = [2048, 512, 4096, 1024];

/// The anchor and the sector size it was found with.
fn find_anchor(src: &dyn ReadAt) -> Option<(Anchor, u64)> {
    SECTOR_SIZES.into_iter().find_map(|size| {
        let last = (src.len() / size).checked_sub(1)?;
        let mut places = vec![256u64];
        if let Some(n) = last.checked_sub(256) {
            places.push(n);
        }
        places.push(last);
        places.into_iter().find_map(|sector| {
            let at = sector * size;
            let raw = read_vec(src, at, size, "UDF anchor").ok()?;
            // The tag's location must be the sector itself, or any sector size would match.
            let a = Anchor::parse(&raw, at).ok()?;
            (u64::from(crate::udf::tag::Tag::parse(&raw, at).ok()?.location) == sector)
                .then_some((a, size))
        })
    })
}

#[derive(Default)]
struct Found {
    volume_id: String,
    lvd: Option<LogicalVolume>,
    partitions: Vec<PartitionDesc>,
}

fn read_sequence(src: &dyn ReadAt, ext: ExtentAd, sector: u64) -> IsoResult<Found> {
    let mut found = Found::default();
    let mut ext = ext;
    let mut hops = 0;
    'outer: loop {
        let sectors = (u64::from(ext.len) / sector).min(MAX_SEQUENCE_SECTORS.into());
        for i in 0..sectors {
            let at = (u64::from(ext.location) + i) * sector;
            let raw = read_vec(src, at, sector, "UDF volume descriptor")?;
            let tag = Tag::parse(&raw, at)?;
            match tag.id {
                id::PVD => found.volume_id = pvd_label(&raw, at)?,
                id::PD => {
                    let pd = PartitionDesc::parse(&raw, at)?;
                    found.partitions.retain(|p| p.number != pd.number);
                    found.partitions.push(pd);
                }
                id::LVD => found.lvd = Some(LogicalVolume::parse(&raw, at)?),
                id::VDP => {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return Err(IsoError::limit(
                            "UDF volume descriptor pointers",
                            at,
                            MAX_HOPS as u64,
                        ));
                    }
                    let f = crate::bytes::Fields::new(&raw, "UDF volume descriptor pointer", at);
                    ext = ExtentAd {
                        len: f.le32(20)?,
                        location: f.le32(24)?,
                    };
                    continue 'outer;
                }
                id::TD => break 'outer,
                _ => {}
            }
        }
        break;
    }
    Ok(found)
}

/// Recognizes a UDF volume in `src`, if there is one.
pub fn scan(src: &dyn ReadAt) -> IsoResult<Option<UdfVolume>> {
    let nsr = find_nsr(src)?;
    let Some((anchor, sector)) = find_anchor(src) else {
        return Ok(None);
    };
    let mut last_err = None;
    for ext in [anchor.main, anchor.reserve] {
        match read_sequence(src, ext, sector) {
            Ok(Found {
                volume_id,
                lvd: Some(lvd),
                partitions,
            }) if !partitions.is_empty() => {
                return Ok(Some(UdfVolume {
                    nsr: nsr.unwrap_or(if lvd.revision >= 0x0200 { 3 } else { 2 }),
                    volume_id,
                    lvd,
                    partitions,
                }))
            }
            Ok(_) => {
                last_err = Some(IsoError::invalid(
                    "UDF volume descriptor sequence",
                    u64::from(ext.location) * sector,
                    "no logical volume or partition descriptor",
                ))
            }
            Err(e) => {
                tracing::warn!("UDF volume descriptor sequence unusable: {e}");
                last_err = Some(e);
            }
        }
    }
    match last_err {
        Some(e) => Err(e),
        None => Ok(None),
    }
}
