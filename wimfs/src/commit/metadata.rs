//! Serializing an image tree into a metadata resource: the security data, then the dentry
//! tree in wimlib's layout (root dentry, an end-of-directory marker, then each directory's
//! children followed by a marker, depth first; childless directories point at a marker of
//! their own). Stream references follow the rules DISM expects (see `streams_of`).

use std::ffi::OsStr;

use super::refs::FastMap;
use crate::format::dentry::{self, set_subdir_offset, DentryRecord, StreamRecord};
use crate::format::tagged::{UnixData, TAG_UNIX_DATA};
use crate::format::Sha1Hash;
use crate::inode::{Content, Inode, NodeKind, SLOT_DATA, SLOT_NAMED, SLOT_REPARSE};
use crate::tree::ImageTree;

/// The hashes each inode's streams will have in the committed image: a blob of the WIM keeps
/// its hash; every other stream (staged or inline data) was hashed by the commit.
#[derive(Debug, Default)]
pub struct StreamHashes {
    /// (inode, stream slot) -> hash of each stream that was not a blob of the WIM; slots as in
    /// [`Inode::streams`].
    pub hashed: FastMap<(u64, usize), Sha1Hash>,
}

impl StreamHashes {
    /// The hash of stream `slot` of inode `ino`, whose content is `content`.
    pub fn of(&self, ino: u64, slot: usize, content: &Content) -> Sha1Hash {
        match content {
            Content::Blob(s) => s.hash,
            _ => self
                .hashed
                .get(&(ino, slot))
                .copied()
                .unwrap_or(Sha1Hash::ZERO),
        }
    }
}

fn align8(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(8) {
        v.push(0);
    }
}

/// The streams a dentry lists: (name, hash), unnamed first (reparse before data), per
/// wimlib's `write_dentry_streams` rules.
fn streams_of(ino: u64, inode: &Inode, hashes: &StreamHashes) -> Vec<(Vec<u16>, Sha1Hash)> {
    let mut out = Vec::new();
    let extras = inode.extras();
    if let Some(r) = &extras.reparse {
        out.push((Vec::new(), hashes.of(ino, SLOT_REPARSE, r)));
    }
    if inode.kind != NodeKind::Directory {
        out.push((Vec::new(), hashes.of(ino, SLOT_DATA, &inode.data)));
    }
    for (k, (name, c)) in extras.named_streams.iter().enumerate() {
        out.push((name.clone(), hashes.of(ino, SLOT_NAMED + k, c)));
    }
    out
}

