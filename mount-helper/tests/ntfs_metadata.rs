//! Windows metadata captured from a real NTFS filesystem, as our mount shows it, against
//! ntfs-3g's view of the same filesystem.
//!
//! tests/fixtures/make-ntfs-fixture.sh builds an NTFS image through ntfs-3g (named streams,
//! hard links, symlinks, junctions, other reparse points, security descriptors, DOS attributes,
//! short names, case-differing names, an object id) and captures it with
//! `wimlib-imagex capture IMAGE WIM` (straight from NTFS, through libntfs-3g). This test mounts
//! the WIM with `wimfs mount` and the image with `ntfs-3g -o ro,streams_interface=xattr,
//! posix_nlink`, and compares every path: type, size, bytes, mtime/atime, nlink, hard-link
//! groups, symlink targets, named streams (`user.<name>` on both sides) and, read by name
//! (neither side lists them), `system.ntfs_attrib`, `system.ntfs_acl`, `system.ntfs_dos_name`,
//! `system.ntfs_reparse_data` and `system.ntfs_object_id`, which must be byte-equal.
//!
//! Where the two views differ by design (checked exactly, not skipped):
//! - Symlink targets. Relative symlinks read the same on both. An absolute target
//!   `\??\C:\plain\text.txt` reads `<ntfs-3g mount>/plain/text.txt` on ntfs-3g, and a target
//!   on another drive `\??\D:\Data\Shared` reads `<ntfs-3g mount>/.NTFS-3G/D:/Data/Shared`.
//!   Our mount (like wimlib's) drops the drive and, since wimlib's NTFS capture never marks a
//!   link "not fixed", anchors every absolute target at our mount point:
//!   `<our mount>/plain/text.txt`, `<our mount>/Data/Shared`. So the meaningful part, the
//!   path after the drive, is compared.
//! - Reparse points that are not links (WOF, dedup, cloud tags): ntfs-3g without a plugin shows
//!   them as symlinks to the text "unsupported reparse tag 0x...", and cannot read their data.
//!   Our mount shows a regular file (a directory, for a directory) with the unnamed stream's
//!   data, compared with `ntfscat IMAGE PATH` (read before ntfs-3g mounts the image). ntfs-3g
//!   also shows a relative symlink whose target does not exist as "unsupported reparse tag
//!   0xa000000c"; ours shows the symlink.
//! - Not compared: ctime (the WIM keeps no MFT change time), st_blocks (sparseness is not kept,
//!   only FILE_ATTRIBUTE_SPARSE_FILE), directory link counts (ntfs-3g does not count a
//!   directory it shows as a symlink), modes and owners (neither side has POSIX data).
//!
//! `system.ntfs_attrib` needs no mask: wimlib stores $STANDARD_INFORMATION's flags and ntfs-3g
//! reports the same flags, with DIRECTORY for directories (which the WIM stores too) and
//! NORMAL (0x80) for a file with no other flag (which the WIM stores too), so every path's
//! value is equal (root 0x36, sparse 0x220, compressed 0x820, reparse points 0x400 | ...).
//!
//! Needs root (ntfs-3g mounts an image file), ntfs-3g (mkntfs, ntfs-3g, ntfscat), wimtools,
//! attr, python3.

mod support;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;
use tests::manifest::{errno_name, Kind as WalkedKind};
use tests::tree::read_xattr;
use tests::WalkOptions;

#[path = "ntfs_metadata/fixture_facts.rs"]
mod fixture_facts;
#[path = "ntfs_metadata/metadata_compare.rs"]
mod metadata_compare;

use fixture_facts::check_fixture_facts;
use metadata_compare::compare;

const TAG_SYMLINK: u32 = 0xA000_000C;
const TAG_MOUNT_POINT: u32 = 0xA000_0003;
const ATTR_DIRECTORY: u32 = 0x10;

/// The Windows metadata xattrs, read by name on both mounts.
const META: [&str; 5] = [
    "system.ntfs_attrib",
    "system.ntfs_acl",
    "system.ntfs_dos_name",
    "system.ntfs_reparse_data",
    "system.ntfs_object_id",
];

