//! Opening an image: recognizing its volumes and building the chosen tree. Default choice:
//! Rock Ridge, else UDF, else Joliet, else plain ISO 9660 (so a UDF bridge disc whose ISO 9660
//! side is only a README stub opens as UDF); `--tree` forces one.

use std::fmt;
use std::str::FromStr;

use common::io::ReadAt;

use crate::error::{IsoError, IsoResult};
use crate::model::iso_tree::{self, Flavor, IsoTreeParams};
use crate::model::tree::Tree;
use crate::model::udf_tree;
use crate::udf_volume::{self, UdfVolume};
use crate::volume::{scan, IsoVolume};

/// The directory trees an image can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeKind {
    /// ECMA-119 names only.
    Iso9660,
    /// Joliet (UCS-2 names).
    Joliet,
    /// Rock Ridge (POSIX).
    RockRidge,
    /// UDF.
    Udf,
}

impl TreeKind {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TreeKind::Iso9660 => "iso9660",
            TreeKind::Joliet => "joliet",
            TreeKind::RockRidge => "rockridge",
            TreeKind::Udf => "udf",
        }
    }
}

impl fmt::Display for TreeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TreeKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "iso9660" | "iso" => Ok(TreeKind::Iso9660),
            "joliet" => Ok(TreeKind::Joliet),
            "rockridge" | "rr" => Ok(TreeKind::RockRidge),
            "udf" => Ok(TreeKind::Udf),
            _ => Err(format!(
                "unknown tree {s:?} (expected iso9660, joliet, rockridge or udf)"
            )),
        }
    }
}

/// How to open an image.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Force a tree instead of the default choice.
    pub tree: Option<TreeKind>,
    /// Owner of files whose tree has no owners.
    pub uid: u32,
    /// Group of files whose tree has no groups.
    pub gid: u32,
}

/// Everything recognized in an image.
#[derive(Debug, Clone, Default)]
pub struct Recognized {
    /// The ECMA-119 side.
    pub iso: IsoVolume,
    /// The UDF side.
    pub udf: Option<UdfVolume>,
    /// Why a UDF volume that seemed present could not be read.
    pub udf_error: Option<String>,
}

impl Recognized {
    /// Recognizes the volumes of `src`.
    pub fn scan(src: &dyn ReadAt) -> IsoResult<Self> {
        let iso = scan(src)?;
        let (udf, udf_error) = match udf_volume::scan(src) {
            Ok(u) => (u, None),
            Err(e) => (None, Some(e.to_string())),
        };
        Ok(Self {
            iso,
            udf,
            udf_error,
        })
    }

    /// The trees present, in the default order of preference.
    pub fn trees(&self) -> Vec<TreeKind> {
        let mut t = Vec::new();
        if self.iso.rock_ridge.is_some() {
            t.push(TreeKind::RockRidge);
        }
        if self.udf.is_some() {
            t.push(TreeKind::Udf);
        }
        if self.iso.joliet.is_some() {
            t.push(TreeKind::Joliet);
        }
        if self.iso.primary.is_some() {
            t.push(TreeKind::Iso9660);
        }
        t
    }
}

/// Builds the tree `kind` (or the default one) of a recognized image.
pub fn build_tree(
    src: &dyn ReadAt,
    rec: &Recognized,
    opts: &OpenOptions,
) -> IsoResult<(TreeKind, Tree)> {
    let kind = match opts.tree {
        Some(k) => k,
        None => *rec.trees().first().ok_or_else(|| {
            IsoError::NotAnImage("no ISO 9660 volume descriptor or UDF anchor found".into())
        })?,
    };
    let (vol, flavor) = match kind {
        TreeKind::RockRidge => {
            let rr = rec
                .iso
                .rock_ridge
                .as_ref()
                .ok_or(IsoError::NoSuchTree("Rock Ridge"))?;
            (&rec.iso.primary, Flavor::RockRidge { skip: rr.skip })
        }
        TreeKind::Joliet => (&rec.iso.joliet, Flavor::Joliet),
        TreeKind::Iso9660 => (&rec.iso.primary, Flavor::Plain),
        TreeKind::Udf => {
            let udf = rec.udf.as_ref().ok_or(IsoError::NoSuchTree("UDF"))?;
            return Ok((kind, udf_tree::build(src, udf, opts.uid, opts.gid)?));
        }
    };
    let vol = vol.as_ref().ok_or(IsoError::NoSuchTree(match kind {
        TreeKind::Joliet => "Joliet",
        _ => "ISO 9660",
    }))?;
    let params = IsoTreeParams {
        root: vol.root.clone(),
        block_size: vol.block_size,
        flavor,
        uid: opts.uid,
        gid: opts.gid,
    };
    Ok((kind, iso_tree::build(src, &params)?))
}
