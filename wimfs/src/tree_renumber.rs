//! Renumbering an image tree. A tree loaded from a WIM numbers its inodes in the order it meets
//! them; a read-write mount's tree keeps the numbers it handed out (the kernel and the journal
//! know inodes by them), so after a commit while mounted the committed image, loaded again, is
//! renumbered to the mount's numbers: [`match_numbers`] pairs the inodes of the two trees by
//! their names from the root, [`ImageTree::renumbered`] moves each inode to its number. The
//! map is also what the rebased journal records, so a resumed mount rebuilds the same tree.

use std::collections::HashSet;

use crate::inode::NodeKind;
use crate::tree::ImageTree;

/// Most inode slots a renumbered tree may have beyond the loaded ones (inodes created and
/// removed since the mount began leave empty slots): bounds what a damaged map can allocate.
const MAX_EXTRA_SLOTS: u64 = 1 << 24;

/// For each inode of `loaded` (number `n` at index `n - 1`), the number the same inode has in
/// `live`, found by walking both trees from the root by name. Fails when the two trees do not
/// hold the same names, kinds and hard links.
pub fn match_numbers(loaded: &ImageTree, live: &ImageTree) -> Result<Vec<u64>, String> {
    let mut map = vec![0u64; loaded.inodes.len()];
    let mut used: HashSet<u64> = HashSet::new();
    if map.is_empty() || live.inode(1).is_none() {
        return Err("a tree without a root".into());
    }
    map[0] = 1;
    used.insert(1);
    let mut stack = vec![(1u64, 1u64)];
    while let Some((l, v)) = stack.pop() {
        let (ld, vd) = match (loaded.inode(l), live.inode(v)) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(format!("directory {l} / {v} is missing")),
        };
        if ld.children.len() != vd.children.len() {
            return Err(format!(
                "directory {v} holds {} names in the mount but {} in the committed image",
                vd.children.len(),
                ld.children.len()
            ));
        }
        for (name, lc) in &ld.children {
            let vc = vd
                .child(name.as_encoded_bytes())
                .ok_or_else(|| format!("{name:?} (directory {v}) is not in the mount"))?;
            let slot = lc
                .checked_sub(1)
                .and_then(|i| map.get_mut(i as usize))
                .ok_or_else(|| format!("inode {lc} is out of range"))?;
            if *slot == vc {
                continue; // another name of a hard-linked file
            }
            if *slot != 0 || !used.insert(vc) {
                return Err(format!("{name:?} (directory {v}): hard links differ"));
            }
            *slot = vc;
            let (lk, vk) = (
                loaded.inode(*lc).map(|i| i.kind),
                live.inode(vc).map(|i| i.kind),
            );
            if lk != vk {
                return Err(format!("{name:?} (directory {v}): kinds differ"));
            }
            if lk == Some(NodeKind::Directory) {
                stack.push((*lc, vc));
            }
        }
    }
    for (n, inode) in loaded.live() {
        if map[(n - 1) as usize] == 0 {
            return Err(format!(
                "inode {n} of the committed image ({:?}) is not reachable",
                inode.kind
            ));
        }
    }
    Ok(map)
}