/// What one mount shows at one path.
#[derive(Debug, Clone)]
enum Kind {
    Dir,
    File(Vec<u8>),
    Symlink(String),
}

#[derive(Debug, Clone)]
struct Entry {
    kind: Kind,
    size: u64,
    nlink: u64,
    ino: u64,
    mtime: (i64, i64),
    atime: (i64, i64),
    /// Named streams: every listed `user.*` xattr with its value.
    streams: BTreeMap<String, Vec<u8>>,
    /// The Windows metadata xattrs (META), None when absent.
    meta: BTreeMap<&'static str, Option<Vec<u8>>>,
    /// Xattrs listed that are neither streams nor META (there should be none).
    other_listed: Vec<String>,
}

impl Entry {
    fn meta(&self, name: &str) -> Option<&[u8]> {
        self.meta.get(name).and_then(|v| v.as_deref())
    }

    fn attrib(&self) -> u32 {
        let v = self
            .meta("system.ntfs_attrib")
            .expect("every path has attributes");
        u32::from_le_bytes(v.try_into().expect("system.ntfs_attrib is 4 bytes"))
    }

    fn reparse_tag(&self) -> Option<u32> {
        self.meta("system.ntfs_reparse_data")
            .map(|r| u32::from_le_bytes(r[..4].try_into().expect("a reparse buffer has a tag")))
    }
}

/// Every path below `root` (and the root itself as ""), walked by the test kit (which never
/// follows symlinks), with the Windows metadata xattrs read by name (they are not listed).
fn walk(root: &Path) -> BTreeMap<String, Entry> {
    let opts = WalkOptions {
        content: false,
        xattrs: true,
        check_dirents: false,
        ..WalkOptions::default()
    };
    let m = tests::walk(root, &opts);
    assert!(
        m.anomalies.is_empty(),
        "walking {}: {:?}",
        root.display(),
        m.anomalies
    );
    let mut out = BTreeMap::new();
    for (rel, e) in &m.entries {
        let p = root.join(OsStr::from_bytes(rel));
        if let Some(errno) = e.stat_error {
            panic!("{}: lstat: {}", p.display(), errno_name(errno));
        }
        let kind = match e.kind {
            WalkedKind::Dir => Kind::Dir,
            WalkedKind::Symlink => {
                let t = std::fs::read_link(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                Kind::Symlink(t.to_string_lossy().into_owned())
            }
            _ => Kind::File(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))),
        };
        let listed = match &e.xattrs {
            Some(Ok(x)) => x,
            other => panic!("{}: listxattr: {other:?}", p.display()),
        };
        let mut streams = BTreeMap::new();
        let mut other_listed = Vec::new();
        for (name, value) in listed {
            let name = String::from_utf8_lossy(name).into_owned();
            if name.starts_with("user.") {
                let v = value.clone().unwrap_or_else(|errno| {
                    panic!("{}: listed {name} but: {}", p.display(), errno_name(errno))
                });
                streams.insert(name, v);
            } else {
                other_listed.push(name);
            }
        }
        let meta = META
            .iter()
            .map(|&n| {
                let v = match read_xattr(&p, n) {
                    Ok(v) => Some(v),
                    Err(libc::ENODATA) => None,
                    // ntfs-3g answers EPERM for the root's short name (the root has no
                    // parent directory to hold one); ours answers ENODATA.
                    Err(libc::EPERM) if n == "system.ntfs_dos_name" && rel.is_empty() => None,
                    Err(errno) => panic!("{}: getxattr {n}: {}", p.display(), errno_name(errno)),
                };
                (n, v)
            })
            .collect();
        out.insert(
            String::from_utf8_lossy(rel).into_owned(),
            Entry {
                kind,
                size: e.size,
                nlink: e.nlink,
                ino: e.dev_ino.1,
                mtime: e.mtime,
                atime: e.atime,
                streams,
                meta,
                other_listed,
            },
        );
    }
    out
}

