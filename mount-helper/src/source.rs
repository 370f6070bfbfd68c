//! Where an image comes from: a file of the host, an `http://` or `https://` URL, or a file
//! inside an ISO image (itself a file or a URL), written `OUTER.iso:/inner/path` or given as
//! `--inner /inner/path` (for outer paths that contain `:`).
//!
//! An inner file is read in place through the outer image's own VFS ([`VfsFile`]): no
//! extraction, no temporary copy, and the outer image's readers (extents, zisofs, cache) apply.
//! A URL is read with range requests ([`HttpSource`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::http::{is_url, HttpSource};
use common::io::{FileSource, ReadAt};
use common::nested::{lookup_path, split_nested, VfsFile};
use common::vfs::Vfs;

use crate::split_parts;
use crate::web::SourceOptions;

/// Cache for zisofs blocks of an outer ISO (plain extents are read directly).
const OUTER_CACHE_BYTES: usize = 16 << 20;

pub use crate::split_parts::NamedSource;

/// An image's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// A file of the host.
    File(PathBuf),
    /// An object on a web server.
    Url(String),
    /// The file `inner` (absolute inside the image) of the ISO/UDF image `outer`.
    Inside {
        /// The outer image: a host file or a URL.
        outer: Box<ImageSource>,
        /// The inner file's path inside it.
        inner: PathBuf,
    },
}

/// Splits `URL:/inner` (the inner path follows the URL's path): `None` without one.
fn split_url_nested(spec: &str) -> Option<(String, PathBuf)> {
    let authority = spec.find("://")? + 3;
    let path = authority + spec[authority..].find('/')?;
    let colon = path + spec[path..].find(":/")?;
    Some((spec[..colon].to_string(), PathBuf::from(&spec[colon + 1..])))
}

impl ImageSource {
    /// Reads `spec` (a path, a URL, or `OUTER:/inner` when OUTER is an existing file or a
    /// URL) and the explicit `--inner` path, which wins when given.
    pub fn resolve(spec: &Path, inner: Option<&Path>) -> Result<Self, String> {
        let url = spec.to_str().filter(|s| is_url(s));
        if let Some(inner) = inner {
            if !inner.has_root() {
                return Err(format!(
                    "--inner {}: give the absolute path inside the image, like /sources/install.wim",
                    inner.display()
                ));
            }
            let outer = match url {
                Some(u) => Self::Url(u.to_string()),
                None if spec.is_file() => Self::File(spec.to_path_buf()),
                None => return Err(format!("{}: no such image file", spec.display())),
            };
            return Ok(Self::Inside {
                outer: Box::new(outer),
                inner: inner.to_path_buf(),
            });
        }
        if let Some(u) = url {
            return Ok(match split_url_nested(u) {
                Some((outer, inner)) => Self::Inside {
                    outer: Box::new(Self::Url(outer)),
                    inner,
                },
                None => Self::Url(u.to_string()),
            });
        }
        Ok(match split_nested(spec.as_os_str()) {
            Some((outer, inner)) => Self::Inside {
                outer: Box::new(Self::File(outer)),
                inner,
            },
            None => Self::File(spec.to_path_buf()),
        })
    }

    /// The host file, when the image is not inside another one nor on a web server.
    pub fn host_file(&self) -> Option<&Path> {
        match self {
            Self::File(p) => Some(p),
            Self::Url(_) | Self::Inside { .. } => None,
        }
    }

    /// True if the image's bytes come from a web server.
    pub fn on_web(&self) -> bool {
        match self {
            Self::File(_) => false,
            Self::Url(_) => true,
            Self::Inside { outer, .. } => outer.on_web(),
        }
    }

    /// How messages name the image: the path, the URL (without credentials or query), or
    /// `OUTER:INNER`.
    pub fn display(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Url(u) => common::http::HttpUrl::parse(u)
                .map(|u| u.display())
                .unwrap_or_else(|_| "(a URL that does not parse)".into()),
            Self::Inside { outer, inner } => format!("{}:{}", outer.display(), inner.display()),
        }
    }

    /// The same source with the host path made absolute (a daemon may change directory).
    pub fn canonicalize(&self) -> Result<Self, String> {
        Ok(match self {
            Self::File(p) => Self::File(
                p.canonicalize()
                    .map_err(|e| format!("{}: {e}", p.display()))?,
            ),
            Self::Url(u) => Self::Url(u.clone()),
            Self::Inside { outer, inner } => Self::Inside {
                outer: Box::new(outer.canonicalize()?),
                inner: inner.clone(),
            },
        })
    }

    /// The outer image's filesystem.
    fn open_outer(outer: &ImageSource, opts: &SourceOptions) -> Result<Arc<dyn Vfs>, String> {
        let bytes = outer.open(opts)?;
        let iso = isofs::IsoFs::open(bytes, &isofs::OpenOptions::default(), OUTER_CACHE_BYTES)
            .map_err(|e| format!("{}: {e}", outer.display()))?;
        Ok(Arc::new(iso))
    }

    /// Opens the image's bytes for positional reads.
    pub fn open(&self, opts: &SourceOptions) -> Result<Arc<dyn ReadAt>, String> {
        match self {
            Self::Url(u) => {
                let src = HttpSource::open(u, &opts.http).map_err(|e| e.to_string())?;
                opts.record(src.name(), src.version().clone());
                Ok(Arc::new(src))
            }
            Self::File(p) => {
                let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
                if meta.is_dir() {
                    return Err(format!("{} is a directory, not an image", p.display()));
                }
                let src = FileSource::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
                Ok(Arc::new(src))
            }
            Self::Inside { outer, inner } => {
                let file = VfsFile::open(Self::open_outer(outer, opts)?, inner)
                    .map_err(|e| format!("{}: {e}", outer.display()))?;
                Ok(Arc::new(file))
            }
        }
    }

    /// Opens a WIM's bytes: the file itself and, for a split WIM inside an image, the other
    /// parts beside it (the outer image is opened once for all of them).
    pub fn open_wim_parts(&self, opts: &SourceOptions) -> Result<Vec<NamedSource>, String> {
        let Self::Inside { outer, inner } = self else {
            return Ok(vec![(self.open(opts)?, self.display())]);
        };
        let vfs = Self::open_outer(outer, opts)?;
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
                outer: Box::new(ImageSource::File(here.clone())),
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

    #[test]
    fn urls_resolve_with_or_without_an_inner_path() {
        let url = "https://u:p@h:8443/isos/x.iso?sig=1";
        assert_eq!(
            ImageSource::resolve(Path::new(url), None).expect("url"),
            ImageSource::Url(url.into())
        );
        let nested =
            ImageSource::resolve(Path::new("http://h:80/x.iso:/sources/install.wim"), None)
                .expect("nested");
        assert_eq!(
            nested,
            ImageSource::Inside {
                outer: Box::new(ImageSource::Url("http://h:80/x.iso".into())),
                inner: "/sources/install.wim".into()
            }
        );
        assert!(nested.on_web() && nested.host_file().is_none());
        let explicit =
            ImageSource::resolve(Path::new(url), Some(Path::new("/a:/b.wim"))).expect("inner");
        assert_eq!(explicit.display(), "https://h:8443/isos/x.iso?…:/a:/b.wim");
    }
}
