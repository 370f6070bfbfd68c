//! Where an image comes from: a file of the host, or a file inside an ISO image, written
//! `OUTER.iso:/inner/path` or given as `--inner /inner/path` (for outer paths that contain `:`).
//!
//! An inner file is read in place through the outer image's own VFS ([`VfsFile`]): no
//! extraction, no temporary copy, and the outer image's readers (extents, zisofs, cache) apply.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::io::{FileSource, ReadAt};
use common::nested::{lookup_path, split_nested, VfsFile};
use common::vfs::Vfs;

use crate::split_parts;

/// Cache for zisofs blocks of an outer ISO (plain extents are read directly).
const OUTER_CACHE_BYTES: usize = 16 << 20;

pub use crate::split_parts::NamedSource;

/// An image's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// A file of the host.
    File(PathBuf),
    /// The file `inner` (absolute inside the image) of the ISO/UDF image `outer`.
    Inside {
        /// The outer image, a host file.
        outer: PathBuf,
        /// The inner file's path inside it.
        inner: PathBuf,
    },
}

impl ImageSource {
    /// Reads `spec` (a path, or `OUTER:/inner` when OUTER is an existing file) and the
    /// explicit `--inner` path, which wins when given.
    pub fn resolve(spec: &Path, inner: Option<&Path>) -> Result<Self, String> {
        if let Some(inner) = inner {
            if !inner.has_root() {
                return Err(format!(
                    "--inner {}: give the absolute path inside the image, like /sources/install.wim",
                    inner.display()
                ));
            }
            if !spec.is_file() {
                return Err(format!("{}: no such image file", spec.display()));
            }
            return Ok(Self::Inside {
                outer: spec.to_path_buf(),
                inner: inner.to_path_buf(),
            });
        }
        Ok(match split_nested(spec.as_os_str()) {
            Some((outer, inner)) => Self::Inside { outer, inner },
            None => Self::File(spec.to_path_buf()),
        })
    }

    /// The host file, when the image is not inside another one.
    pub fn host_file(&self) -> Option<&Path> {
        match self {
            Self::File(p) => Some(p),
            Self::Inside { .. } => None,
        }
    }

    /// How messages name the image: the path, or `OUTER:INNER`.
    pub fn display(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Inside { outer, inner } => format!("{}:{}", outer.display(), inner.display()),
        }
    }

    /// The same source with the host path made absolute (a daemon may change directory).
    pub fn canonicalize(&self) -> Result<Self, String> {
        let abs = |p: &Path| {
            p.canonicalize()
                .map_err(|e| format!("{}: {e}", p.display()))
        };
        Ok(match self {
            Self::File(p) => Self::File(abs(p)?),
            Self::Inside { outer, inner } => Self::Inside {
                outer: abs(outer)?,
                inner: inner.clone(),
            },
        })
    }

    /// The outer image's filesystem.
    fn open_outer(outer: &Path) -> Result<Arc<dyn Vfs>, String> {
        let iso = isofs::IsoFs::open_path(outer, &isofs::OpenOptions::default(), OUTER_CACHE_BYTES)
            .map_err(|e| format!("{}: {e}", outer.display()))?;
        Ok(Arc::new(iso))
    }

    /// Opens the image's bytes for positional reads.
    pub fn open(&self) -> Result<Arc<dyn ReadAt>, String> {
        match self {
            Self::File(p) => {
                let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
                if meta.is_dir() {
                    return Err(format!("{} is a directory, not an image", p.display()));
                }
                let src = FileSource::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
                Ok(Arc::new(src))
            }
            Self::Inside { outer, inner } => {
                let file = VfsFile::open(Self::open_outer(outer)?, inner)
                    .map_err(|e| format!("{}: {e}", outer.display()))?;
                Ok(Arc::new(file))
            }
        }
    }

    /// Opens a WIM's bytes: the file itself and, for a split WIM inside an image, the other
    /// parts beside it (the outer image is opened once for all of them).
    pub fn open_wim_parts(&self) -> Result<Vec<NamedSource>, String> {
        let Self::Inside { outer, inner } = self else {
            return Ok(vec![(self.open()?, self.display())]);
        };
        let vfs = Self::open_outer(outer)?;
        let first: Arc<dyn ReadAt> = Arc::new(
            VfsFile::open(Arc::clone(&vfs), inner)
                .map_err(|e| format!("{}: {e}", outer.display()))?,
        );
        let mut parts = vec![(Arc::clone(&first), self.display())];
        let name = inner.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let parent = inner.parent().unwrap_or(Path::new("/"));
        let dir =
            lookup_path(vfs.as_ref(), parent).map_err(|e| format!("{}: {e}", outer.display()))?;
        let label = format!("{}:{}", outer.display(), parent.display());
        parts.extend(split_parts::siblings_in_image(
            &vfs,
            dir,
            name,
            first.as_ref(),
            &label,
        )?);
        Ok(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_inner_paths_must_be_absolute_and_the_outer_a_file() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let ok = ImageSource::resolve(&here, Some(Path::new("/a:b/install.wim"))).expect("ok");
        assert_eq!(
            ok,
            ImageSource::Inside {
                outer: here.clone(),
                inner: "/a:b/install.wim".into()
            }
        );
        assert!(ImageSource::resolve(&here, Some(Path::new("rel.wim"))).is_err());
        let missing = Path::new("/no/such/image.iso");
        assert!(ImageSource::resolve(missing, Some(Path::new("/x"))).is_err());
        assert_eq!(
            ImageSource::resolve(missing, None).expect("plain"),
            ImageSource::File(missing.into())
        );
    }
}
