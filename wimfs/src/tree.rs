//! The image model: the dentry tree of one image turned into inodes (hard links merged),
//! with each inode's streams resolved against the blob table.
//!
//! Hostile-input rules: every dentry offset is parsed at most once (which bounds the work by
//! the resource size and turns cycles into errors), traversal uses an explicit stack, names
//! that are empty, `.`, `..`, or contain `/` or NUL are skipped (as wimlib does), and the
//! first of two same-named siblings wins.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use common::vfs::is_safe_name;

use crate::error::{WimError, WimResult};
use crate::format::dentry::{parse_dentry, ATTR_ENCRYPTED};
use crate::format::reparse::{TAG_MOUNT_POINT, TAG_SYMLINK};
use crate::format::security::parse_security_data;
use crate::format::tagged::{parse_tagged_items, UnixData};
use crate::format::{DentryRecord, Sha1Hash};
use crate::wim::WimFile;

/// What an inode is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// Regular file (also reparse points that are not links, e.g. WOF-compressed files).
    File,
    /// Directory.
    Directory,
    /// Symlink or junction.
    Symlink,
}

/// A stream of an inode: the blob holding it, or none when empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamRef {
    /// Blob hash (zero = empty stream).
    pub hash: Sha1Hash,
    /// Uncompressed size (0 when empty or when the blob is missing).
    pub size: u64,
    /// The hash names a blob the WIM does not have.
    pub missing: bool,
}

/// One inode of an image.
#[derive(Debug, Clone)]
pub struct Inode {
    /// Kind.
    pub kind: NodeKind,
    /// FILE_ATTRIBUTE_* bits.
    pub attributes: u32,
    /// Index into the image's security descriptors, or negative.
    pub security_id: i32,
    /// FILETIMEs: creation, last access, last write.
    pub times: [u64; 3],
    /// The unnamed data stream.
    pub data: StreamRef,
    /// The reparse stream (reparse points only).
    pub reparse: Option<StreamRef>,
    /// Reparse tag.
    pub reparse_tag: u32,
    /// Reparse flags from the dentry.
    pub rp_flags: u16,
    /// Named data streams (UTF-16 name, stream).
    pub named_streams: Vec<(Vec<u16>, StreamRef)>,
    /// wimlib UNIX data.
    pub unix: Option<UnixData>,
    /// Extended attributes.
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    /// Object id.
    pub object_id: Option<Vec<u8>>,
    /// DOS 8.3 name of the first link that had one.
    pub short_name: Vec<u16>,
    /// Number of names (hard links); for directories, 2 + subdirectories.
    pub nlink: u32,
    /// Parent directory inode (root: itself).
    pub parent: u64,
    /// Children, sorted by name (directories only).
    pub children: Vec<(OsString, u64)>,
}

/// The tree of one image.
#[derive(Debug)]
pub struct ImageTree {
    /// Inodes; inode number `n` is `inodes[n - 1]`, root is 1.
    pub inodes: Vec<Inode>,
    /// Security descriptors (self-relative).
    pub security: Vec<Vec<u8>>,
    /// Names skipped because they could not be served safely.
    pub skipped_names: usize,
}

/// Largest metadata resource accepted (the biggest Windows images have ~300 MB).
const MAX_METADATA: u64 = 2 << 30;

fn stream(wim: &WimFile, hash: Sha1Hash) -> StreamRef {
    if hash.is_zero() {
        return StreamRef {
            hash,
            size: 0,
            missing: false,
        };
    }
    match wim.blob(&hash) {
        Some(b) => StreamRef {
            hash,
            size: b.size,
            missing: false,
        },
        None => StreamRef {
            hash,
            size: 0,
            missing: true,
        },
    }
}

/// A dentry's streams by role.
struct ClassifiedStreams {
    data: Sha1Hash,
    reparse: Option<Sha1Hash>,
    named: Vec<(Vec<u16>, Sha1Hash)>,
}

