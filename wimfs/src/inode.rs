//! The image model's node types: an inode (kind, attributes, times, names of its children)
//! and what its streams hold (a blob of the WIM, staged data, or nothing). The tree of them is
//! built from the WIM by [`crate::tree`]; a read-write mount changes it in place and commits it
//! back.

use std::ffi::OsString;
use std::sync::Arc;

use crate::format::tagged::UnixData;
use crate::format::Sha1Hash;

/// Stream slot numbers ([`Inode::streams`]): 0 the unnamed data, 1 the reparse data, 2 + k
/// named stream k.
pub const SLOT_DATA: usize = 0;
/// The reparse data's slot.
pub const SLOT_REPARSE: usize = 1;
/// The first named stream's slot.
pub const SLOT_NAMED: usize = 2;

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

/// A stream stored in the WIM: the blob holding it, or none when empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamRef {
    /// Blob hash (zero = empty stream).
    pub hash: Sha1Hash,
    /// Uncompressed size (0 when empty or when the blob is missing).
    pub size: u64,
    /// The hash names a blob the WIM does not have.
    pub missing: bool,
}

impl StreamRef {
    /// The empty stream.
    pub const EMPTY: StreamRef = StreamRef {
        hash: Sha1Hash::ZERO,
        size: 0,
        missing: false,
    };
}

/// Where a stream's bytes are now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Unchanged, in the WIM.
    Blob(StreamRef),
    /// Small data held in memory (reparse data of new symlinks, streams set as xattrs).
    Inline(Arc<[u8]>),
    /// A file of the staging directory (written through a read-write mount).
    Staged {
        /// Staging file number.
        id: u64,
        /// Current size.
        size: u64,
    },
}

impl Content {
    /// The empty stream.
    pub const EMPTY: Content = Content::Blob(StreamRef::EMPTY);

    /// Current size in bytes.
    pub fn size(&self) -> u64 {
        match self {
            Content::Blob(s) => s.size,
            Content::Inline(d) => d.len() as u64,
            Content::Staged { size, .. } => *size,
        }
    }

    /// True if the stream is unchanged from the WIM.
    pub fn is_blob(&self) -> bool {
        matches!(self, Content::Blob(_))
    }
}

/// The parts of an inode that most inodes do not have (reparse data, named streams, extended
/// attributes, an object id), kept out of line: a tree of 50,000 files then takes about 6 MB
/// less memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InodeExtras {
    /// The reparse stream (reparse points only).
    pub reparse: Option<Content>,
    /// Reparse tag.
    pub reparse_tag: u32,
    /// Reparse flags from the dentry.
    pub rp_flags: u16,
    /// Named data streams (UTF-16 name, stream).
    pub named_streams: Vec<(Vec<u16>, Content)>,
    /// Extended attributes.
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    /// Object id.
    pub object_id: Option<Vec<u8>>,
}

/// What an inode without extras reads as.
static NO_EXTRAS: InodeExtras = InodeExtras {
    reparse: None,
    reparse_tag: 0,
    rp_flags: 0,
    named_streams: Vec::new(),
    xattrs: Vec::new(),
    object_id: None,
};

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
    pub data: Content,
    /// Reparse data, named streams, xattrs, object id: see [`Inode::extras`].
    extras: Option<Box<InodeExtras>>,
    /// wimlib UNIX data.
    pub unix: Option<UnixData>,
    /// The tagged-items bytes as read, written back unchanged except for the UNIX data item.
    pub raw_tagged: Box<[u8]>,
    /// DOS 8.3 name of the first link that had one.
    pub short_name: Box<[u16]>,
    /// Number of names (hard links); for directories, 2 + subdirectories.
    pub nlink: u32,
    /// Parent directory inode (root: itself; for hard-linked files, the first link's).
    pub parent: u64,
    /// Children, sorted by name bytes (directories only).
    pub children: Vec<(OsString, u64)>,
}

impl Inode {
    /// A node of `kind` with `attributes`, `nlink` names and parent `parent`, and nothing else:
    /// no security descriptor (-1), zero times, empty data, no streams, tags or children.
    pub fn bare(kind: NodeKind, attributes: u32, nlink: u32, parent: u64) -> Inode {
        Inode {
            kind,
            attributes,
            security_id: -1,
            times: [0; 3],
            data: Content::EMPTY,
            extras: None,
            unix: None,
            raw_tagged: Box::default(),
            short_name: Box::default(),
            nlink,
            parent,
            children: Vec::new(),
        }
    }

    /// Every stream with its slot ([`SLOT_DATA`], [`SLOT_REPARSE`], [`SLOT_NAMED`] + k for
    /// named stream k).
    pub fn streams(&self) -> impl Iterator<Item = (usize, &Content)> {
        let extras = self.extras();
        std::iter::once((SLOT_DATA, &self.data))
            .chain(extras.reparse.iter().map(|r| (SLOT_REPARSE, r)))
            .chain(
                extras
                    .named_streams
                    .iter()
                    .enumerate()
                    .map(|(k, (_, c))| (SLOT_NAMED + k, c)),
            )
    }

    /// Reparse data, named streams, xattrs and object id (all empty for most inodes).
    pub fn extras(&self) -> &InodeExtras {
        self.extras.as_deref().unwrap_or(&NO_EXTRAS)
    }

    /// [`Inode::extras`] to change.
    pub fn extras_mut(&mut self) -> &mut InodeExtras {
        self.extras.get_or_insert_with(Box::default)
    }

    /// Sets the extras, keeping none out of line when they are all empty.
    pub fn set_extras(&mut self, extras: InodeExtras) {
        self.extras = (extras != NO_EXTRAS).then(|| Box::new(extras));
    }

    /// Position of `name` among the children (Ok) or where it would go (Err).
    pub fn child_pos(&self, name: &[u8]) -> Result<usize, usize> {
        self.children
            .binary_search_by(|(n, _)| n.as_encoded_bytes().cmp(name))
    }

    /// The child named `name`.
    pub fn child(&self, name: &[u8]) -> Option<u64> {
        self.child_pos(name).ok().map(|i| self.children[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inode_without_extras_stays_small() {
        // Most inodes of a big image have no reparse data, named streams, xattrs or object
        // id: those live out of line, so the inode vector of a 50,000-file tree stays small.
        let size = std::mem::size_of::<Inode>();
        eprintln!("size_of::<Inode>() = {size}");
        assert!(size <= 176, "Inode grew to {size} bytes");
        let mut bare = Inode::bare(NodeKind::File, 0, 1, 1);
        bare.set_extras(InodeExtras::default());
        assert!(bare.extras.is_none());
        bare.extras_mut().reparse_tag = 7;
        assert_eq!(bare.extras().reparse_tag, 7);
    }
}
