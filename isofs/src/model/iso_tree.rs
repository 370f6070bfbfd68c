//! Builds the model from an ECMA-119 directory hierarchy, read as plain ISO 9660, as Joliet
//! (names in UCS-2) or with Rock Ridge (IEEE P1282: POSIX attributes, long names, symlinks,
//! relocated deep directories, zisofs). Directories are walked with an explicit stack; each
//! directory extent is read once (a second reference is a loop and is skipped), so hostile
//! images cannot make the walk run forever or recurse deeply.

use std::collections::{HashMap, HashSet};
use std::time::SystemTime;

use common::io::ReadAt;
use common::vfs::FileKind;

use crate::error::{IsoError, IsoResult};
use crate::iso9660::dirrec::{flags, DirRecord, RecordIter};

use crate::model::node::{Content, Meta, Node};
use crate::model::tree::{Tree, TreeBuilder};
use crate::names;
use crate::read::extent::{ExtentMap, Piece};
use crate::read::image::read_vec;
use crate::rockridge::info::RrInfo;
use crate::rockridge::px::mode;
use crate::susp::chain;
use crate::zisofs::reader::ZisofsFile;

/// How to read names and attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// ECMA-119 names, default attributes.
    Plain,
    /// Joliet UCS-2 names.
    Joliet,
    /// Rock Ridge; `skip` is the SP entry's LEN_SKP.
    RockRidge {
        /// Bytes to skip at the start of each System Use area.
        skip: u8,
    },
}

/// What the walk needs.
#[derive(Debug, Clone)]
pub struct IsoTreeParams {
    /// The root directory record of the chosen volume descriptor.
    pub root: DirRecord,
    /// The logical block size.
    pub block_size: u32,
    /// Names and attributes.
    pub flavor: Flavor,
    /// Owner of files without Rock Ridge attributes.
    pub uid: u32,
    /// Group of files without Rock Ridge attributes.
    pub gid: u32,
}

struct Walker<'a> {
    src: &'a dyn ReadAt,
    p: &'a IsoTreeParams,
    b: TreeBuilder,
    visited: HashSet<u64>,
    hardlinks: HashMap<(u32, u64, u64), u64>,
    stack: Vec<(u64, u64, u64)>,
}

/// Builds the tree. Damaged entries below the root are skipped with a warning naming them;
/// an unreadable root is an error.
pub fn build(src: &dyn ReadAt, p: &IsoTreeParams) -> IsoResult<Tree> {
    let root_meta = Meta::at(0o555, p.uid, p.gid, p.root.mtime);
    let mut w = Walker {
        src,
        p,
        b: TreeBuilder::new(root_meta),
        visited: HashSet::new(),
        hardlinks: HashMap::new(),
        stack: Vec::new(),
    };
    let (start, size) = w.extent_of(&p.root)?;
    w.visited.insert(start);
    w.directory(1, start, size)?;
    while let Some((ino, start, size)) = w.stack.pop() {
        if let Err(e) = w.directory(ino, start, size) {
            tracing::warn!("skipping the contents of a directory: {e}");
        }
    }
    Ok(w.b.finish())
}

