//! What `isofs info` prints: volume label, the trees present, El Torito boot entries and the
//! partition table of hybrid images; and `--extract-boot`.

use std::fmt;
use std::path::{Path, PathBuf};

use common::io::{FileSource, ReadAt};

use crate::eltorito::{parse_catalog, BootEntry};
use crate::error::{IsoError, IsoResult};
use crate::hybrid::{gpt_header, parse_gpt_entries, parse_mbr, Partition};
use crate::image::Recognized;
use crate::iso9660::descriptor::SECTOR;
use crate::read::image::read_vec;

/// A description of an image.
#[derive(Debug, Clone)]
pub struct ImageInfo {
    /// Image size in bytes.
    pub size: u64,
    /// What was recognized.
    pub recognized: Recognized,
    /// El Torito entries (empty if not bootable).
    pub boot: Vec<BootEntry>,
    /// Why the boot catalog could not be read, if it could not.
    pub boot_error: Option<String>,
    /// MBR and GPT partitions.
    pub partitions: Vec<Partition>,
}

impl ImageInfo {
    /// Reads the description of the image at `path`.
    pub fn read(path: &Path) -> IsoResult<Self> {
        let src = FileSource::open(path)
            .map_err(|e| IsoError::io(format!("opening {}", path.display()), e))?;
        Self::from_source(&src)
    }

    /// Reads the description of the image in `src`.
    pub fn from_source(src: &dyn ReadAt) -> IsoResult<Self> {
        let recognized = Recognized::scan(src)?;
        if recognized.trees().is_empty() {
            return Err(IsoError::NotAnImage(
                "no ISO 9660 volume descriptor or UDF anchor found".into(),
            ));
        }
        let (boot, boot_error) = match recognized.iso.boot_catalog {
            None => (Vec::new(), None),
            Some(sector) => match read_catalog(src, sector) {
                Ok(b) => (b, None),
                Err(e) => (Vec::new(), Some(e.to_string())),
            },
        };
        let partitions = read_partitions(src).unwrap_or_else(|e| {
            tracing::warn!("cannot read the partition table: {e}");
            Vec::new()
        });
        Ok(Self {
            size: src.len(),
            recognized,
            boot,
            boot_error,
            partitions,
        })
    }

    /// Writes each boot image to `dir/boot-N-PLATFORM.img`; returns the paths written.
    pub fn extract_boot(&self, image: &Path, dir: &Path) -> IsoResult<Vec<PathBuf>> {
        let src = FileSource::open(image)
            .map_err(|e| IsoError::io(format!("opening {}", image.display()), e))?;
        self.extract_boot_from(&src, dir)
    }

    /// Like [`Self::extract_boot`], for the image in `src`.
    pub fn extract_boot_from(&self, src: &dyn ReadAt, dir: &Path) -> IsoResult<Vec<PathBuf>> {
        let mut out = Vec::new();
        for (i, b) in self.boot.iter().enumerate() {
            let at = u64::from(b.lba) * SECTOR;
            let len = b.image_size().min(src.len().saturating_sub(at));
            let bytes = read_vec(src, at, len, "El Torito boot image")?;
            let path = dir.join(format!(
                "boot-{}-{}.img",
                i + 1,
                b.platform_name().to_lowercase()
            ));
            std::fs::write(&path, bytes)
                .map_err(|e| IsoError::io(format!("writing {}", path.display()), e))?;
            out.push(path);
        }
        Ok(out)
    }
}

fn read_catalog(src: &dyn ReadAt, sector: u32) -> IsoResult<Vec<BootEntry>> {
    let at = u64::from(sector) * SECTOR;
    let raw = read_vec(src, at, SECTOR, "El Torito boot catalog")?;
    parse_catalog(&raw, at)
}

fn read_partitions(src: &dyn ReadAt) -> IsoResult<Vec<Partition>> {
    if src.len() < 1024 {
        return Ok(Vec::new());
    }
    let first = read_vec(src, 0, 1024, "system area")?;
    let mut parts = parse_mbr(&first[..512])?;
    if let Some((at, count, size)) = gpt_header(&first[512..])? {
        let len = u64::from(count) * u64::from(size);
        let raw = read_vec(src, at, len, "GPT entries")?;
        parts.extend(parse_gpt_entries(&raw, size, at)?);
    }
    Ok(parts)
}

impl fmt::Display for ImageInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let iso = &self.recognized.iso;
        writeln!(f, "size: {} bytes", self.size)?;
        let label = iso
            .primary
            .as_ref()
            .map(|p| p.volume_id.clone())
            .or_else(|| self.recognized.udf.as_ref().map(|u| u.lvd.label.clone()));
        if let Some(l) = label {
            writeln!(f, "volume label: {l}")?;
        }
        if let Some(p) = &iso.primary {
            writeln!(
                f,
                "ISO 9660: {} blocks of {} bytes",
                p.space_blocks, p.block_size
            )?;
            if !p.system_id.is_empty() {
                writeln!(f, "  system: {}", p.system_id)?;
            }
            if !p.application.is_empty() {
                writeln!(f, "  application: {}", p.application)?;
            }
        }
        if let Some(j) = &iso.joliet {
            writeln!(
                f,
                "Joliet: level {} (label {:?})",
                j.joliet_level.unwrap_or(0),
                j.volume_id
            )?;
        }
        if let Some(rr) = &iso.rock_ridge {
            writeln!(
                f,
                "Rock Ridge: yes (extensions: {})",
                rr.extensions.join(", ")
            )?;
        }
        if let Some(u) = &self.recognized.udf {
            writeln!(
                f,
                "UDF: revision {}, label {:?}, block size {}",
                u.revision(),
                u.lvd.label,
                u.lvd.block_size
            )?;
            for (i, m) in u.lvd.maps.iter().enumerate() {
                writeln!(f, "  partition map {i}: {m:?}")?;
            }
        }
        if let Some(e) = &self.recognized.udf_error {
            writeln!(f, "UDF: unreadable: {e}")?;
        }
        let trees: Vec<&str> = self.recognized.trees().iter().map(|t| t.name()).collect();
        writeln!(
            f,
            "trees: {} (default: {})",
            trees.join(", "),
            trees.first().unwrap_or(&"-")
        )?;
        if let Some(e) = &self.boot_error {
            writeln!(f, "El Torito: unreadable boot catalog: {e}")?;
        }
        for (i, b) in self.boot.iter().enumerate() {
            writeln!(
                f,
                "El Torito entry {}: {} {}, {}, load segment {:#x}, {} sectors at block {}",
                i + 1,
                b.platform_name(),
                if b.bootable {
                    "bootable"
                } else {
                    "not bootable"
                },
                b.media_name(),
                b.load_segment,
                b.sector_count,
                b.lba
            )?;
        }
        for p in &self.partitions {
            writeln!(
                f,
                "partition {} {}: type {}, start {} size {} sectors{}{}",
                p.table,
                p.index,
                p.kind,
                p.start,
                p.sectors,
                if p.name.is_empty() { "" } else { ", name " },
                p.name
            )?;
        }
        Ok(())
    }
}
