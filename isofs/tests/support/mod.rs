//! Test helpers: walk an image through the `Vfs` trait into manifest rows like oracle.py's.

#![allow(dead_code)]

pub mod synth;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use common::vfs::{FileKind, Vfs, ROOT_INO};
use isofs::{IsoFs, OpenOptions, TreeKind};
use sha1::{Digest, Sha1};

/// The fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// One manifest row: kind, size, perm, digest, mtime of files ("-" = not compared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub kind: String,
    pub size: String,
    pub perm: String,
    pub digest: String,
    pub mtime: String,
}

fn secs(t: std::time::SystemTime) -> String {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs().to_string(),
        Err(e) => format!("-{}", e.duration().as_secs_f64().ceil()),
    }
}

/// Parses a manifest file.
pub fn read_manifest(path: &Path) -> BTreeMap<String, Row> {
    let text = std::fs::read_to_string(path).expect("manifest readable");
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert!(
                f.len() == 5 || f.len() == 6,
                "bad manifest line {l:?} in {}",
                path.display()
            );
            (
                f[0].to_string(),
                Row {
                    kind: f[1].into(),
                    size: f[2].into(),
                    perm: f[3].into(),
                    digest: f[4].into(),
                    mtime: f.get(5).unwrap_or(&"-").to_string(),
                },
            )
        })
        .collect()
}

/// Reads a whole file through the Vfs in 64 KiB reads.
pub fn read_all(fs: &dyn Vfs, ino: u64) -> Result<Vec<u8>, common::vfs::VfsError> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let n = fs.read(ino, 0, out.len() as u64, &mut buf)?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Walks the whole tree through the `Vfs` trait.
pub fn walk(fs: &dyn Vfs) -> BTreeMap<String, Row> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(ROOT_INO, String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let mut entries = Vec::new();
        fs.readdir(dir, 0, &mut |_, e| {
            entries.push(e.clone());
            false
        })
        .expect("readdir");
        for e in entries {
            let path = format!("{prefix}/{}", e.name.to_string_lossy());
            let attr = fs
                .lookup(dir, OsStr::from_bytes(e.name.as_bytes()))
                .expect("lookup");
            assert_eq!(attr.ino, e.ino, "{path}: lookup and readdir disagree");
            let perm = format!("{:o}", attr.perm);
            let row = match attr.kind {
                FileKind::Directory => {
                    stack.push((e.ino, path.clone()));
                    Row {
                        kind: "d".into(),
                        size: "-".into(),
                        perm,
                        digest: "-".into(),
                        mtime: "-".into(),
                    }
                }
                FileKind::Symlink => {
                    let t = fs.readlink(e.ino).expect("readlink");
                    Row {
                        kind: "l".into(),
                        size: "-".into(),
                        perm,
                        digest: String::from_utf8_lossy(&t).into_owned(),
                        mtime: "-".into(),
                    }
                }
                special @ (FileKind::CharDevice
                | FileKind::BlockDevice
                | FileKind::Fifo
                | FileKind::Socket) => Row {
                    kind: format!("{special:?}"),
                    size: "-".into(),
                    perm,
                    digest: format!("rdev {:#x}", attr.rdev),
                    mtime: secs(attr.mtime),
                },
                FileKind::File => match read_all(fs, e.ino) {
                    Ok(data) => {
                        assert_eq!(data.len() as u64, attr.size, "{path}: size vs bytes read");
                        Row {
                            kind: "f".into(),
                            size: attr.size.to_string(),
                            perm,
                            digest: format!("{:x}", Sha1::digest(&data)),
                            mtime: secs(attr.mtime),
                        }
                    }
                    Err(err) => Row {
                        kind: "f".into(),
                        size: attr.size.to_string(),
                        perm,
                        digest: format!("ERROR {err}"),
                        mtime: secs(attr.mtime),
                    },
                },
            };
            out.insert(path, row);
        }
    }
    out
}