/// Splits a dentry's streams into unnamed data, reparse and named ones, the way wimlib's
/// `assign_stream_types_unencrypted` reads them: the main hash is stream 0, the extra entries
/// follow; the first unnamed non-zero stream of a reparse point is its reparse data.
fn classify_streams(d: &DentryRecord) -> ClassifiedStreams {
    let mut unnamed = Vec::new();
    let mut named = Vec::new();
    if !d.main_hash.is_zero() {
        unnamed.push(d.main_hash);
    }
    for s in &d.extra_streams {
        if s.name.is_empty() {
            unnamed.push(s.hash);
        } else {
            named.push((s.name.clone(), s.hash));
        }
    }
    if d.attributes & ATTR_ENCRYPTED != 0 {
        // The EFS raw data is not the file's contents: show nothing rather than ciphertext.
        return ClassifiedStreams {
            data: Sha1Hash::ZERO,
            reparse: None,
            named: Vec::new(),
        };
    }
    let mut it = unnamed.into_iter();
    if d.is_reparse_point() {
        let reparse = Some(it.next().unwrap_or(Sha1Hash::ZERO));
        let data = it.next().unwrap_or(Sha1Hash::ZERO);
        ClassifiedStreams {
            data,
            reparse,
            named,
        }
    } else {
        let data = it.next().unwrap_or(Sha1Hash::ZERO);
        ClassifiedStreams {
            data,
            reparse: None,
            named,
        }
    }
}

fn new_inode(wim: &WimFile, buf: &[u8], d: &DentryRecord, parent: u64) -> Inode {
    let ClassifiedStreams {
        data,
        reparse,
        named,
    } = classify_streams(d);
    let tagged = buf
        .get(d.tagged_items.clone())
        .map(parse_tagged_items)
        .unwrap_or_default();
    let is_link = d.is_reparse_point() && matches!(d.reparse_tag, TAG_SYMLINK | TAG_MOUNT_POINT);
    let kind = if is_link {
        NodeKind::Symlink
    } else if d.is_directory() {
        NodeKind::Directory
    } else {
        NodeKind::File
    };
    Inode {
        kind,
        attributes: d.attributes,
        security_id: d.security_id,
        times: [d.creation_time, d.last_access_time, d.last_write_time],
        data: stream(wim, data),
        reparse: reparse.map(|h| stream(wim, h)),
        reparse_tag: d.reparse_tag,
        rp_flags: d.rp_flags,
        named_streams: named
            .into_iter()
            .map(|(n, h)| (n, stream(wim, h)))
            .collect(),
        unix: tagged.unix,
        xattrs: tagged.xattrs,
        object_id: tagged.object_id,
        short_name: d.short_name.clone(),
        nlink: 1,
        parent,
        children: Vec::new(),
    }
}

fn empty_root() -> Inode {
    Inode {
        kind: NodeKind::Directory,
        attributes: crate::format::dentry::ATTR_DIRECTORY,
        security_id: -1,
        times: [0; 3],
        data: StreamRef {
            hash: Sha1Hash::ZERO,
            size: 0,
            missing: false,
        },
        reparse: None,
        reparse_tag: 0,
        rp_flags: 0,
        named_streams: Vec::new(),
        unix: None,
        xattrs: Vec::new(),
        object_id: None,
        short_name: Vec::new(),
        nlink: 1,
        parent: 1,
        children: Vec::new(),
    }
}

impl ImageTree {
    /// Reads image `index` (1-based) of `wim`.
    pub fn load(wim: &WimFile, index: u32) -> WimResult<Self> {
        let blob = *wim.metadata_blob(index)?;
        let buf = wim.reader(&blob)?.read_all(MAX_METADATA)?;
        Self::from_metadata(wim, &buf)
    }

