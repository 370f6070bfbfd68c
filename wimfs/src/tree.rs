//! The image tree: the dentry tree of one image turned into inodes (hard links merged, see
//! [`crate::inode`]), with each inode's streams resolved against the blob table.
//!
//! Hostile-input rules: every dentry offset is parsed at most once (which bounds the work by
//! the resource size and turns cycles into errors), traversal uses an explicit stack, names
//! that are empty, `.`, `..`, or contain `/` or NUL are skipped (as wimlib does), and the
//! first of two same-named siblings wins.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;

use common::vfs::is_safe_name;

use crate::error::{WimError, WimResult};
use crate::format::dentry::{parse_dentry, ATTR_ENCRYPTED};
use crate::format::reparse::{TAG_MOUNT_POINT, TAG_SYMLINK};
use crate::format::security::parse_security_data;
use crate::format::tagged::parse_tagged_items;
use crate::format::{DentryRecord, Sha1Hash};
pub use crate::inode::{Content, Inode, InodeExtras, NodeKind, StreamRef};
use crate::wim::WimFile;

/// The tree of one image.
#[derive(Debug, Clone)]
pub struct ImageTree {
    /// Inodes; inode number `n` is `inodes[n - 1]` (None once deleted), root is 1.
    pub inodes: Vec<Option<Inode>>,
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
    let mut inode = Inode::bare(kind, d.attributes, 1, parent);
    inode.security_id = d.security_id;
    inode.times = [d.creation_time, d.last_access_time, d.last_write_time];
    inode.data = Content::Blob(stream(wim, data));
    inode.set_extras(InodeExtras {
        reparse: reparse.map(|h| Content::Blob(stream(wim, h))),
        reparse_tag: d.reparse_tag,
        rp_flags: d.rp_flags,
        named_streams: named
            .into_iter()
            .map(|(n, h)| (n, Content::Blob(stream(wim, h))))
            .collect(),
        xattrs: tagged.xattrs,
        object_id: tagged.object_id,
    });
    inode.raw_tagged = buf
        .get(d.tagged_items.clone())
        .map(Box::from)
        .unwrap_or_default();
    inode.unix = tagged.unix;
    inode.short_name = d.short_name.clone().into_boxed_slice();
    inode
}

fn empty_root() -> Inode {
    Inode::bare(
        NodeKind::Directory,
        crate::format::dentry::ATTR_DIRECTORY,
        2,
        1,
    )
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
            tree.inodes.push(Some(empty_root()));
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
        tree.inodes.push(Some(root_inode));

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
                let name = OsString::from(String::from_utf16_lossy(&d.name));
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
                if let Some(dir) = tree.inode_mut(dir_ino) {
                    dir.children.push((name, ino));
                }
                if d.subdir_offset != 0
                    && tree
                        .inode(ino)
                        .is_some_and(|i| i.kind == NodeKind::Directory)
                {
                    stack.push((ino, d.subdir_offset));
                }
            }
        }
        let is_dir: Vec<bool> = tree
            .inodes
            .iter()
            .map(|i| i.as_ref().is_some_and(|i| i.kind == NodeKind::Directory))
            .collect();
        for inode in tree.inodes.iter_mut().flatten() {
            inode
                .children
                .sort_by(|a, b| a.0.as_encoded_bytes().cmp(b.0.as_encoded_bytes()));
            if inode.kind == NodeKind::Directory {
                // POSIX convention: ".", the parent's entry, and each subdirectory's "..".
                let subdirs = inode
                    .children
                    .iter()
                    .filter(|(_, c)| is_dir.get((c - 1) as usize) == Some(&true))
                    .count();
                inode.nlink = 2u32.saturating_add(subdirs as u32);
            }
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
                let data = classify_streams(d).data;
                let Some(existing) = self.inode_mut(ino) else {
                    return Err(WimError::invalid(
                        "hard link group",
                        d.offset,
                        "refers to a missing inode",
                    ));
                };
                // A group whose members disagree about their data is split (wimlib does too).
                if data.is_zero() || Content::Blob(stream(wim, data)) == existing.data {
                    existing.nlink += 1;
                    if existing.short_name.is_empty() {
                        existing.short_name = d.short_name.clone().into_boxed_slice();
                    }
                    return Ok(ino);
                }
            }
        }
        self.inodes.push(Some(new_inode(wim, buf, d, parent)));
        let ino = self.inodes.len() as u64;
        if d.hard_link_group != 0 && !d.is_directory() {
            links.entry(d.hard_link_group).or_insert(ino);
        }
        Ok(ino)
    }

    /// The inode `ino`, if it exists.
    pub fn inode(&self, ino: u64) -> Option<&Inode> {
        ino.checked_sub(1)
            .and_then(|i| self.inodes.get(i as usize))
            .and_then(Option::as_ref)
    }

    /// The inode `ino`, mutably.
    pub fn inode_mut(&mut self, ino: u64) -> Option<&mut Inode> {
        ino.checked_sub(1)
            .and_then(|i| self.inodes.get_mut(i as usize))
            .and_then(Option::as_mut)
    }

    /// Adds an inode; returns its number.
    pub fn add_inode(&mut self, inode: Inode) -> u64 {
        self.inodes.push(Some(inode));
        self.inodes.len() as u64
    }

    /// Live inodes with their numbers.
    pub fn live(&self) -> impl Iterator<Item = (u64, &Inode)> {
        self.inodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.as_ref().map(|n| (i as u64 + 1, n)))
    }

    /// Counts (directories, non-directories) like the XML's DIRCOUNT/FILECOUNT (root excluded).
    pub fn counts(&self) -> (u64, u64) {
        let (mut dirs, mut files) = (0u64, 0u64);
        for (_, i) in self.live() {
            if i.kind == NodeKind::Directory {
                dirs += 1;
            } else {
                files += 1;
            }
        }
        (dirs.saturating_sub(1), files)
    }
}