/// The tagged-items area: the bytes as read with the UNIX data item replaced.
fn tagged_items(inode: &Inode) -> Vec<u8> {
    let mut out = Vec::new();
    let raw = &inode.raw_tagged;
    let mut p = 0usize;
    while p + 8 <= raw.len() {
        let tag = u32::from_le_bytes([raw[p], raw[p + 1], raw[p + 2], raw[p + 3]]);
        let len = u32::from_le_bytes([raw[p + 4], raw[p + 5], raw[p + 6], raw[p + 7]]) as usize;
        let Some(end) = (p + 8).checked_add(len).filter(|&e| e <= raw.len()) else {
            break;
        };
        let next = (end + 7) & !7;
        if tag != TAG_UNIX_DATA {
            out.extend_from_slice(&raw[p..end]);
            align8(&mut out);
        }
        p = next;
    }
    if let Some(UnixData {
        uid,
        gid,
        mode,
        rdev,
    }) = inode.unix
    {
        out.extend_from_slice(&TAG_UNIX_DATA.to_le_bytes());
        out.extend_from_slice(&16u32.to_le_bytes());
        for v in [uid, gid, mode, rdev] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// Where a dentry goes in the tree: its children's offset, hard-link group, whether it
/// carries the inode's short name.
#[derive(Clone, Copy)]
struct Placement {
    subdir: u64,
    link_group: u64,
    short: bool,
}

/// Writes one dentry (with its extra stream entries) for inode `ino` named `name`.
fn write_dentry(
    out: &mut Vec<u8>,
    name: &OsStr,
    ino: u64,
    inode: &Inode,
    at: Placement,
    hashes: &StreamHashes,
) {
    let Placement {
        subdir,
        link_group,
        short,
    } = at;
    let streams = streams_of(ino, inode, hashes);
    let unnamed = streams.iter().filter(|(n, _)| n.is_empty()).count();
    // A single unnamed stream is stored inline (the main hash) rather than as a stream entry.
    let inline = unnamed <= 1 && streams.len() == unnamed;
    let main_hash = match streams.first() {
        Some((_, h)) if inline => *h,
        _ => Sha1Hash::ZERO,
    };
    let extra_streams = if inline {
        Vec::new()
    } else {
        streams
            .into_iter()
            .map(|(name, hash)| StreamRecord { name, hash })
            .collect()
    };
    let rec = DentryRecord {
        offset: 0,
        attributes: inode.attributes,
        security_id: inode.security_id,
        subdir_offset: subdir,
        creation_time: inode.times[0],
        last_access_time: inode.times[1],
        last_write_time: inode.times[2],
        main_hash,
        reparse_tag: inode.extras().reparse_tag,
        rp_flags: inode.extras().rp_flags,
        hard_link_group: link_group,
        name: name.to_string_lossy().encode_utf16().collect(),
        short_name: if short {
            inode.short_name.to_vec()
        } else {
            Vec::new()
        },
        tagged_items: 0..0,
        extra_streams,
        next_offset: 0,
    };
    dentry::write_dentry(&rec, &tagged_items(inode), out);
}

/// Serializes `tree` into a complete metadata resource.
pub fn write_metadata(tree: &ImageTree, hashes: &StreamHashes) -> Vec<u8> {
    let mut out = Vec::new();
    // Security data.
    let sizes_end = 8 + 8 * tree.security.len();
    let total = sizes_end + tree.security.iter().map(Vec::len).sum::<usize>();
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(tree.security.len() as u32).to_le_bytes());
    for sd in &tree.security {
        out.extend_from_slice(&(sd.len() as u64).to_le_bytes());
    }
    for sd in &tree.security {
        out.extend_from_slice(sd);
    }
    align8(&mut out);

    // Hard-link groups: every file inode with more than one name gets a group id.
    let mut groups: FastMap<u64, u64> = FastMap::default();
    for (ino, inode) in tree.live() {
        if inode.kind == NodeKind::File && inode.nlink > 1 && inode.extras().reparse.is_none() {
            let next = groups.len() as u64 + 1;
            groups.insert(ino, next);
        }
    }
    let Some(root) = tree.inode(1) else {
        return out;
    };
    // One pass: the root, an end marker, then each directory's children followed by a
    // marker, depth first. A directory's subdirectory offset is filled in when its list
    // begins (its own entry was written earlier, in its parent's list).
    let mut entry_at: FastMap<u64, usize> = FastMap::default();
    entry_at.insert(1, out.len());
    let root_at = Placement {
        subdir: 0,
        link_group: 0,
        short: false,
    };
    write_dentry(&mut out, OsStr::new(""), 1, root, root_at, hashes);
    out.extend_from_slice(&[0u8; 8]);
    let mut short_done: FastMap<u64, ()> = FastMap::default();
    let mut stack = vec![1u64];
    while let Some(dir) = stack.pop() {
        let Some(d) = tree.inode(dir) else { continue };
        if let Some(&at) = entry_at.get(&dir) {
            let list = out.len() as u64;
            set_subdir_offset(&mut out, at, list);
        }
        for (name, c) in &d.children {
            let Some(ci) = tree.inode(*c) else { continue };
            let short = !ci.short_name.is_empty() && short_done.insert(*c, ()).is_none();
            if ci.kind == NodeKind::Directory {
                entry_at.insert(*c, out.len());
            }
            let at = Placement {
                subdir: 0,
                link_group: groups.get(c).copied().unwrap_or(0),
                short,
            };
            write_dentry(&mut out, name, *c, ci, at, hashes);
        }
        out.extend_from_slice(&[0u8; 8]);
        // Subdirectories in name order: pushed last to first.
        for (_, c) in d.children.iter().rev() {
            if tree
                .inode(*c)
                .is_some_and(|i| i.kind == NodeKind::Directory)
            {
                stack.push(*c);
            }
        }
    }
    out
}
