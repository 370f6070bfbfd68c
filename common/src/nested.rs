//! Images inside images: a file served by any [`Vfs`] (an `install.wim` inside an ISO, an ISO
//! inside an ISO) read as a positional [`ReadAt`] source, with no extraction and no temporary
//! copy. Reads go through the outer image's own readers (extents, zisofs, chunk cache).

use std::ffi::OsStr;
use std::io;
use std::path::{Component, Path};
use std::sync::Arc;

use crate::io::ReadAt;
use crate::vfs::{FileKind, Vfs, ROOT_INO};

/// A regular file of a mounted image, readable at any offset.
pub struct VfsFile {
    vfs: Arc<dyn Vfs>,
    ino: u64,
    handle: u64,
    len: u64,
    name: String,
}

impl std::fmt::Debug for VfsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VfsFile({}, {} bytes)", self.name, self.len)
    }
}

/// Limit on path components (and symlinks followed) when resolving an inner path.
const MAX_COMPONENTS: usize = 4096;

impl VfsFile {
    /// Opens `path` (absolute inside the image; symlinks are not followed) of `vfs`.
    pub fn open(vfs: Arc<dyn Vfs>, path: &Path) -> io::Result<Self> {
        let ino = lookup_path(vfs.as_ref(), path)?;
        Self::open_ino(vfs, ino, path.display().to_string())
    }

    /// Opens inode `ino` of `vfs`; `name` says where it is, for messages.
    pub fn open_ino(vfs: Arc<dyn Vfs>, ino: u64, name: String) -> io::Result<Self> {
        let err =
            |e: crate::vfs::VfsError| io::Error::other(format!("{name} inside the image: {e}"));
        let attr = vfs.getattr(ino).map_err(err)?;
        if attr.kind != FileKind::File {
            return Err(io::Error::other(format!(
                "{name} inside the image is not a regular file"
            )));
        }
        let handle = vfs.open(ino, false).map_err(err)?.handle;
        Ok(Self {
            vfs,
            ino,
            handle,
            len: attr.size,
            name,
        })
    }
}

impl Drop for VfsFile {
    fn drop(&mut self) {
        let _ = self.vfs.release(self.ino, self.handle);
    }
}

impl ReadAt for VfsFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.len {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.len - offset).unwrap_or(usize::MAX));
        self.vfs
            .read(self.ino, self.handle, offset, &mut buf[..want])
            .map_err(|e| io::Error::other(format!("{}: {e}", self.name)))
    }

    fn len(&self) -> u64 {
        self.len
    }
}

/// The inode of `path` (absolute inside the image; symlinks are not followed) of `vfs`.
pub fn lookup_path(vfs: &dyn Vfs, path: &Path) -> io::Result<u64> {
    let name = path.display();
    let err = |e: crate::vfs::VfsError| io::Error::other(format!("{name} inside the image: {e}"));
    let mut ino = ROOT_INO;
    for (n, c) in path.components().enumerate() {
        if n > MAX_COMPONENTS {
            return Err(io::Error::other(format!("{name}: path too deep")));
        }
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(part) => ino = vfs.lookup(ino, part).map_err(err)?.ino,
            Component::ParentDir | Component::Prefix(_) => {
                return Err(io::Error::other(format!(
                    "{name}: use a plain absolute path inside the image"
                )))
            }
        }
    }
    Ok(ino)
}

/// Splits `OUTER:/inner/path` when `OUTER` is an existing file and the inner part is absolute;
/// `None` for a plain path (including paths that merely contain `:`).
pub fn split_nested(spec: &OsStr) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let bytes = spec.as_encoded_bytes();
    if Path::new(spec).exists() {
        return None;
    }
    let mut at = bytes.len();
    while let Some(i) = bytes[..at].iter().rposition(|&b| b == b':') {
        let (outer, inner) = (&bytes[..i], &bytes[i + 1..]);
        let outer = OsStr::new(std::str::from_utf8(outer).ok()?);
        let inner = std::str::from_utf8(inner).ok()?;
        if inner.starts_with('/') && Path::new(outer).is_file() {
            return Some((outer.into(), inner.into()));
        }
        at = i;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_specs_split_only_when_the_outer_file_exists() {
        let dir = std::env::temp_dir().join(format!("nested-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let outer = dir.join("a:b.iso");
        std::fs::write(&outer, b"x").expect("write");
        let spec = format!("{}:/sources/install.wim", outer.display());
        let (o, i) = split_nested(OsStr::new(&spec)).expect("nested");
        assert_eq!(o, outer);
        assert_eq!(i, Path::new("/sources/install.wim"));
        assert!(split_nested(outer.as_os_str()).is_none());
        assert!(split_nested(OsStr::new("/no/such.iso:/x")).is_none());
        assert!(split_nested(OsStr::new(&format!("{}:relative", outer.display()))).is_none());
        std::fs::remove_dir_all(&dir).ok();
    }
}