impl ImageTree {
    /// The tree with inode `n` moved to number `map[n - 1]` (parents and children renumbered
    /// with it) in `len` slots. The map must send the root to 1 and every inode to its own
    /// number in `1..=len`.
    pub fn renumbered(self, map: &[u64], len: u64) -> Result<ImageTree, String> {
        if map.len() != self.inodes.len() {
            return Err(format!(
                "the map has {} entries for {} inodes",
                map.len(),
                self.inodes.len()
            ));
        }
        if len > map.len() as u64 + MAX_EXTRA_SLOTS {
            return Err(format!("{len} inode slots for {} inodes", map.len()));
        }
        if map.first() != Some(&1) {
            return Err("the map moves the root".into());
        }
        let mut seen = HashSet::with_capacity(map.len());
        for &n in map {
            if n == 0 || n > len || !seen.insert(n) {
                return Err(format!("the map sends an inode to {n} (of {len})"));
            }
        }
        let tr = |n: u64| -> Result<u64, String> {
            n.checked_sub(1)
                .and_then(|i| map.get(i as usize))
                .copied()
                .ok_or_else(|| format!("inode {n} is out of range"))
        };
        let mut out: Vec<Option<crate::inode::Inode>> = Vec::new();
        out.resize_with(len as usize, || None);
        for (i, inode) in self.inodes.into_iter().enumerate() {
            let Some(mut inode) = inode else { continue };
            inode.parent = tr(inode.parent)?;
            for (_, c) in &mut inode.children {
                *c = tr(*c)?;
            }
            out[(map[i] - 1) as usize] = Some(inode);
        }
        Ok(ImageTree {
            inodes: out,
            security: self.security,
            skipped_names: self.skipped_names,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inode::Inode;

    fn node(kind: NodeKind, parent: u64, children: &[(&str, u64)]) -> Option<Inode> {
        let mut inode = Inode::bare(kind, 0, 1, parent);
        inode.children = children.iter().map(|(n, c)| ((*n).into(), *c)).collect();
        Some(inode)
    }

    fn tree(inodes: Vec<Option<Inode>>) -> ImageTree {
        ImageTree {
            inodes,
            security: Vec::new(),
            skipped_names: 0,
        }
    }

    #[test]
    fn a_loaded_tree_takes_the_live_numbers() {
        use NodeKind::*;
        // Loaded: 1 = root {a: 2, d: 3}, 3 = d {b: 4}; "a" and "d/b" are hard links.
        let loaded = tree(vec![
            node(Directory, 1, &[("a", 2), ("d", 3)]),
            node(File, 1, &[]),
            node(Directory, 1, &[("b", 2), ("c", 4)]),
            node(File, 3, &[]),
        ]);
        // Live: 1 = root {a: 5, d: 2}, 2 = d {b: 5, c: 3}; slot 4 freed, 6 freed.
        let live = tree(vec![
            node(Directory, 1, &[("a", 5), ("d", 2)]),
            node(Directory, 1, &[("b", 5), ("c", 3)]),
            node(File, 2, &[]),
            None,
            node(File, 1, &[]),
            None,
        ]);
        let map = match_numbers(&loaded, &live).expect("matches");
        assert_eq!(map, vec![1, 5, 2, 3]);
        let t = loaded.renumbered(&map, 6).expect("renumbers");
        assert_eq!(t.inodes.len(), 6);
        assert!(t.inode(4).is_none() && t.inode(6).is_none());
        let d = t.inode(2).expect("d");
        assert_eq!(d.kind, Directory);
        assert_eq!(d.children[0].1, 5);
        assert_eq!(d.children[1].1, 3);
        assert_eq!(t.inode(3).expect("c").parent, 2);
        assert_eq!(t.inode(1).expect("root").children[1].1, 2);
    }

    #[test]
    fn differing_trees_and_bad_maps_are_refused() {
        use NodeKind::*;
        let loaded = tree(vec![node(Directory, 1, &[("a", 2)]), node(File, 1, &[])]);
        let other = tree(vec![node(Directory, 1, &[("b", 2)]), node(File, 1, &[])]);
        assert!(match_numbers(&loaded, &other).is_err());
        let kind = tree(vec![
            node(Directory, 1, &[("a", 2)]),
            node(Directory, 1, &[]),
        ]);
        assert!(match_numbers(&loaded, &kind).is_err());
        for (map, len) in [
            (vec![2, 1], 2),
            (vec![1, 1], 2),
            (vec![1, 3], 2),
            (vec![1], 2),
            (vec![1, 2], 1 << 40),
        ] {
            assert!(
                loaded.clone().renumbered(&map, len).is_err(),
                "{map:?} {len}"
            );
        }
    }
}
