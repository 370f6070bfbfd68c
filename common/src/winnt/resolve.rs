//! Windows paths over a [`Vfs`]: case-insensitive lookup, and the Windows metadata of a file
//! (security descriptor, reparse data, named streams) read from the VFS's extended attributes.
//!
//! A lookup tries the exact name first (the common case, and the only way to reach one of two
//! names differing only in case). On a miss, the directory's names are folded
//! ([`super::names::fold`]) into an index; read-only images keep the indexes of recently used
//! directories in a small LRU, since their listings never change.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::num::NonZeroUsize;
use std::sync::Arc;

use lru::LruCache;
use parking_lot::Mutex;

use super::info::{
    FILE_ATTRIBUTE_REPARSE_POINT, STREAM_XATTR_PREFIX, XATTR_REPARSE, XATTR_SECURITY,
};
use super::names::{eq_ignore_case, fold, from_utf16, to_utf16};
use super::reparse::{reparse_tag, symlink_reparse_data, windows_link_target};
use super::security::{check_self_relative, default_security_descriptor};
use crate::vfs::{Attr, FileKind, Vfs, VfsError, VfsResult, ROOT_INO};

/// A directory's names by their folded form (the first of two that fold alike wins).
type DirIndex = HashMap<Vec<u16>, OsString>;

/// How many directory indexes a read-only mount keeps.
const CACHED_DIRS: usize = 256;

/// A path resolved to an inode.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The inode's attributes.
    pub attr: Attr,
    /// The directory holding it (the root for the root).
    pub parent: u64,
    /// Its name as stored (empty for the root).
    pub name: OsString,
    /// The path with every component spelled as stored: `\` for the root.
    pub normalized: Vec<u16>,
    /// The number of components (0 for the root).
    pub depth: usize,
}

/// Case-insensitive path resolution with a cache of directory indexes.
#[derive(Debug)]
pub struct Resolver {
    cache: Option<Mutex<LruCache<u64, Arc<DirIndex>>>>,
}

impl Resolver {
    /// A resolver; `cache` keeps directory indexes (only sound when the tree never changes).
    pub fn new(cache: bool) -> Self {
        let cache = NonZeroUsize::new(CACHED_DIRS)
            .filter(|_| cache)
            .map(|n| Mutex::new(LruCache::new(n)));
        Self { cache }
    }

    fn index<V: Vfs + ?Sized>(&self, vfs: &V, dir: u64) -> VfsResult<Arc<DirIndex>> {
        if let Some(cache) = &self.cache {
            if let Some(hit) = cache.lock().get(&dir) {
                return Ok(Arc::clone(hit));
            }
        }
        let mut index = DirIndex::new();
        vfs.readdir(dir, 0, &mut |_, entry| {
            index
                .entry(fold(&to_utf16(&entry.name)))
                .or_insert_with(|| entry.name.clone());
            false
        })?;
        let index = Arc::new(index);
        if let Some(cache) = &self.cache {
            cache.lock().put(dir, Arc::clone(&index));
        }
        Ok(index)
    }

    /// Looks `name` up in `parent`, ignoring case; returns the stored name and attributes.
    pub fn lookup<V: Vfs + ?Sized>(
        &self,
        vfs: &V,
        parent: u64,
        name: &[u16],
    ) -> VfsResult<(OsString, Attr)> {
        let exact = from_utf16(name);
        match vfs.lookup(parent, &exact) {
            Ok(attr) => return Ok((exact, attr)),
            Err(VfsError::NotFound) => {}
            Err(e) => return Err(e),
        }
        let index = self.index(vfs, parent)?;
        let stored = index.get(&fold(name)).ok_or(VfsError::NotFound)?;
        Ok((stored.clone(), vfs.lookup(parent, stored)?))
    }

    /// Resolves the components of a path (see [`super::names::split_path`]) from the root.
    pub fn resolve<V: Vfs + ?Sized>(
        &self,
        vfs: &V,
        components: &[Vec<u16>],
    ) -> VfsResult<Resolved> {
        let mut here = Resolved {
            attr: vfs.getattr(ROOT_INO)?,
            parent: ROOT_INO,
            name: OsString::new(),
            normalized: Vec::new(),
            depth: 0,
        };
        for component in components {
            if here.attr.kind != FileKind::Directory {
                return Err(VfsError::NotADirectory);
            }
            let (name, attr) = self.lookup(vfs, here.attr.ino, component)?;
            here.normalized.push(u16::from(b'\\'));
            here.normalized.extend(to_utf16(&name));
            here.parent = here.attr.ino;
            here.attr = attr;
            here.name = name;
            here.depth += 1;
        }
        if here.normalized.is_empty() {
            here.normalized.push(u16::from(b'\\'));
        }
        Ok(here)
    }

