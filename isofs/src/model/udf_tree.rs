//! Builds the model from a UDF file set (ECMA-167 part 4, OSTA UDF 2.60 2.3): the File Set
//! Descriptor (4/14.1) names the root directory's ICB; each directory's data is a sequence of
//! File Identifier Descriptors naming ICBs (File Entries). Deleted entries and parent entries
//! are skipped; an ICB named twice is one inode (a hard link), a directory named twice is a
//! loop and is skipped. Indirect Entries (strategy 4096) are followed a bounded number of
//! times. Directories are walked with an explicit stack.

use std::collections::{HashMap, HashSet};

use common::io::ReadAt;
use common::vfs::{encode_dev, FileKind};

use crate::error::{IsoError, IsoResult};
use crate::model::node::{Content, Meta, Node};
use crate::model::tree::{Tree, TreeBuilder};
use crate::read::udf_alloc::{collect_ads, file_map};
use crate::read::udf_partition::Partitions;
use crate::udf::device_ea;
use crate::udf::fentry::FileEntry;
use crate::udf::fid::{characteristics, Fid};
use crate::udf::icb::{file_type, AdForm, LbAddr, LongAd};
use crate::udf::pathcomp;
use crate::udf::tag::{id, Tag};
use crate::udf_volume::UdfVolume;

/// At most this many Indirect Entries are followed from one ICB.
pub const MAX_INDIRECT: usize = 16;

/// The largest symlink content read.
pub const MAX_SYMLINK: u64 = 64 << 10;

struct Walker<'a> {
    src: &'a dyn ReadAt,
    parts: Partitions,
    b: TreeBuilder,
    uid: u32,
    gid: u32,
    dirs: HashSet<LbAddr>,
    files: HashMap<LbAddr, u64>,
    stack: Vec<(u64, FileEntry, u16)>,
}

/// Builds the tree of `vol`; files without owners get `uid`/`gid`.
pub fn build(src: &dyn ReadAt, vol: &UdfVolume, uid: u32, gid: u32) -> IsoResult<Tree> {
    let parts = Partitions::new(src, vol.lvd.block_size, &vol.lvd.maps, &vol.partitions)?;
    let (raw, at) = parts.read_block(src, vol.lvd.fsd.location)?;
    Tag::expect(&raw, at, id::FSD, "UDF file set descriptor")?;
    let root_ad = LongAd::parse(raw.get(400..416).unwrap_or_default(), at + 400)?;
    let mut w = Walker {
        src,
        parts,
        b: TreeBuilder::new(Meta::default()),
        uid,
        gid,
        dirs: HashSet::new(),
        files: HashMap::new(),
        stack: Vec::new(),
    };
    let root = w.entry(root_ad.location)?;
    if root.icb.file_type != file_type::DIRECTORY {
        return Err(IsoError::invalid(
            "UDF root directory",
            at + 400,
            format!("file type {} (expected 4)", root.icb.file_type),
        ));
    }
    let meta = w.meta(&root);
    if let Some(n) = w.b.node_mut(1) {
        n.meta = meta;
    }
    w.dirs.insert(root_ad.location);
    w.directory(1, &root, root_ad.location.partition)?;
    while let Some((ino, fe, part)) = w.stack.pop() {
        if let Err(e) = w.directory(ino, &fe, part) {
            tracing::warn!("skipping the rest of a UDF directory: {e}");
        }
    }
    Ok(w.b.finish())
}

