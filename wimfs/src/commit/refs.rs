//! The streams of an image's inodes and the references they make to blobs, for the commit's
//! blob table (a blob's reference count is the number of streams, counting every name of a
//! hard-linked file, that hold it: MS-WIM / wimlib's `refcnt`).
//!
//! Maps keyed by SHA-1 use [`foldhash`]: SHA-1 digests are uniform already, so the default
//! SipHash only costs time; foldhash is seeded per process, so a WIM whose blob table was made
//! to collide cannot slow the maps down.

use std::collections::HashMap;

use crate::format::Sha1Hash;
use crate::inode::{Content, NodeKind, SLOT_DATA};
use crate::tree::ImageTree;

/// A map keyed by SHA-1 (or by anything small and uniform).
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Stream references per blob in `tree`, counting each name (hard link) of a file; `hash_of`
/// gives each stream's hash (zero: no blob).
pub fn count_refs(
    tree: &ImageTree,
    hash_of: &dyn Fn(u64, usize, &Content) -> Sha1Hash,
) -> FastMap<Sha1Hash, u64> {
    let mut refs = FastMap::with_capacity_and_hasher(tree.inodes.len(), Default::default());
    for (ino, inode) in tree.live() {
        let dir = inode.kind == NodeKind::Directory;
        let names = if dir {
            1
        } else {
            u64::from(inode.nlink.max(1))
        };
        for (slot, c) in inode.streams() {
            if slot == SLOT_DATA && dir {
                continue;
            }
            let h = hash_of(ino, slot, c);
            if !h.is_zero() {
                *refs.entry(h).or_insert(0) += names;
            }
        }
    }
    refs
}

/// The references the image `tree` as read from the WIM makes (every stream is a blob of it).
pub fn count_blob_refs(tree: &ImageTree) -> FastMap<Sha1Hash, u64> {
    count_refs(tree, &|_, _, c| match c {
        Content::Blob(s) => s.hash,
        _ => Sha1Hash::ZERO,
    })
}

/// The reference counts a commit writes into the blob table.
#[derive(Debug, Default)]
pub struct RefCounts {
    /// References from the image being written.
    pub new: FastMap<Sha1Hash, u64>,
    /// References from the image it replaces, as read from the WIM; `None` when that image
    /// holds every reference the WIM's table counts (it was the WIM's only image), so that a
    /// blob's new count is the new image's references alone. An appended image replaces none:
    /// `Some` of an empty map.
    pub old: Option<FastMap<Sha1Hash, u64>>,
}

impl RefCounts {
    /// The new count of a blob the table counted `table` references to: the references from
    /// the other images (`table` minus the replaced image's), plus the new image's.
    pub fn count(&self, hash: &Sha1Hash, table: u64) -> u64 {
        let after = self.new.get(hash).copied().unwrap_or(0);
        let Some(old) = &self.old else {
            return after;
        };
        let before = old.get(hash).copied().unwrap_or(0);
        match table.checked_sub(before) {
            Some(others) => others.saturating_add(after),
            None => after, // the table counted fewer than the image held: trust the image
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(u8, u64)]) -> FastMap<Sha1Hash, u64> {
        pairs.iter().map(|&(b, n)| (Sha1Hash([b; 20]), n)).collect()
    }

    #[test]
    fn counts_keep_the_other_images_references() {
        let h = |b| Sha1Hash([b; 20]);
        let counts = RefCounts {
            new: map(&[(1, 2), (3, 1)]),
            old: Some(map(&[(1, 1), (2, 4)])),
        };
        assert_eq!(counts.count(&h(1), 3), 4, "2 from other images + 2 new");
        assert_eq!(counts.count(&h(2), 4), 0, "only the replaced image held it");
        assert_eq!(
            counts.count(&h(2), 1),
            0,
            "inconsistent table: the image wins"
        );
        assert_eq!(counts.count(&h(4), 5), 5, "not in either image: untouched");
        let only_image = RefCounts {
            new: map(&[(1, 2)]),
            old: None,
        };
        assert_eq!(only_image.count(&h(1), 7), 2);
        assert_eq!(only_image.count(&h(2), 7), 0);
    }
}