/// Sorted groups of non-directory paths sharing an inode (nlink > 1).
fn link_groups(tree: &BTreeMap<String, Entry>) -> Vec<Vec<String>> {
    let mut by_ino: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for (p, e) in tree {
        if !matches!(e.kind, Kind::Dir) && e.nlink > 1 {
            by_ino.entry(e.ino).or_default().push(p.clone());
        }
    }
    let mut groups: Vec<Vec<String>> = by_ino.into_values().collect();
    for g in &mut groups {
        g.sort();
    }
    groups.sort();
    groups
}

/// Builds (or reuses) the fixture: `<target>/tmp/ntfs-fixture/{ntfs.img,ntfs.wim}`.
fn fixture() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ntfs-fixture");
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/make-ntfs-fixture.sh")
        .canonicalize()
        .expect("tests/fixtures/make-ntfs-fixture.sh exists");
    // flock: concurrent test runs share the fixture directory.
    run(Command::new("flock")
        .arg(dir.with_extension("lock"))
        .arg(&script)
        .arg(&dir));
    dir
}

#[test]
fn ntfs_capture_shows_the_same_metadata_as_ntfs3g() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test must run as root: its fixture mounts an NTFS image file with ntfs-3g"
    );
    let fix = fixture();
    let (img, wim) = (fix.join("ntfs.img"), fix.join("ntfs.wim"));
    let scratch = TempDir::new("ntfs-metadata");
    let dir = scratch.path();
    let (our_mnt, ntfs_mnt) = (dir.join("wimfs"), dir.join("ntfs-3g"));
    std::fs::create_dir_all(&our_mnt).expect("mkdir");
    std::fs::create_dir_all(&ntfs_mnt).expect("mkdir");

    let ours_guard = MountGuard::wimfs(&wim, "1", &our_mnt, &[]);
    let ours = walk(&our_mnt);

    // The data of reparse points other than links, which ntfs-3g cannot show: read with
    // ntfscat while the image is not mounted.
    let mut ntfscat = BTreeMap::new();
    for (p, e) in &ours {
        if matches!(e.reparse_tag(), Some(t) if t != TAG_SYMLINK && t != TAG_MOUNT_POINT)
            && e.attrib() & ATTR_DIRECTORY == 0
        {
            let out = run(Command::new("ntfscat").arg(&img).arg(format!("/{p}")));
            ntfscat.insert(p.clone(), out.stdout);
        }
    }
    assert!(ntfscat.len() >= 2, "non-link reparse files: {ntfscat:?}");

    let mut umount = Command::new("umount");
    umount.arg(&ntfs_mnt);
    let ntfs_guard = MountGuard::mount(
        Command::new("ntfs-3g")
            .arg("-o")
            .arg("ro,streams_interface=xattr,posix_nlink")
            .arg(&img)
            .arg(&ntfs_mnt),
        &ntfs_mnt,
        umount,
    );
    let ntfs = walk(&ntfs_mnt);

    let mut diffs = Vec::new();
    for p in ours.keys().filter(|p| !ntfs.contains_key(*p)) {
        diffs.push(format!("/{p}: only in our mount"));
    }
    for p in ntfs.keys().filter(|p| !ours.contains_key(*p)) {
        diffs.push(format!("/{p}: missing from our mount"));
    }
    for (p, a) in &ours {
        if let Some(b) = ntfs.get(p) {
            compare(p, a, b, &ntfscat, (&our_mnt, &ntfs_mnt), &mut diffs);
        }
    }
    let (ga, gb) = (link_groups(&ours), link_groups(&ntfs));
    if ga != gb {
        diffs.push(format!("hard-link groups: {ga:?} vs ntfs-3g {gb:?}"));
    }
    diffs.extend(check_fixture_facts(&ours, &our_mnt));
    ntfs_guard.unmount();
    ours_guard.unmount();
    assert!(
        diffs.is_empty(),
        "{} paths compared; our mount vs ntfs-3g:\n{}",
        ours.len(),
        diffs.join("\n")
    );
    assert!(ours.len() > 50, "only {} paths", ours.len());
}