impl Walker<'_> {
    /// The File Entry of the ICB at `addr`, following Indirect Entries (ECMA-167 4/14.7,
    /// strategy 4096) at most [`MAX_INDIRECT`] times.
    fn entry(&self, addr: LbAddr) -> IsoResult<FileEntry> {
        let mut addr = addr;
        for _ in 0..MAX_INDIRECT {
            let (raw, at) = self.parts.read_block(self.src, addr)?;
            if Tag::parse(&raw, at)?.id != id::IE {
                return FileEntry::parse(&raw, at);
            }
            addr = LongAd::parse(raw.get(36..52).unwrap_or_default(), at + 36)?.location;
        }
        Err(IsoError::limit(
            "UDF indirect entries",
            u64::from(addr.block),
            MAX_INDIRECT as u64,
        ))
    }

    fn meta(&self, fe: &FileEntry) -> Meta {
        Meta {
            perm: fe.perm & 0o7777,
            uid: if fe.uid == u32::MAX { self.uid } else { fe.uid },
            gid: if fe.gid == u32::MAX { self.gid } else { fe.gid },
            mtime: fe.mtime,
            atime: fe.atime,
            ctime: fe.ctime,
            crtime: fe.crtime.unwrap_or(fe.mtime),
        }
    }

    /// The bytes of a small file (a directory or a symlink), bounded.
    fn small_content(&self, fe: &FileEntry, part: u16, limit: u64) -> IsoResult<Vec<u8>> {
        if fe.icb.ad_form == AdForm::InIcb {
            let n = usize::try_from(fe.size)
                .unwrap_or(usize::MAX)
                .min(fe.ad_bytes.len());
            return Ok(fe.ad_bytes[..n].to_vec());
        }
        if fe.size > limit {
            return Err(IsoError::limit(
                "UDF directory or symlink size",
                fe.ad_offset,
                limit,
            ));
        }
        let ads = collect_ads(self.src, &self.parts, fe, part)?;
        let map = file_map(&self.parts, &ads, fe.size)?;
        self.parts.read_extents(self.src, &map)
    }

    fn directory(&mut self, ino: u64, fe: &FileEntry, part: u16) -> IsoResult<()> {
        let data = self.small_content(fe, part, crate::read::image::MAX_METADATA_READ)?;
        let mut pos = 0usize;
        while pos + 38 <= data.len() {
            let fid = Fid::parse(&data[pos..], fe.ad_offset + pos as u64)?;
            pos += fid.len;
            let c = fid.characteristics;
            if c & (characteristics::PARENT | characteristics::DELETED) != 0 {
                continue;
            }
            if let Err(e) = self.child(ino, &fid) {
                tracing::warn!(
                    "skipping UDF entry {:?}: {e}",
                    String::from_utf8_lossy(&fid.name)
                );
            }
        }
        Ok(())
    }

    fn child(&mut self, parent: u64, fid: &Fid) -> IsoResult<()> {
        let addr = fid.icb.location;
        if let Some(&ino) = self.files.get(&addr) {
            self.b.link(parent, &fid.name, ino);
            return Ok(());
        }
        let fe = self.entry(addr)?;
        let meta = self.meta(&fe);
        match fe.icb.file_type {
            file_type::DIRECTORY => {
                if !self.dirs.insert(addr) {
                    return Err(IsoError::invalid(
                        "UDF file identifier descriptor",
                        fe.ad_offset,
                        "directory already in the tree (a loop or a hard-linked directory)",
                    ));
                }
                let ino = self.b.add(Node::new(meta, Content::Dir(Vec::new())))?;
                if self.b.link(parent, &fid.name, ino) {
                    self.stack.push((ino, fe, addr.partition));
                }
            }
            file_type::SYMLINK => {
                let raw = self.small_content(&fe, addr.partition, MAX_SYMLINK)?;
                let target = pathcomp::to_posix(&raw).ok_or_else(|| {
                    IsoError::invalid("UDF symlink", fe.ad_offset, "malformed path components")
                })?;
                let ino = self
                    .b
                    .add(Node::new(meta, Content::Symlink(target.into())))?;
                self.files.insert(addr, ino);
                self.b.link(parent, &fid.name, ino);
            }
            file_type::BLOCK_DEVICE
            | file_type::CHAR_DEVICE
            | file_type::FIFO
            | file_type::SOCKET => {
                let ino = self.b.add(Node::new(meta, special_content(&fe)))?;
                self.files.insert(addr, ino);
                self.b.link(parent, &fid.name, ino);
            }
            _ => {
                let content = if fe.icb.ad_form == AdForm::InIcb {
                    let n = usize::try_from(fe.size)
                        .unwrap_or(usize::MAX)
                        .min(fe.ad_bytes.len());
                    Content::Inline(fe.ad_bytes[..n].into())
                } else {
                    let ads = collect_ads(self.src, &self.parts, &fe, addr.partition)?;
                    Content::File(file_map(&self.parts, &ads, fe.size)?)
                };
                let ino = self.b.add(Node::new(meta, content))?;
                self.files.insert(addr, ino);
                self.b.link(parent, &fid.name, ino);
            }
        }
        Ok(())
    }
}

/// The content of a device, FIFO or socket entry (file types 6, 7, 9, 10).
fn special_content(fe: &FileEntry) -> Content {
    let kind = match fe.icb.file_type {
        file_type::BLOCK_DEVICE => FileKind::BlockDevice,
        file_type::CHAR_DEVICE => FileKind::CharDevice,
        file_type::FIFO => FileKind::Fifo,
        _ => FileKind::Socket,
    };
    let rdev = match kind {
        FileKind::BlockDevice | FileKind::CharDevice => {
            device_ea::device_numbers(&fe.ea_bytes, fe.ea_offset)
                .map_or(0, |(major, minor)| encode_dev(major, minor))
        }
        _ => 0,
    };
    Content::Special(kind, rdev)
}
