//! Recognizes what an image holds: the ECMA-119 volume descriptor set (primary, Joliet, El
//! Torito boot record), whether the primary tree carries Rock Ridge (an "SP" entry in the
//! root's "." record, P1281 5.3, plus RRIP entries or an "ER"), and (see [`crate::udf`]) a UDF
//! volume.

use common::io::ReadAt;

use crate::error::{IsoError, IsoResult};
use crate::iso9660::descriptor::{VolumeDescriptor, VolumeInfo, FIRST_DESCRIPTOR, SECTOR};
use crate::iso9660::dirrec::DirRecord;
use crate::read::image::read_vec;
use crate::rockridge::info::RrInfo;
use crate::susp::chain;

/// At most this many volume descriptors are read before giving up on a terminator.
pub const MAX_DESCRIPTORS: u64 = 64;

/// Rock Ridge as announced in the root directory.
#[derive(Debug, Clone)]
pub struct RockRidge {
    /// The SP entry's LEN_SKP.
    pub skip: u8,
    /// ER extension identifiers (e.g. "RRIP_1991A", "IEEE_P1282").
    pub extensions: Vec<String>,
}

/// The ECMA-119 side of an image.
#[derive(Debug, Clone, Default)]
pub struct IsoVolume {
    /// The primary volume descriptor.
    pub primary: Option<VolumeInfo>,
    /// The first Joliet supplementary descriptor.
    pub joliet: Option<VolumeInfo>,
    /// Rock Ridge on the primary tree.
    pub rock_ridge: Option<RockRidge>,
    /// The El Torito boot catalog sector.
    pub boot_catalog: Option<u32>,
}

/// Reads the volume descriptor set. An image without one gives an empty [`IsoVolume`] (it may
/// still be UDF-only).
pub fn scan(src: &dyn ReadAt) -> IsoResult<IsoVolume> {
    let mut vol = IsoVolume::default();
    for i in 0..MAX_DESCRIPTORS {
        let at = FIRST_DESCRIPTOR + i * SECTOR;
        if at + SECTOR > src.len() {
            break;
        }
        let sector = read_vec(src, at, SECTOR, "volume descriptor")?;
        if sector.get(1..6) != Some(b"CD001") {
            break;
        }
        match VolumeDescriptor::parse(&sector, at) {
            Ok(VolumeDescriptor::Primary(p)) if vol.primary.is_none() => vol.primary = Some(p),
            Ok(VolumeDescriptor::Supplementary(s))
                if s.joliet_level.is_some() && vol.joliet.is_none() =>
            {
                vol.joliet = Some(s)
            }
            Ok(VolumeDescriptor::Boot {
                catalog: Some(c), ..
            }) => vol.boot_catalog = Some(c),
            Ok(VolumeDescriptor::Terminator) => break,
            Ok(_) => {}
            Err(e) => tracing::warn!("ignoring a volume descriptor: {e}"),
        }
    }
    if let Some(p) = &vol.primary {
        vol.rock_ridge = detect_rock_ridge(src, p).unwrap_or_else(|e| {
            tracing::warn!("cannot check for Rock Ridge: {e}");
            None
        });
    }
    Ok(vol)
}

fn detect_rock_ridge(src: &dyn ReadAt, p: &VolumeInfo) -> IsoResult<Option<RockRidge>> {
    let start = (u64::from(p.root.extent) + u64::from(p.root.ext_attr_len))
        .checked_mul(p.block_size.into())
        .ok_or_else(|| IsoError::invalid("root directory record", p.offset, "overflow"))?;
    let head = read_vec(
        src,
        start,
        255.min(src.len().saturating_sub(start)),
        "root directory",
    )?;
    let dot = DirRecord::parse(&head, start)?;
    let su_off = start + u64::from(dot.len) - dot.system_use.len() as u64;
    // SP must be first in the area (P1281 5.3); ER usually sits in a continuation area.
    let entries = chain::collect(&dot.system_use, su_off, 0, p.block_size, &mut |off, len| {
        read_vec(src, off, len as u64, "SUSP continuation area")
    })?;
    let info = RrInfo::from_entries(&entries)?;
    Ok(info.sp_skip.map(|skip| RockRidge {
        skip,
        extensions: info.extensions,
    }))
}
