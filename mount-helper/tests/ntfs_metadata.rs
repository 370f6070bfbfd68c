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
use std::ffi::CString;
use std::io::Error;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

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

/// `lgetxattr(2)`: the value, or the error (ENODATA when absent).
fn lgetxattr(path: &Path, name: &str) -> Result<Vec<u8>, Error> {
    let p = CString::new(path.as_os_str().as_bytes()).expect("paths have no NUL");
    let n = CString::new(name).expect("names have no NUL");
    loop {
        // SAFETY: valid NUL-terminated strings; a null buffer of size 0 asks for the size.
        let len = unsafe { libc::lgetxattr(p.as_ptr(), n.as_ptr(), std::ptr::null_mut(), 0) };
        let len = usize::try_from(len).map_err(|_| Error::last_os_error())?;
        let mut buf = vec![0u8; len];
        // SAFETY: buf is writable for buf.len() bytes.
        let got =
            unsafe { libc::lgetxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        match usize::try_from(got) {
            Ok(got) => {
                buf.truncate(got);
                return Ok(buf);
            }
            // The value grew between the two calls: ask again.
            Err(_) if Error::last_os_error().raw_os_error() == Some(libc::ERANGE) => {}
            Err(_) => return Err(Error::last_os_error()),
        }
    }
}

/// `llistxattr(2)`: the names.
fn llistxattr(path: &Path) -> Vec<String> {
    let p = CString::new(path.as_os_str().as_bytes()).expect("paths have no NUL");
    loop {
        // SAFETY: a valid NUL-terminated string; a null buffer of size 0 asks for the size.
        let len = unsafe { libc::llistxattr(p.as_ptr(), std::ptr::null_mut(), 0) };
        let len = usize::try_from(len).unwrap_or_else(|_| {
            panic!("llistxattr {}: {}", path.display(), Error::last_os_error())
        });
        let mut buf = vec![0u8; len];
        // SAFETY: buf is writable for buf.len() bytes.
        let got = unsafe { libc::llistxattr(p.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        match usize::try_from(got) {
            Ok(got) => {
                return buf[..got]
                    .split(|&b| b == 0)
                    .filter(|n| !n.is_empty())
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .collect();
            }
            Err(_) if Error::last_os_error().raw_os_error() == Some(libc::ERANGE) => {}
            Err(_) => panic!("llistxattr {}: {}", path.display(), Error::last_os_error()),
        }
    }
}

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

/// Every path below `root` (and the root itself as ""), without following symlinks.
fn walk(root: &Path) -> BTreeMap<String, Entry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let rel = p
            .strip_prefix(root)
            .expect("below root")
            .to_string_lossy()
            .into_owned();
        let m = std::fs::symlink_metadata(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let kind = if m.is_dir() {
            let mut children: Vec<PathBuf> = std::fs::read_dir(&p)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                .map(|e| e.expect("dir entry").path())
                .collect();
            children.sort();
            stack.extend(children);
            Kind::Dir
        } else if m.file_type().is_symlink() {
            let t = std::fs::read_link(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            Kind::Symlink(t.to_string_lossy().into_owned())
        } else {
            Kind::File(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        };
        let mut streams = BTreeMap::new();
        let mut other_listed = Vec::new();
        for name in llistxattr(&p) {
            if name.starts_with("user.") {
                let v = lgetxattr(&p, &name)
                    .unwrap_or_else(|e| panic!("{}: listed {name} but: {e}", p.display()));
                streams.insert(name, v);
            } else {
                other_listed.push(name);
            }
        }
        let meta = META
            .iter()
            .map(|&n| {
                let v = match lgetxattr(&p, n) {
                    Ok(v) => Some(v),
                    Err(e) if e.raw_os_error() == Some(libc::ENODATA) => None,
                    // ntfs-3g answers EPERM for the root's short name (the root has no
                    // parent directory to hold one); ours answers ENODATA.
                    Err(e)
                        if e.raw_os_error() == Some(libc::EPERM)
                            && n == "system.ntfs_dos_name"
                            && rel.is_empty() =>
                    {
                        None
                    }
                    Err(e) => panic!("{}: getxattr {n}: {e}", p.display()),
                };
                (n, v)
            })
            .collect();
        out.insert(
            rel,
            Entry {
                kind,
                size: m.len(),
                nlink: m.nlink(),
                ino: m.ino(),
                mtime: (m.mtime(), m.mtime_nsec()),
                atime: (m.atime(), m.atime_nsec()),
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

/// A link's reparse buffer: (tag, substitute name, relative?).
fn parse_link(buf: &[u8]) -> Option<(u32, String, bool)> {
    let u16_at = |o: usize| -> Option<usize> {
        Some(usize::from(u16::from_le_bytes(
            buf.get(o..o + 2)?.try_into().ok()?,
        )))
    };
    let tag = u32::from_le_bytes(buf.get(..4)?.try_into().ok()?);
    let (names, relative) = match tag {
        TAG_SYMLINK => {
            let flags = u32::from_le_bytes(buf.get(16..20)?.try_into().ok()?);
            (20, flags & 1 != 0)
        }
        TAG_MOUNT_POINT => (16, false),
        _ => return None,
    };
    let (off, len) = (u16_at(8)?, u16_at(10)?);
    let raw = buf.get(names + off..names + off + len)?;
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Some((tag, String::from_utf16(&units).ok()?, relative))
}

/// The targets a link reads as on ntfs-3g and on our mount, from its reparse buffer.
fn expected_targets(buf: &[u8], ntfs_mnt: &Path, our_mnt: &Path) -> (String, String) {
    let (_, sub, relative) = parse_link(buf).expect("a symlink or junction reparse buffer");
    if relative {
        let t = sub.replace('\\', "/");
        return (t.clone(), t);
    }
    let rest = sub
        .strip_prefix("\\??\\")
        .unwrap_or_else(|| panic!("absolute target {sub:?} without \\??\\"));
    let (drive, path) = rest.split_at(rest.find('\\').unwrap_or(rest.len()));
    let path = path.replace('\\', "/");
    let ntfs = if drive.eq_ignore_ascii_case("C:") {
        format!("{}{path}", ntfs_mnt.display())
    } else {
        format!("{}/.NTFS-3G/{drive}{path}", ntfs_mnt.display())
    };
    (ntfs, format!("{}{path}", our_mnt.display()))
}

/// Compares one path; pushes every difference to `diffs`.
fn compare(
    p: &str,
    ours: &Entry,
    ntfs: &Entry,
    ntfscat: &BTreeMap<String, Vec<u8>>,
    mounts: (&Path, &Path),
    diffs: &mut Vec<String>,
) {
    let (our_mnt, ntfs_mnt) = mounts;
    let mut d = |what: String| diffs.push(format!("/{p}: {what}"));
    // Type, size, bytes, targets.
    match (&ours.kind, &ntfs.kind) {
        (Kind::Dir, Kind::Dir) => {}
        (Kind::File(a), Kind::File(b)) => {
            if ours.size != ntfs.size {
                d(format!("size {} vs ntfs-3g {}", ours.size, ntfs.size));
            } else if a != b {
                d("file bytes differ".into());
            }
        }
        (ours_kind, Kind::Symlink(t)) if t.starts_with("unsupported reparse tag 0x") => {
            // ntfs-3g cannot show it; the reparse buffer says what it is.
            let buf = ntfs.meta("system.ntfs_reparse_data").unwrap_or_default();
            if parse_link(buf).is_some() {
                // A link ntfs-3g could not resolve (a relative target that does not exist).
                let (_, want) = expected_targets(buf, ntfs_mnt, our_mnt);
                match ours_kind {
                    Kind::Symlink(got) if *got == want => {}
                    k => d(format!("a link to {want:?} reads as {k:?}")),
                }
            } else if ntfs.attrib() & ATTR_DIRECTORY != 0 {
                if !matches!(ours_kind, Kind::Dir) {
                    d(format!("a directory reparse point reads as {ours_kind:?}"));
                }
            } else {
                let want = ntfscat
                    .get(p)
                    .unwrap_or_else(|| panic!("/{p}: no ntfscat data"));
                match ours_kind {
                    Kind::File(got) if got == want => {}
                    Kind::File(got) => d(format!(
                        "non-link reparse point: {} bytes, ntfscat {} bytes, differ",
                        got.len(),
                        want.len()
                    )),
                    k => d(format!("non-link reparse point reads as {k:?}, not a file")),
                }
            }
        }
        (Kind::Symlink(got_ours), Kind::Symlink(got_ntfs)) => {
            let buf = ntfs.meta("system.ntfs_reparse_data").unwrap_or_default();
            let (want_ntfs, want_ours) = expected_targets(buf, ntfs_mnt, our_mnt);
            if *got_ours != want_ours {
                d(format!("readlink {got_ours:?}, want {want_ours:?}"));
            }
            if *got_ntfs != want_ntfs {
                d(format!(
                    "ntfs-3g readlink {got_ntfs:?}, want {want_ntfs:?} (test's model of ntfs-3g)"
                ));
            }
        }
        (a, b) => d(format!("type {a:?} vs ntfs-3g {b:?}")),
    }
    if !matches!(ours.kind, Kind::Dir) && ours.nlink != ntfs.nlink {
        d(format!("nlink {} vs ntfs-3g {}", ours.nlink, ntfs.nlink));
    }
    if ours.mtime != ntfs.mtime {
        d(format!(
            "mtime {:?} vs ntfs-3g {:?}",
            ours.mtime, ntfs.mtime
        ));
    }
    if ours.atime != ntfs.atime {
        d(format!(
            "atime {:?} vs ntfs-3g {:?}",
            ours.atime, ntfs.atime
        ));
    }
    // Named streams.
    if ours.streams.keys().ne(ntfs.streams.keys()) {
        d(format!(
            "streams {:?} vs ntfs-3g {:?}",
            ours.streams.keys().collect::<Vec<_>>(),
            ntfs.streams.keys().collect::<Vec<_>>()
        ));
    } else {
        for (n, v) in &ours.streams {
            if ntfs.streams.get(n) != Some(v) {
                d(format!("stream {n} value differs ({} bytes)", v.len()));
            }
        }
    }
    if !ours.other_listed.is_empty() {
        d(format!(
            "lists {:?} (only user.* should be)",
            ours.other_listed
        ));
    }
    // Windows metadata, byte for byte.
    for n in META {
        let (a, b) = (ours.meta(n), ntfs.meta(n));
        if a != b {
            d(format!("{n}: {} vs ntfs-3g {}", hex(a), hex(b)));
        }
    }
}

fn hex(v: Option<&[u8]>) -> String {
    match v {
        None => "absent".into(),
        Some(v) => v.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// A mount, unmounted on drop.
struct Mounted {
    dir: PathBuf,
    ours: bool,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let ok = if self.ours {
            wimfs().arg("unmount").arg(&self.dir).status()
        } else {
            Command::new("umount").arg(&self.dir).status()
        }
        .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("fusermount3")
                .arg("-uz")
                .arg(&self.dir)
                .status();
        }
    }
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

// --- What the fixture script put there, built independently of it ---

fn sid(text: &str) -> Vec<u8> {
    let parts: Vec<u64> = text
        .split('-')
        .skip(1)
        .map(|x| x.parse().expect("SID number"))
        .collect();
    let mut v = vec![parts[0] as u8, (parts.len() - 2) as u8];
    v.extend_from_slice(&parts[1].to_be_bytes()[2..]);
    for s in &parts[2..] {
        v.extend_from_slice(&(*s as u32).to_le_bytes());
    }
    v
}

fn ace(kind: u8, flags: u8, mask: u32, who: &str) -> Vec<u8> {
    let s = sid(who);
    let mut v = vec![kind, flags];
    v.extend_from_slice(&(8 + s.len() as u16).to_le_bytes());
    v.extend_from_slice(&mask.to_le_bytes());
    v.extend_from_slice(&s);
    v
}

/// A self-relative descriptor: DACL with `aces`, owner Administrators, group SYSTEM.
fn descriptor(aces: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = aces.concat();
    let mut acl = vec![2, 0];
    acl.extend_from_slice(&(8 + body.len() as u16).to_le_bytes());
    acl.extend_from_slice(&(aces.len() as u16).to_le_bytes());
    acl.extend_from_slice(&[0, 0]);
    acl.extend_from_slice(&body);
    let (o, g) = (sid("S-1-5-32-544"), sid("S-1-5-18"));
    let owner_off = 20 + acl.len() as u32;
    let mut v = vec![1, 0];
    v.extend_from_slice(&0x8004u16.to_le_bytes());
    for x in [owner_off, owner_off + o.len() as u32, 0, 20] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.extend_from_slice(&acl);
    v.extend_from_slice(&o);
    v.extend_from_slice(&g);
    v
}

fn link_buffer(tag: u32, substitute: &str, print: &str, flags: Option<u32>) -> Vec<u8> {
    let s: Vec<u8> = substitute
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let p: Vec<u8> = print.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut data = Vec::new();
    for x in [0, s.len(), s.len() + 2, p.len()] {
        data.extend_from_slice(&(x as u16).to_le_bytes());
    }
    if let Some(f) = flags {
        data.extend_from_slice(&f.to_le_bytes());
    }
    data.extend_from_slice(&s);
    data.extend_from_slice(&[0, 0]);
    data.extend_from_slice(&p);
    data.extend_from_slice(&[0, 0]);
    let mut v = tag.to_le_bytes().to_vec();
    v.extend_from_slice(&(data.len() as u16).to_le_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&data);
    v
}

/// Checks that our mount shows what the script made (so that the comparison with ntfs-3g is
/// not vacuous), independently of ntfs-3g.
fn check_fixture_facts(ours: &BTreeMap<String, Entry>, mnt: &Path) -> Vec<String> {
    let mut bad = Vec::new();
    let get = |p: &str| -> &Entry { ours.get(p).unwrap_or_else(|| panic!("/{p} missing")) };
    let mut want_meta = |p: &str, name: &str, want: &[u8]| {
        let got = get(p).meta(name);
        if got != Some(want) {
            bad.push(format!(
                "/{p} {name}: {} want {}",
                hex(got),
                hex(Some(want))
            ));
        }
    };
    want_meta(
        "security/known-dacl.txt",
        "system.ntfs_acl",
        &descriptor(&[
            ace(0, 0, 0x1F01FF, "S-1-5-32-544"),
            ace(1, 0, 0x000116, "S-1-5-32-545"),
            ace(0, 0, 0x1200A9, "S-1-1-0"),
            ace(0, 0, 0x1F01FF, "S-1-5-18"),
        ]),
    );
    want_meta(
        "security/empty-dacl.txt",
        "system.ntfs_acl",
        &descriptor(&[]),
    );
    want_meta(
        "links/junction",
        "system.ntfs_reparse_data",
        &link_buffer(TAG_MOUNT_POINT, "\\??\\C:\\plain", "C:\\plain", None),
    );
    want_meta(
        "links/relative-symlink",
        "system.ntfs_reparse_data",
        &link_buffer(
            TAG_SYMLINK,
            "..\\plain\\small.txt",
            "..\\plain\\small.txt",
            Some(1),
        ),
    );
    want_meta(
        "links/absolute-symlink",
        "system.ntfs_reparse_data",
        &link_buffer(
            TAG_SYMLINK,
            "\\??\\C:\\plain\\text.txt",
            "C:\\plain\\text.txt",
            Some(0),
        ),
    );
    // WOF_EXTERNAL_INFO (version 1, provider 2) + FILE_PROVIDER_EXTERNAL_INFO_V1 (1, LZX = 1).
    let mut wof_buf = 0x8000_0017u32.to_le_bytes().to_vec();
    wof_buf.extend_from_slice(&16u16.to_le_bytes());
    wof_buf.extend_from_slice(&[0, 0]);
    for x in [1u32, 2, 1, 1] {
        wof_buf.extend_from_slice(&x.to_le_bytes());
    }
    want_meta("reparse/wof.bin", "system.ntfs_reparse_data", &wof_buf);
    want_meta(
        "shortnames/A long file name.txt",
        "system.ntfs_dos_name",
        b"ALONGF~1.TXT",
    );
    want_meta(
        "shortnames/Program Files",
        "system.ntfs_dos_name",
        b"PROGRA~1",
    );
    let mut objid = vec![
        0x6d, 0x2f, 0x1c, 0x9a, 0x3e, 0x0b, 0x4f, 0x51, 0xa2, 0xc8, 0xd7, 0xe6, 0xf5, 0x04, 0x13,
        0x22,
    ];
    objid.resize(64, 0);
    want_meta("objectid.txt", "system.ntfs_object_id", &objid);
    for (p, want) in [
        ("attributes/readonly.txt", 0x21),
        ("attributes/hidden.txt", 0x22),
        ("attributes/system.txt", 0x24),
        ("attributes/hidden-system-readonly.txt", 0x27),
        ("attributes/hidden-dir", 0x12),
        ("attributes/normal.txt", 0x80),
        ("attributes/temporary.txt", 0x100),
        ("attributes/not-content-indexed.txt", 0x2000),
        ("attributes/compressed-dir/compressed.txt", 0x820),
        ("plain/sparse.bin", 0x220),
        ("reparse/wof.bin", 0x420),
        ("links/junction", 0x430),
        ("", 0x36),
    ] {
        let got = get(p).attrib();
        // ARCHIVE (0x20) is set by ntfs-3g on new files; the rest is what the script set.
        if got & !0x20 != want & !0x20 {
            bad.push(format!("/{p} system.ntfs_attrib {got:#x}, want {want:#x}"));
        }
    }
    let streams = &get("streams/two-streams.txt").streams;
    if streams.get("user.Zone.Identifier").map(Vec::as_slice)
        != Some(b"[ZoneTransfer]\r\nZoneId=3\r\n".as_slice())
        || streams.get("user.big").map(Vec::len) != Some(40_000)
    {
        bad.push(format!(
            "/streams/two-streams.txt streams: {:?}",
            streams.keys().collect::<Vec<_>>()
        ));
    }
    if get("streams/empty-stream.txt").streams.get("user.empty") != Some(&Vec::new()) {
        bad.push("/streams/empty-stream.txt: no empty user.empty".into());
    }
    if !get("streams/dir-with-stream")
        .streams
        .contains_key("user.dirstream")
    {
        bad.push("/streams/dir-with-stream: no user.dirstream".into());
    }
    // Non-link reparse points are regular files (directories) with their data.
    match &get("reparse/wof.bin").kind {
        Kind::File(d) if d == b"the unnamed data of a WOF-tagged file\n" => {}
        k => bad.push(format!("/reparse/wof.bin: {k:?}")),
    }
    if !matches!(get("reparse/dedup.bin").kind, Kind::File(_)) {
        bad.push("/reparse/dedup.bin is not a regular file".into());
    }
    if ours.contains_key("reparse/cloud-dir") && !matches!(get("reparse/cloud-dir").kind, Kind::Dir)
    {
        bad.push("/reparse/cloud-dir is not a directory".into());
    }
    for (p, want) in [
        ("links/relative-symlink", "../plain/small.txt".to_string()),
        (
            "links/absolute-symlink",
            format!("{}/plain/text.txt", mnt.display()),
        ),
        ("links/junction", format!("{}/plain", mnt.display())),
        (
            "links/junction-other-drive",
            format!("{}/Data/Shared", mnt.display()),
        ),
        ("links/broken-symlink", "no/such/file".to_string()),
    ] {
        match &get(p).kind {
            Kind::Symlink(t) if *t == want => {}
            k => bad.push(format!("/{p}: {k:?}, want a symlink to {want:?}")),
        }
    }
    if get("links/original.txt").nlink != 3 || get("links/streamed.txt").nlink != 2 {
        bad.push("hard links: wrong link counts".into());
    }
    let case: Vec<&String> = ours.keys().filter(|p| p.starts_with("case/")).collect();
    if case != ["case/README.TXT", "case/Readme.txt", "case/readme.txt"] {
        bad.push(format!("case-differing names: {case:?}"));
    }
    bad
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
    let dir = scratch("ntfs-metadata");
    let (our_mnt, ntfs_mnt) = (dir.join("wimfs"), dir.join("ntfs-3g"));
    std::fs::create_dir_all(&our_mnt).expect("mkdir");
    std::fs::create_dir_all(&ntfs_mnt).expect("mkdir");

    run(wimfs().arg("mount").arg(&wim).arg("1").arg(&our_mnt));
    let ours_guard = Mounted {
        dir: our_mnt.clone(),
        ours: true,
    };
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

    run(Command::new("ntfs-3g")
        .arg("-o")
        .arg("ro,streams_interface=xattr,posix_nlink")
        .arg(&img)
        .arg(&ntfs_mnt));
    let ntfs_guard = Mounted {
        dir: ntfs_mnt.clone(),
        ours: false,
    };
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
    drop(ntfs_guard);
    drop(ours_guard);
    assert!(
        diffs.is_empty(),
        "{} paths compared; our mount vs ntfs-3g:\n{}",
        ours.len(),
        diffs.join("\n")
    );
    assert!(ours.len() > 50, "only {} paths", ours.len());
    std::fs::remove_dir_all(&dir).ok();
}
