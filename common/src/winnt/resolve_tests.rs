//! Tests of [`super`] over a small in-memory [`Vfs`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::UNIX_EPOCH;

use super::*;
use crate::vfs::{DirEntry, OpenInfo, StatFs};
use crate::winnt::names::split_path;
use crate::winnt::reparse::{TAG_MOUNT_POINT, TAG_SYMLINK};

#[derive(Debug)]
struct Node {
    name: &'static str,
    parent: u64,
    kind: FileKind,
    dos: u32,
    xattrs: Vec<(&'static str, Vec<u8>)>,
    link: &'static str,
}

#[derive(Debug)]
struct MemVfs {
    nodes: Vec<Node>, // inode n is nodes[n - 1]
    readdirs: AtomicUsize,
}

fn node(name: &'static str, parent: u64, kind: FileKind) -> Node {
    Node {
        name,
        parent,
        kind,
        dos: 0,
        xattrs: Vec::new(),
        link: "",
    }
}

impl MemVfs {
    fn sample() -> Self {
        let mut nodes = vec![
            node("", 1, FileKind::Directory),         // 1
            node("Windows", 1, FileKind::Directory),  // 2
            node("System32", 2, FileKind::Directory), // 3
            node("notepad.exe", 3, FileKind::File),   // 4
            node("a", 1, FileKind::File),             // 5
            node("A", 1, FileKind::File),             // 6
            node("lib", 2, FileKind::Symlink),        // 7: Rock Ridge style
            node("Docs", 1, FileKind::Symlink),       // 8: a stored junction
        ];
        nodes[3].xattrs = vec![
            ("user.Zone.Identifier", b"[ZoneTransfer]".to_vec()),
            ("system.ntfs_acl", default_security_descriptor(false, false)),
            ("security.selinux", b"x".to_vec()),
        ];
        nodes[6].link = "/usr/lib";
        nodes[7].dos = 0x10 | 0x400;
        let junction = [3, 0, 0, 0xA0, 4, 0, 0, 0, 1, 2, 3, 4].to_vec();
        nodes[7].xattrs = vec![("system.ntfs_reparse_data", junction)];
        nodes[4].xattrs = vec![("system.ntfs_acl", vec![1, 2, 3])]; // broken
        Self {
            nodes,
            readdirs: AtomicUsize::new(0),
        }
    }