impl Walker<'_> {
    fn bs(&self) -> u64 {
        self.p.block_size.into()
    }

    fn extent_of(&self, rec: &DirRecord) -> IsoResult<(u64, u64)> {
        let block = u64::from(rec.extent) + u64::from(rec.ext_attr_len);
        let start = block
            .checked_mul(self.bs())
            .ok_or_else(|| IsoError::invalid("directory record", rec.offset, "extent overflows"))?;
        Ok((start, rec.size.into()))
    }

    fn rr(&self, rec: &DirRecord) -> IsoResult<Option<RrInfo>> {
        let Flavor::RockRidge { skip } = self.p.flavor else {
            return Ok(None);
        };
        let su_off = rec.offset + u64::from(rec.len) - rec.system_use.len() as u64;
        let src = self.src;
        let entries = chain::collect(
            &rec.system_use,
            su_off,
            skip.into(),
            self.p.block_size,
            &mut |off, len| read_vec(src, off, len as u64, "SUSP continuation area"),
        )?;
        RrInfo::from_entries(&entries).map(Some)
    }

    fn meta(&self, rec: &DirRecord, rr: Option<&RrInfo>, dir: bool) -> Meta {
        let perm = if dir { 0o555 } else { 0o444 };
        let mut m = Meta::at(perm, self.p.uid, self.p.gid, rec.mtime);
        if let Some(rr) = rr {
            if let Some(px) = rr.px {
                m.perm = (px.mode & 0o7777) as u16;
                m.uid = px.uid;
                m.gid = px.gid;
            }
            let t = rr.times;
            let mtime: SystemTime = t.modified.unwrap_or(rec.mtime);
            m.mtime = mtime;
            m.atime = t.accessed.unwrap_or(mtime);
            m.ctime = t.changed.unwrap_or(mtime);
            m.crtime = t.created.unwrap_or(mtime);
        }
        m
    }

    fn directory(&mut self, ino: u64, start: u64, size: u64) -> IsoResult<()> {
        let data = read_vec(self.src, start, size, "directory extent")?;
        let mut group: Vec<DirRecord> = Vec::new();
        for rec in RecordIter::new(&data, start, self.p.block_size as usize) {
            let rec = rec?;
            if rec.is_self() {
                if let Ok(Some(rr)) = self.rr(&rec) {
                    let meta = self.meta(&rec, Some(&rr), true);
                    if let Some(n) = self.b.node_mut(ino) {
                        n.meta = meta;
                    }
                }
                continue;
            }
            if rec.is_parent() {
                continue;
            }
            let last = rec.flags & flags::MULTI_EXTENT == 0;
            if let Some(first) = group.first() {
                if first.name != rec.name {
                    tracing::warn!(
                        "multi-extent file at byte {} is not continued; serving what was recorded",
                        first.offset
                    );
                    let done = std::mem::take(&mut group);
                    self.entry(ino, done);
                }
            }
            group.push(rec);
            if last {
                let done = std::mem::take(&mut group);
                self.entry(ino, done);
            }
        }
        if !group.is_empty() {
            self.entry(ino, group);
        }
        Ok(())
    }

    fn entry(&mut self, parent: u64, group: Vec<DirRecord>) {
        let offset = group.first().map_or(0, |r| r.offset);
        if let Err(e) = self.try_entry(parent, group) {
            tracing::warn!("skipping the directory record at byte {offset}: {e}");
        }
    }

    fn name(&self, rec: &DirRecord, rr: Option<&RrInfo>) -> Vec<u8> {
        if let Some(n) = rr.and_then(|r| r.name.clone()) {
            return n;
        }
        match self.p.flavor {
            Flavor::Joliet => names::joliet(&rec.name),
            _ => names::strip_version(&rec.name).to_vec(),
        }
    }

    fn try_entry(&mut self, parent: u64, group: Vec<DirRecord>) -> IsoResult<()> {
        let Some(first) = group.first() else {
            return Ok(());
        };
        if first.flags & flags::ASSOCIATED != 0 {
            return Ok(());
        }
        let rr = self.rr(first)?;
        let rr = rr.as_ref();
        if rr.is_some_and(|r| r.relocated) {
            return Ok(());
        }
        let name = self.name(first, rr);
        if let Some(block) = rr.and_then(|r| r.child_link) {
            // A placeholder for a relocated directory: its "." record says how big it is.
            let start = u64::from(block) * self.bs();
            let head = read_vec(self.src, start, 256.min(self.bs()), "relocated directory")?;
            let dot = DirRecord::parse(&head, start)?;
            let (start, size) = self.extent_of(&dot)?;
            return self.add_dir(parent, &name, self.meta(first, rr, true), start, size);
        }
        if first.is_dir() {
            let (start, size) = self.extent_of(first)?;
            return self.add_dir(parent, &name, self.meta(first, rr, true), start, size);
        }
        let meta = self.meta(first, rr, false);
        let px_type = rr.and_then(|r| r.px).map(|p| p.file_type());
        if let Some(target) = rr.and_then(|r| r.symlink.clone()) {
            if px_type.is_none_or(|t| t == mode::S_IFLNK) {
                let ino = self
                    .b
                    .add(Node::new(meta, Content::Symlink(target.into())))?;
                self.b.link(parent, &name, ino);
                return Ok(());
            }
        }
        if let Some(kind) = rr
            .and_then(|r| r.px)
            .and_then(|p| FileKind::special_from_mode(p.mode))
        {
            let rdev = match kind {
                FileKind::CharDevice | FileKind::BlockDevice => {
                    rr.and_then(|r| r.device).unwrap_or(0)
                }
                _ => 0,
            };
            let ino = self.b.add(Node::new(meta, Content::Special(kind, rdev)))?;
            self.b.link(parent, &name, ino);
            return Ok(());
        }
        let mut map = ExtentMap::new();
        for rec in &group {
            let (start, size) = self.extent_of(rec)?;
            let piece = if rec.unit_size > 0 {
                Piece::Interleaved {
                    start,
                    unit: u64::from(rec.unit_size) * self.bs(),
                    gap: u64::from(rec.gap_size) * self.bs(),
                }
            } else {
                Piece::Image(start)
            };
            map.push(size, piece)?;
        }
        let link_key = rr
            .and_then(|r| r.px)
            .and_then(|px| px.ino)
            .filter(|&i| i != 0)
            .map(|i| (i, map.first_offset().unwrap_or(0), map.size()));
        if let Some(&ino) = link_key.as_ref().and_then(|k| self.hardlinks.get(k)) {
            self.b.link(parent, &name, ino);
            return Ok(());
        }
        let content = match rr.and_then(|r| r.zisofs) {
            Some(zf) if px_type.is_none_or(|t| t == mode::S_IFREG) => {
                Content::Zisofs(Box::new(ZisofsFile::new(map, zf.size)))
            }
            _ => Content::File(map),
        };
        let ino = self.b.add(Node::new(meta, content))?;
        self.b.link(parent, &name, ino);
        if let Some(k) = link_key {
            self.hardlinks.insert(k, ino);
        }
        Ok(())
    }

    fn add_dir(
        &mut self,
        parent: u64,
        name: &[u8],
        meta: Meta,
        start: u64,
        size: u64,
    ) -> IsoResult<()> {
        if !self.visited.insert(start) {
            return Err(IsoError::invalid(
                "directory record",
                start,
                "directory extent already in the tree (a loop or a hard-linked directory)",
            ));
        }
        let ino = self.b.add(Node::new(meta, Content::Dir(Vec::new())))?;
        if self.b.link(parent, name, ino) {
            self.stack.push((ino, start, size));
        }
        Ok(())
    }
}