    /// Builds the tree from a decoded metadata resource.
    pub fn from_metadata(wim: &WimFile, buf: &[u8]) -> WimResult<Self> {
        let sd = parse_security_data(buf)?;
        let security = sd
            .descriptors
            .iter()
            .map(|r| buf[r.clone()].to_vec())
            .collect();
        let root = parse_dentry(buf, sd.root_offset)?;
        let mut tree = ImageTree {
            inodes: Vec::new(),
            security,
            skipped_names: 0,
        };
        let Some(root) = root else {
            // No dentries at all: an empty image.
            tree.inodes.push(empty_root());
            return Ok(tree);
        };
        if !root.is_directory() {
            return Err(WimError::invalid(
                "root directory entry",
                root.offset,
                "the root is not a directory",
            ));
        }
        let mut root_inode = new_inode(wim, buf, &root, 1);
        root_inode.kind = NodeKind::Directory;
        tree.inodes.push(root_inode);

        let mut seen_offsets: HashSet<u64> = HashSet::new();
        seen_offsets.insert(root.offset);
        let mut links: HashMap<u64, u64> = HashMap::new();
        let mut stack: Vec<(u64, u64)> = Vec::new();
        if root.subdir_offset != 0 {
            stack.push((1, root.subdir_offset));
        }
        while let Some((dir_ino, list_offset)) = stack.pop() {
            let mut names: HashSet<OsString> = HashSet::new();
            let mut offset = list_offset;
            loop {
                if !seen_offsets.insert(offset) {
                    return Err(WimError::invalid(
                        "directory entry (metadata resource)",
                        offset,
                        "reached twice: the directory tree has a cycle or shared entries",
                    ));
                }
                let Some(d) = parse_dentry(buf, offset)? else {
                    break;
                };
                offset = d.next_offset;
                let name = OsString::from_vec(String::from_utf16_lossy(&d.name).into_bytes());
                if !is_safe_name(name.as_encoded_bytes()) || d.name.contains(&0) {
                    tracing::warn!(
                        "skipping an entry with an unusable name {name:?} at metadata offset {}",
                        d.offset
                    );
                    tree.skipped_names += 1;
                    continue;
                }
                if !names.insert(name.clone()) {
                    tracing::warn!(
                        "skipping a duplicate entry {name:?} at metadata offset {}",
                        d.offset
                    );
                    tree.skipped_names += 1;
                    continue;
                }
                let ino = tree.add_dentry(wim, buf, &d, dir_ino, &mut links)?;
                tree.inodes[(dir_ino - 1) as usize]
                    .children
                    .push((name, ino));
                if d.subdir_offset != 0
                    && tree.inodes[(ino - 1) as usize].kind == NodeKind::Directory
                {
                    stack.push((ino, d.subdir_offset));
                }
            }
        }
        for inode in &mut tree.inodes {
            inode
                .children
                .sort_by(|a, b| a.0.as_encoded_bytes().cmp(b.0.as_encoded_bytes()));
        }
        Ok(tree)
    }

    fn add_dentry(
        &mut self,
        wim: &WimFile,
        buf: &[u8],
        d: &DentryRecord,
        parent: u64,
        links: &mut HashMap<u64, u64>,
    ) -> WimResult<u64> {
        if d.hard_link_group != 0 && !d.is_directory() {
            if let Some(&ino) = links.get(&d.hard_link_group) {
                let existing = &mut self.inodes[(ino - 1) as usize];
                let data = classify_streams(d).data;
                // A group whose members disagree about their data is split (wimlib does too).
                if data.is_zero() || data == existing.data.hash {
                    existing.nlink += 1;
                    if existing.short_name.is_empty() {
                        existing.short_name = d.short_name.clone();
                    }
                    return Ok(ino);
                }
            }
        }
        self.inodes.push(new_inode(wim, buf, d, parent));
        let ino = self.inodes.len() as u64;
        if d.hard_link_group != 0 && !d.is_directory() {
            links.entry(d.hard_link_group).or_insert(ino);
        }
        Ok(ino)
    }

    /// The inode `ino`, if it exists.
    pub fn inode(&self, ino: u64) -> Option<&Inode> {
        ino.checked_sub(1).and_then(|i| self.inodes.get(i as usize))
    }

    /// Counts (directories, non-directories) like the XML's DIRCOUNT/FILECOUNT (root excluded).
    pub fn counts(&self) -> (u64, u64) {
        let dirs = self
            .inodes
            .iter()
            .filter(|i| i.kind == NodeKind::Directory)
            .count() as u64;
        (dirs.saturating_sub(1), self.inodes.len() as u64 - dirs)
    }
}