    fn node(&self, ino: u64) -> VfsResult<&Node> {
        let i = usize::try_from(ino).ok().and_then(|i| i.checked_sub(1));
        i.and_then(|i| self.nodes.get(i)).ok_or(VfsError::NotFound)
    }
}

impl Vfs for MemVfs {
    fn lookup(&self, parent: u64, name: &OsStr) -> VfsResult<Attr> {
        let found = (2..=self.nodes.len() as u64).find(|&i| {
            self.node(i)
                .is_ok_and(|n| n.parent == parent && OsStr::new(n.name) == name)
        });
        self.getattr(found.ok_or(VfsError::NotFound)?)
    }
    fn getattr(&self, ino: u64) -> VfsResult<Attr> {
        let n = self.node(ino)?;
        Ok(Attr {
            ino,
            kind: n.kind,
            size: n.link.len() as u64,
            allocated: 0,
            nlink: 1,
            perm: 0o644,
            uid: 0,
            gid: 0,
            atime: UNIX_EPOCH,
            mtime: UNIX_EPOCH,
            ctime: UNIX_EPOCH,
            crtime: UNIX_EPOCH,
            dos_attributes: n.dos,
            rdev: 0,
        })
    }
    fn readdir(
        &self,
        ino: u64,
        offset: u64,
        fill: &mut dyn FnMut(u64, &DirEntry) -> bool,
    ) -> VfsResult<()> {
        self.readdirs.fetch_add(1, Ordering::Relaxed);
        let children =
            (2..=self.nodes.len() as u64).filter(|&i| self.nodes[i as usize - 1].parent == ino);
        for (k, i) in children.enumerate().skip(offset as usize) {
            let n = self.node(i)?;
            let entry = DirEntry {
                ino: i,
                kind: n.kind,
                name: n.name.into(),
            };
            if fill(k as u64 + 1, &entry) {
                break;
            }
        }
        Ok(())
    }
    fn open(&self, _ino: u64, _write: bool) -> VfsResult<OpenInfo> {
        Ok(OpenInfo::default())
    }
    fn read(&self, _ino: u64, _h: u64, _off: u64, _buf: &mut [u8]) -> VfsResult<usize> {
        Ok(0)
    }
    fn readlink(&self, ino: u64) -> VfsResult<Vec<u8>> {
        Ok(self.node(ino)?.link.as_bytes().to_vec())
    }
    fn listxattr(&self, ino: u64) -> VfsResult<Vec<OsString>> {
        let n = self.node(ino)?;
        Ok(n.xattrs.iter().map(|(k, _)| OsString::from(*k)).collect())
    }
    fn getxattr(&self, ino: u64, name: &OsStr) -> VfsResult<Vec<u8>> {
        let n = self.node(ino)?;
        let hit = n.xattrs.iter().find(|(k, _)| OsStr::new(k) == name);
        hit.map(|(_, v)| v.clone()).ok_or(VfsError::NoAttribute)
    }
    fn statfs(&self) -> StatFs {
        StatFs {
            blocks: 0,
            free_blocks: 0,
            files: 0,
            free_files: 0,
            block_size: 4096,
            max_name_len: 255,
        }
    }
}

fn w(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn resolve(r: &Resolver, vfs: &MemVfs, path: &str) -> VfsResult<Resolved> {
    r.resolve(vfs, &split_path(&w(path))?.components)
}

#[test]
fn lookups_ignore_case_but_prefer_the_exact_name() {
    let vfs = MemVfs::sample();
    let r = Resolver::new(true);
    let hit = resolve(&r, &vfs, "\\WINDOWS\\system32\\NOTEPAD.EXE").map_err(|e| e.to_string());
    let hit = hit.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(hit.attr.ino, 4);
    assert_eq!(hit.parent, 3);
    assert_eq!(hit.name, "notepad.exe");
    assert_eq!(hit.normalized, w("\\Windows\\System32\\notepad.exe"));
    assert_eq!(hit.depth, 3);
    assert_eq!(resolve(&r, &vfs, "\\a").map(|h| h.attr.ino).ok(), Some(5));
    assert_eq!(resolve(&r, &vfs, "\\A").map(|h| h.attr.ino).ok(), Some(6));
    let root = resolve(&r, &vfs, "\\").map(|h| (h.attr.ino, h.normalized));
    assert_eq!(root.ok(), Some((1, w("\\"))));
    assert!(matches!(
        resolve(&r, &vfs, "\\nope"),
        Err(VfsError::NotFound)
    ));
    assert!(matches!(
        resolve(&r, &vfs, "\\a\\b"),
        Err(VfsError::NotADirectory)
    ));
}

#[test]
fn read_only_mounts_cache_directory_indexes() {
    let vfs = MemVfs::sample();
    let cached = Resolver::new(true);
    for _ in 0..3 {
        assert!(resolve(&cached, &vfs, "\\windows").is_ok());
    }
    assert_eq!(vfs.readdirs.load(Ordering::Relaxed), 1);
    cached.invalidate(1);
    assert!(resolve(&cached, &vfs, "\\windows").is_ok());
    assert_eq!(vfs.readdirs.load(Ordering::Relaxed), 2);
    let uncached = Resolver::new(false);
    for _ in 0..3 {
        assert!(resolve(&uncached, &vfs, "\\windows").is_ok());
    }
    assert_eq!(vfs.readdirs.load(Ordering::Relaxed), 5);
}

#[test]
fn security_descriptors_come_from_the_image_or_the_default() {
    let vfs = MemVfs::sample();
    let attr = |ino| vfs.getattr(ino).unwrap_or_else(|e| panic!("{e}"));
    let own = security_descriptor(&vfs, &attr(4)).ok();
    assert_eq!(own, Some(default_security_descriptor(false, false)));
    // Ino 5's descriptor is broken, ino 2 has none: both get the default.
    let broken = security_descriptor(&vfs, &attr(5)).ok();
    assert_eq!(broken, Some(default_security_descriptor(false, false)));
    let dir = security_descriptor(&vfs, &attr(2)).ok();
    assert_eq!(dir, Some(default_security_descriptor(true, false)));
}

#[test]
fn reparse_points_are_stored_links_or_made_from_symlinks() {
    let vfs = MemVfs::sample();
    let attr = |ino| vfs.getattr(ino).unwrap_or_else(|e| panic!("{e}"));
    let junction = reparse_data(&vfs, &attr(8), 0)
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(reparse_tag(&junction), Some(TAG_MOUNT_POINT));
    let made = reparse_data(&vfs, &attr(7), 1)
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(reparse_tag(&made), Some(TAG_SYMLINK));
    assert_eq!(
        made,
        symlink_reparse_data("..\\usr\\lib").unwrap_or_default()
    );
    assert_eq!(reparse_data(&vfs, &attr(4), 3).ok(), Some(None));
    assert!(!is_link_tag(0x8000_0017)); // WOF: data served plain
    assert!(is_link_tag(TAG_SYMLINK));
}

#[test]
fn named_streams_are_user_xattrs() {
    let vfs = MemVfs::sample();
    let streams = named_streams(&vfs, 4).ok();
    assert_eq!(streams, Some(vec![(w("Zone.Identifier"), 14)]));
    assert_eq!(named_streams(&vfs, 2).ok(), Some(Vec::new()));
    let data = read_stream(&vfs, 4, &w("zone.identifier")).ok();
    assert_eq!(data.as_deref(), Some(&b"[ZoneTransfer]"[..]));
    assert!(matches!(
        read_stream(&vfs, 4, &w("other")),
        Err(VfsError::NotFound)
    ));
    assert!(matches!(
        read_stream(&vfs, 4, &w("ntfs_acl")),
        Err(VfsError::NotFound)
    ));
}
