//! The order of new blobs inside a solid resource: similar files next to each other compress
//! better in LZMS's large window. Like wimlib (whose documented order this follows; its code was
//! not used): blobs no file name refers to first, in their original order; then blobs whose
//! file name has no extension, by name; then the rest by extension, then name, both compared
//! case-insensitively. Each blob takes the name of the first file (in inode order) that holds
//! it as its unnamed data.

use std::collections::HashMap;
use std::ffi::OsStr;

use super::metadata::StreamHashes;
use crate::format::Sha1Hash;
use crate::tree::ImageTree;

/// The sort key of one name: (group, extension, name), lowercased.
fn key(name: Option<&OsStr>) -> (u8, String, String) {
    let Some(name) = name else {
        return (0, String::new(), String::new());
    };
    let name = name.to_string_lossy().to_lowercase();
    match name.rsplit_once('.') {
        Some((_, ext)) => (2, ext.to_string(), name.clone()),
        None => (1, String::new(), name),
    }
}

/// The order (indices into `blobs`) to write `blobs` in.
pub fn solid_order(tree: &ImageTree, hashes: &StreamHashes, blobs: &[Sha1Hash]) -> Vec<usize> {
    let mut name_of_ino: HashMap<u64, &OsStr> = HashMap::new();
    for (_, dir) in tree.live() {
        for (name, ino) in &dir.children {
            name_of_ino.entry(*ino).or_insert(name.as_os_str());
        }
    }
    let mut name_of_hash: HashMap<Sha1Hash, (u64, &OsStr)> = HashMap::new();
    for (&(ino, slot), hash) in &hashes.hashed {
        let Some(name) = name_of_ino.get(&ino) else {
            continue;
        };
        if slot == crate::inode::SLOT_DATA {
            let e = name_of_hash.entry(*hash).or_insert((ino, name));
            if ino < e.0 {
                *e = (ino, name);
            }
        }
    }
    let keys: Vec<_> = blobs
        .iter()
        .map(|h| key(name_of_hash.get(h).map(|&(_, n)| n)))
        .collect();
    let mut order: Vec<usize> = (0..blobs.len()).collect();
    // Stable: unnamed blobs and equal keys keep their original order.
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_extension_then_name() {
        let names = [
            Some("b.DLL"),
            None,
            Some("README"),
            Some("a.txt"),
            Some("c.dll"),
            None,
            Some("Makefile"),
        ];
        let keys: Vec<_> = names.iter().map(|n| key(n.map(OsStr::new))).collect();
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        assert_eq!(order, [1, 5, 6, 2, 0, 4, 3]);
    }
}
