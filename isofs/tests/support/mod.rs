//! isofs's test helpers: opening the fixtures, walking an image through the `Vfs` trait into
//! the rows of the oracle manifests; everything else (rows, their comparison, walking a mount,
//! skipping) comes from the test kit (the `tests` crate's library), under the names older
//! tests use.

#![allow(dead_code, unused_imports)]

pub mod synth;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use common::vfs::{FileKind, Vfs, ROOT_INO};
use isofs::{IsoFs, OpenOptions, TreeKind};
use sha1::{Digest, Sha1};

pub use tests::oracle::{
    compare_rows as compare, read_rows as read_manifest, rows_of_dir as walk_dir, Row,
};
pub use tests::skip_unless_ci;

/// The fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn secs(t: std::time::SystemTime) -> String {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs().to_string(),
        Err(e) => format!("-{}", e.duration().as_secs_f64().ceil()),
    }
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
