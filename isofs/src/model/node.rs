//! The image model's inodes: what every tree (ISO 9660, Joliet, Rock Ridge, UDF) is turned into.
//! Inode numbers are indexes into the tree's node table plus one, so the root is inode 1.

use std::time::{SystemTime, UNIX_EPOCH};

use common::vfs::FileKind;

use crate::read::extent::ExtentMap;
use crate::zisofs::reader::ZisofsFile;

/// A directory entry: a served name (already made safe) and the inode it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    /// The name: never empty, ".", "..", nor containing '/' or NUL.
    pub name: Box<[u8]>,
    /// The inode.
    pub ino: u64,
}

/// Where an inode's content lives.
#[derive(Debug)]
pub enum Content {
    /// A directory's entries, sorted by name.
    Dir(Vec<Child>),
    /// Plain file bytes in the image.
    File(ExtentMap),
    /// zisofs-compressed file bytes.
    Zisofs(Box<ZisofsFile>),
    /// File bytes held in the metadata itself (UDF data in the ICB).
    Inline(Box<[u8]>),
    /// A symlink target.
    Symlink(Box<[u8]>),
    /// A device node, FIFO or socket (no data): its kind and device number
    /// ([`common::vfs::encode_dev`]; 0 for FIFOs and sockets).
    Special(FileKind, u32),
}

/// POSIX metadata of an inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Permission bits.
    pub perm: u16,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Modification time.
    pub mtime: SystemTime,
    /// Access time.
    pub atime: SystemTime,
    /// Status change time.
    pub ctime: SystemTime,
    /// Creation time.
    pub crtime: SystemTime,
}

impl Meta {
    /// Metadata with all times set to `t`.
    pub fn at(perm: u16, uid: u32, gid: u32, t: SystemTime) -> Self {
        Self {
            perm,
            uid,
            gid,
            mtime: t,
            atime: t,
            ctime: t,
            crtime: t,
        }
    }
}

impl Default for Meta {
    fn default() -> Self {
        Self::at(0o444, 0, 0, UNIX_EPOCH)
    }
}

/// One inode.
#[derive(Debug)]
pub struct Node {
    /// POSIX metadata.
    pub meta: Meta,
    /// Hard link count (computed when the tree is finished).
    pub nlink: u32,
    /// Content.
    pub content: Content,
}

impl Node {
    /// A node with `content`.
    pub fn new(meta: Meta, content: Content) -> Self {
        Self {
            meta,
            nlink: 1,
            content,
        }
    }

    /// File, directory, symlink or special file.
    pub fn kind(&self) -> FileKind {
        match self.content {
            Content::Dir(_) => FileKind::Directory,
            Content::Symlink(_) => FileKind::Symlink,
            Content::Special(kind, _) => kind,
            _ => FileKind::File,
        }
    }

    /// The device number of a device node, 0 otherwise.
    pub fn rdev(&self) -> u32 {
        match self.content {
            Content::Special(_, rdev) => rdev,
            _ => 0,
        }
    }

    /// Size in bytes (directories: 4096 per 128 entries, as a hint for `ls`).
    pub fn size(&self) -> u64 {
        match &self.content {
            Content::Dir(c) => (c.len() as u64 / 128 + 1) * 4096,
            Content::File(m) => m.size(),
            Content::Zisofs(z) => z.size(),
            Content::Inline(b) | Content::Symlink(b) => b.len() as u64,
            Content::Special(..) => 0,
        }
    }

    /// Bytes occupied in the image.
    pub fn allocated(&self) -> u64 {
        match &self.content {
            Content::File(m) => m.allocated(),
            Content::Zisofs(z) => z.compressed().allocated(),
            _ => self.size(),
        }
    }
}
