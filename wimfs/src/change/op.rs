//! A change to an image tree, as a value: what a write through the filesystem did, what the
//! journal records (`fs/journal.rs` encodes it; its on-disk format is unchanged), and what
//! [`crate::tree::ImageTree::apply`] applies, both live and on replay. Names and targets are
//! the bytes the host gave.

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// A file was created, backed by staging file `staged`.
    Create {
        parent: u64,
        name: Vec<u8>,
        ino: u64,
        perm: u16,
        staged: u64,
    },
    /// A directory was created.
    Mkdir {
        parent: u64,
        name: Vec<u8>,
        ino: u64,
        perm: u16,
    },
    /// A symlink was created.
    Symlink {
        parent: u64,
        name: Vec<u8>,
        ino: u64,
        target: Vec<u8>,
    },
    /// A hard link was added.
    Link {
        ino: u64,
        parent: u64,
        name: Vec<u8>,
    },
    /// A name was removed (file or directory).
    Remove {
        parent: u64,
        name: Vec<u8>,
        dir: bool,
    },
    /// An entry was renamed.
    Rename {
        parent: u64,
        name: Vec<u8>,
        new_parent: u64,
        new_name: Vec<u8>,
        no_replace: bool,
    },
    /// A file's data now lives in staging file `staged` (copied up, or emptied when `empty`).
    Stage { ino: u64, staged: u64, empty: bool },
    /// Attributes changed (absent fields unchanged; times as FILETIMEs).
    SetAttr {
        ino: u64,
        perm: Option<u16>,
        uid: Option<u32>,
        gid: Option<u32>,
        atime: Option<u64>,
        mtime: Option<u64>,
    },
    /// A named stream was set.
    SetXattr {
        ino: u64,
        name: Vec<u8>,
        value: Vec<u8>,
    },
    /// A named stream was removed.
    RemoveXattr { ino: u64, name: Vec<u8> },
}
