//! The finished inode table, and the builder every tree reader fills. The builder owns the
//! rules on names (made safe with [`common::vfs::is_safe_name`]: '/' and NUL become '_', "."
//! and ".." and empty names are skipped; of duplicate names the first added wins) and the
//! limits on node counts.

use common::vfs::is_safe_name;

use crate::error::{IsoError, IsoResult};
use crate::model::node::{Child, Content, Meta, Node};

/// At most this many inodes per image (about 2 GiB of model at worst).
pub const MAX_NODES: usize = 16 << 20;

/// An image's directory tree: `nodes[ino - 1]`.
#[derive(Debug)]
pub struct Tree {
    nodes: Vec<Node>,
    /// Where each node is listed first: (directory inode, position in its listing), by inode
    /// - 1; (0, 0) for the root and unlisted nodes.
    places: Vec<(u32, u32)>,
}

impl Tree {
    /// The node of `ino`.
    pub fn node(&self, ino: u64) -> Option<&Node> {
        let idx = usize::try_from(ino.checked_sub(1)?).ok()?;
        self.nodes.get(idx)
    }

    /// The number of inodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True if the tree has no nodes (never, once built: the root exists).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The directory listing `ino` (the first to, for a file with several names) and its
    /// position in that listing ([`common::vfs::Vfs::listing_place`]).
    pub fn place(&self, ino: u64) -> Option<(u64, usize)> {
        let idx = usize::try_from(ino.checked_sub(1)?).ok()?;
        let &(dir, pos) = self.places.get(idx)?;
        (dir != 0).then(|| (u64::from(dir), pos as usize))
    }

    /// Looks `name` up in directory `dir`.
    pub fn lookup(&self, dir: u64, name: &[u8]) -> Option<u64> {
        match &self.node(dir)?.content {
            Content::Dir(children) => children
                .binary_search_by(|c| (*c.name).cmp(name))
                .ok()
                .map(|i| children[i].ino),
            _ => None,
        }
    }
}

/// Makes `raw` a name we may serve, or `None` to skip the entry.
pub fn safe_name(raw: &[u8]) -> Option<Box<[u8]>> {
    let fixed: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'/' || b == 0 { b'_' } else { b })
        .collect();
    is_safe_name(&fixed).then(|| fixed.into_boxed_slice())
}

/// Collects nodes and entries, then finishes them into a [`Tree`].
#[derive(Debug)]
pub struct TreeBuilder {
    nodes: Vec<Node>,
    entries: Vec<Vec<Child>>,
}

impl TreeBuilder {
    /// A builder whose root (inode 1) has `meta`.
    pub fn new(root: Meta) -> Self {
        Self {
            nodes: vec![Node::new(root, Content::Dir(Vec::new()))],
            entries: vec![Vec::new()],
        }
    }

    /// Adds a node; returns its inode number.
    pub fn add(&mut self, node: Node) -> IsoResult<u64> {
        if self.nodes.len() >= MAX_NODES {
            return Err(IsoError::limit("inodes", 0, MAX_NODES as u64));
        }
        self.nodes.push(node);
        self.entries.push(Vec::new());
        Ok(self.nodes.len() as u64)
    }

    /// Mutable access to a node added earlier.
    pub fn node_mut(&mut self, ino: u64) -> Option<&mut Node> {
        let idx = usize::try_from(ino.checked_sub(1)?).ok()?;
        self.nodes.get_mut(idx)
    }

    /// Adds the entry `name` -> `ino` to directory `dir`; returns false if the name was unsafe
    /// and skipped.
    pub fn link(&mut self, dir: u64, name: &[u8], ino: u64) -> bool {
        let Some(name) = safe_name(name) else {
            tracing::warn!(
                "skipping an entry named {:?}",
                String::from_utf8_lossy(name)
            );
            return false;
        };
        let idx = usize::try_from(dir.saturating_sub(1)).unwrap_or(usize::MAX);
        match self.entries.get_mut(idx) {
            Some(list) => {
                list.push(Child { name, ino });
                true
            }
            None => false,
        }
    }