/// Opens a fixture with a forced tree.
pub fn open(image: &Path, tree: Option<TreeKind>) -> isofs::IsoResult<IsoFs> {
    let opts = OpenOptions {
        tree,
        uid: 0,
        gid: 0,
    };
    IsoFs::open_path(image, &opts, 16 << 20)
}

/// Compares our rows with an oracle's; returns the differences.
pub fn compare(ours: &BTreeMap<String, Row>, oracle: &BTreeMap<String, Row>) -> Vec<String> {
    let mut diffs = Vec::new();
    for (path, want) in oracle {
        if path.starts_with("/[BOOT]") {
            continue; // 7z's view of El Torito images; we offer `isofs info --extract-boot`.
        }
        let Some(got) = ours.get(path) else {
            diffs.push(format!("missing {path}"));
            continue;
        };
        let fields = [
            ("kind", &want.kind, &got.kind),
            ("size", &want.size, &got.size),
            ("perm", &want.perm, &got.perm),
            ("digest", &want.digest, &got.digest),
            ("mtime", &want.mtime, &got.mtime),
        ];
        for (name, w, g) in fields {
            if w != "-" && w != g {
                diffs.push(format!("{path}: {name} {g:?}, oracle {w:?}"));
            }
        }
    }
    for path in ours.keys() {
        if !oracle.contains_key(path) {
            diffs.push(format!("extra {path}"));
        }
    }
    diffs
}

/// Walks a directory (a FUSE mount) with std::fs into manifest rows.
pub fn walk_dir(top: &Path) -> BTreeMap<String, Row> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![(top.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read_dir") {
            let e = e.expect("dir entry");
            let path = format!("{prefix}/{}", e.file_name().to_string_lossy());
            let meta = std::fs::symlink_metadata(e.path()).expect("lstat");
            let perm = format!("{:o}", meta.permissions().mode() & 0o7777);
            let row = if meta.is_dir() {
                stack.push((e.path(), path.clone()));
                Row {
                    kind: "d".into(),
                    size: "-".into(),
                    perm,
                    digest: "-".into(),
                    mtime: "-".into(),
                }
            } else if meta.file_type().is_symlink() {
                let t = std::fs::read_link(e.path()).expect("readlink");
                Row {
                    kind: "l".into(),
                    size: "-".into(),
                    perm,
                    digest: t.to_string_lossy().into_owned(),
                    mtime: "-".into(),
                }
            } else {
                let digest = match std::fs::read(e.path()) {
                    Ok(data) => format!("{:x}", Sha1::digest(&data)),
                    Err(err) => format!("ERROR {err}"),
                };
                Row {
                    kind: "f".into(),
                    size: meta.len().to_string(),
                    perm,
                    digest,
                    mtime: meta.modified().map(secs).unwrap_or_else(|_| "?".into()),
                }
            };
            out.insert(path, row);
        }
    }
    out
}

/// The fixture manifests: (manifest path, image path, tree).
pub fn manifests() -> Vec<(PathBuf, PathBuf, TreeKind)> {
    let mut out = Vec::new();
    for dir in [fixtures(), fixtures().join("libarchive")] {
        for e in std::fs::read_dir(&dir).expect("fixtures dir") {
            let p = e.expect("entry").path();
            if p.extension().is_none_or(|x| x != "manifest") {
                continue;
            }
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .expect("utf-8")
                .to_string();
            let mut parts = name.rsplitn(3, '.');
            let (_, tree, image) = (parts.next(), parts.next(), parts.next());
            let (Some(tree), Some(image)) = (tree, image) else {
                panic!("bad manifest name {name}");
            };
            let tree = tree.parse().expect("tree name");
            out.push((p.clone(), p.with_file_name(image), tree));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Skips a test whose prerequisite (`what`) is missing: prints why, or fails under CI
/// (`CI` set, as `.ci/run` runs), where every test must run.
pub fn skip_unless_ci(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run this test, but {what}"
    );
    eprintln!("SKIPPED: {what}");
}