    /// Forgets the cached index of `dir` (after a write changed its entries).
    pub fn invalidate(&self, dir: u64) {
        if let Some(cache) = &self.cache {
            cache.lock().pop(&dir);
        }
    }
}

/// True for errors meaning "this inode has no such attribute" (or no attributes at all).
fn absent(e: &VfsError) -> bool {
    matches!(
        e,
        VfsError::NoAttribute | VfsError::NotFound | VfsError::Unsupported(_)
    )
}

/// The security descriptor of `attr`'s inode: the image's own when it is sound, else the
/// default one ([`default_security_descriptor`]).
pub fn security_descriptor<V: Vfs + ?Sized>(vfs: &V, attr: &Attr) -> VfsResult<Vec<u8>> {
    match vfs.getxattr(attr.ino, OsStr::new(XATTR_SECURITY)) {
        Ok(sd) => match check_self_relative(&sd) {
            Ok(()) => return Ok(sd),
            Err(why) => tracing::debug!(ino = attr.ino, "ignoring its security descriptor: {why}"),
        },
        Err(e) if absent(&e) => {}
        Err(e) => return Err(e),
    }
    let directory = attr.kind == FileKind::Directory;
    Ok(default_security_descriptor(directory, !vfs.read_only()))
}

/// True for the tags of links (name surrogates: symlinks, junctions); other reparse points
/// (WOF, dedup, cloud files) need filter drivers the mount lacks, so their data is served plain.
pub fn is_link_tag(tag: u32) -> bool {
    tag & 0x2000_0000 != 0
}

/// The reparse buffer Windows sees for `attr`'s inode, if any: the stored one for a link, or
/// for a POSIX symlink without one, a relative symlink made from its target. `depth` is the
/// number of directories between the mount root and the link.
pub fn reparse_data<V: Vfs + ?Sized>(
    vfs: &V,
    attr: &Attr,
    depth: usize,
) -> VfsResult<Option<Vec<u8>>> {
    let flagged = attr.dos_attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0;
    if !flagged && attr.kind != FileKind::Symlink {
        return Ok(None);
    }
    match vfs.getxattr(attr.ino, OsStr::new(XATTR_REPARSE)) {
        Ok(data) if reparse_tag(&data).is_some_and(is_link_tag) => return Ok(Some(data)),
        Ok(_) => {}
        Err(e) if absent(&e) => {}
        Err(e) => return Err(e),
    }
    if attr.kind != FileKind::Symlink {
        return Ok(None);
    }
    let target = vfs.readlink(attr.ino)?;
    let target = String::from_utf8_lossy(&target);
    Ok(windows_link_target(&target, depth).and_then(|t| symlink_reparse_data(&t)))
}

/// The named streams of `ino` (extended attributes `user.<name>`) with their sizes.
pub fn named_streams<V: Vfs + ?Sized>(vfs: &V, ino: u64) -> VfsResult<Vec<(Vec<u16>, u64)>> {
    let names = match vfs.listxattr(ino) {
        Ok(names) => names,
        Err(e) if absent(&e) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for name in names {
        let Some(stream) = name
            .to_str()
            .and_then(|n| n.strip_prefix(STREAM_XATTR_PREFIX))
        else {
            continue;
        };
        if stream.is_empty() || stream.contains(':') {
            continue;
        }
        let size = vfs.getxattr(ino, &name)?.len() as u64;
        out.push((stream.encode_utf16().collect(), size));
    }
    Ok(out)
}

/// The contents of named stream `stream` of `ino` (found ignoring case).
pub fn read_stream<V: Vfs + ?Sized>(vfs: &V, ino: u64, stream: &[u16]) -> VfsResult<Vec<u8>> {
    let mut exact = OsString::from(STREAM_XATTR_PREFIX);
    exact.push(from_utf16(stream));
    match vfs.getxattr(ino, &exact) {
        Ok(data) => return Ok(data),
        Err(e) if absent(&e) => {}
        Err(e) => return Err(e),
    }
    let names = match vfs.listxattr(ino) {
        Ok(names) => names,
        Err(e) if absent(&e) => return Err(VfsError::NotFound),
        Err(e) => return Err(e),
    };
    for name in names {
        let Some(other) = name
            .to_str()
            .and_then(|n| n.strip_prefix(STREAM_XATTR_PREFIX))
        else {
            continue;
        };
        if eq_ignore_case(&other.encode_utf16().collect::<Vec<_>>(), stream) {
            return vfs.getxattr(ino, &name);
        }
    }
    Err(VfsError::NotFound)
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