    /// Sorts and de-duplicates every directory and computes link counts.
    pub fn finish(mut self) -> Tree {
        let mut links = vec![0u32; self.nodes.len()];
        for (idx, mut list) in std::mem::take(&mut self.entries).into_iter().enumerate() {
            list.sort_by(|a, b| a.name.cmp(&b.name));
            list.dedup_by(|later, first| {
                let dup = later.name == first.name;
                if dup {
                    tracing::warn!(
                        "duplicate name {:?}: keeping the first entry",
                        String::from_utf8_lossy(&later.name)
                    );
                }
                dup
            });
            for c in &list {
                if let Some(n) = usize::try_from(c.ino - 1)
                    .ok()
                    .and_then(|i| links.get_mut(i))
                {
                    *n = n.saturating_add(1);
                }
            }
            if let Some(Content::Dir(slot)) = self.nodes.get_mut(idx).map(|n| &mut n.content) {
                *slot = list;
            }
        }
        // Directories: 2 + subdirectories; others: the number of entries naming them.
        let subdirs: Vec<u32> = self
            .nodes
            .iter()
            .map(|n| match &n.content {
                Content::Dir(c) => c
                    .iter()
                    .filter(|c| {
                        usize::try_from(c.ino - 1)
                            .ok()
                            .and_then(|i| self.nodes.get(i))
                            .is_some_and(|n| matches!(n.content, Content::Dir(_)))
                    })
                    .count() as u32,
                _ => 0,
            })
            .collect();
        for (i, node) in self.nodes.iter_mut().enumerate() {
            node.nlink = match node.content {
                Content::Dir(_) => 2u32.saturating_add(subdirs[i]),
                _ => links[i].max(1),
            };
        }
        let places = places(&self.nodes);
        Tree {
            nodes: self.nodes,
            places,
        }
    }
}

/// Where each of `nodes` is listed first (see [`Tree::place`]); inode numbers fit in `u32`
/// (at most [`MAX_NODES`]).
fn places(nodes: &[Node]) -> Vec<(u32, u32)> {
    let mut places = vec![(0u32, 0u32); nodes.len()];
    for (d, node) in nodes.iter().enumerate() {
        let (Content::Dir(children), Ok(dir)) = (&node.content, u32::try_from(d + 1)) else {
            continue;
        };
        for (pos, c) in children.iter().enumerate() {
            let slot = usize::try_from(c.ino.wrapping_sub(1)).ok();
            if let (Some(place), Ok(pos)) =
                (slot.and_then(|s| places.get_mut(s)), u32::try_from(pos))
            {
                if place.0 == 0 {
                    *place = (dir, pos);
                }
            }
        }
    }
    places
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::extent::ExtentMap;

    #[test]
    fn names_are_made_safe_and_deduplicated() {
        let mut b = TreeBuilder::new(Meta::default());
        let f = b
            .add(Node::new(Meta::default(), Content::File(ExtentMap::new())))
            .expect("add");
        let g = b
            .add(Node::new(Meta::default(), Content::File(ExtentMap::new())))
            .expect("add");
        assert!(b.link(1, b"b", f));
        assert!(b.link(1, b"a/x", f));
        assert!(!b.link(1, b"..", f));
        assert!(!b.link(1, b"", f));
        assert!(b.link(1, b"b", g));
        let t = b.finish();
        assert_eq!(t.lookup(1, b"a_x"), Some(f));
        assert_eq!(t.lookup(1, b"b"), Some(f));
        assert_eq!(t.node(f).expect("node").nlink, 2);
        // Listed first as "a_x", the first name in order.
        assert_eq!(t.place(f), Some((1, 0)));
        assert_eq!(t.place(g), None, "g lost its only name to f");
        assert_eq!(t.place(1), None);
        assert_eq!(t.node(1).expect("root").nlink, 2);
        assert!(t.node(0).is_none());
        assert!(t.node(99).is_none());
    }
}
