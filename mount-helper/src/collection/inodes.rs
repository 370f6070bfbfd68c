//! Inode numbers of a collection mount: every node (a host directory, an inode of an opened
//! image, the image list of a WIM) gets a number the first time the kernel sees it and keeps it
//! for the life of the mount, so closing and reopening an idle image changes nothing visible.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::vfs::ROOT_INO;
use parking_lot::RwLock;

/// Index of an image slot (see `slots.rs`).
pub type SlotId = u32;

/// What an inode number of the collection stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    /// A directory of the host tree, relative to the collection's root (empty = the root).
    Host(PathBuf),
    /// Inode `ino` of slot `slot`'s filesystem; `ino == ROOT_INO` is the image's directory.
    Inner {
        /// The image.
        slot: SlotId,
        /// The inode inside it.
        ino: u64,
    },
    /// `NAME.wim.d`: one directory per image of the WIM in slot `wim`.
    WimImages {
        /// The WIM.
        wim: SlotId,
    },
}

#[derive(Debug)]
struct Entry {
    node: Node,
    /// Where the kernel first saw the node, relative to the mount point.
    path: PathBuf,
}

#[derive(Debug)]
struct Tables {
    by_node: HashMap<Node, u64>,
    by_ino: HashMap<u64, Entry>,
    next: u64,
}

/// The two-way map between inode numbers and nodes.
#[derive(Debug)]
pub struct InodeTable {
    tables: RwLock<Tables>,
}

impl Default for InodeTable {
    fn default() -> Self {
        Self::new()
    }
}

impl InodeTable {
    /// A table holding only the root (the host directory itself).
    pub fn new() -> Self {
        let root = Node::Host(PathBuf::new());
        let mut by_node = HashMap::new();
        by_node.insert(root.clone(), ROOT_INO);
        let mut by_ino = HashMap::new();
        by_ino.insert(
            ROOT_INO,
            Entry {
                node: root,
                path: PathBuf::new(),
            },
        );
        Self {
            tables: RwLock::new(Tables {
                by_node,
                by_ino,
                next: ROOT_INO + 1,
            }),
        }
    }

    /// The node of `ino` and the path it was first seen at.
    pub fn get(&self, ino: u64) -> Option<(Node, PathBuf)> {
        let t = self.tables.read();
        t.by_ino.get(&ino).map(|e| (e.node.clone(), e.path.clone()))
    }

    /// The number of `node`, given one if it has none; `path` is where it was found.
    pub fn intern(&self, node: Node, path: &Path) -> u64 {
        if let Some(&ino) = self.tables.read().by_node.get(&node) {
            return ino;
        }
        let mut t = self.tables.write();
        if let Some(&ino) = t.by_node.get(&node) {
            return ino;
        }
        let ino = t.next;
        t.next += 1;
        t.by_node.insert(node.clone(), ino);
        t.by_ino.insert(
            ino,
            Entry {
                node,
                path: path.to_path_buf(),
            },
        );
        ino
    }

    /// How many inode numbers were handed out.
    pub fn len(&self) -> usize {
        self.tables.read().by_ino.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_keep_their_numbers() {
        let t = InodeTable::new();
        let a = t.intern(Node::Inner { slot: 0, ino: 5 }, Path::new("a.iso/x"));
        let b = t.intern(Node::WimImages { wim: 1 }, Path::new("a.iso/y.wim.d"));
        assert_ne!(a, b);
        assert_ne!(a, ROOT_INO);
        assert_eq!(
            t.intern(Node::Inner { slot: 0, ino: 5 }, Path::new("other")),
            a
        );
        let (node, path) = t.get(a).expect("known");
        assert_eq!(node, Node::Inner { slot: 0, ino: 5 });
        assert_eq!(path, Path::new("a.iso/x"));
        assert_eq!(t.get(ROOT_INO).expect("root").0, Node::Host(PathBuf::new()));
        assert!(t.get(999).is_none());
    }
}
