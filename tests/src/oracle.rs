//! Oracle manifests: the committed `IMAGE.TREE.manifest` files of isofs's fixtures, written by
//! the reference tools (`isofs/tests/fixtures/oracle.py`: pycdlib, 7z, the kernel), one row per
//! path: `path kind size perm digest [mtime]`, tab-separated; `-` is a field not compared.
//! Our trees become rows too ([`rows_of_dir`] walks a mount with [`crate::tree::walk`]), and
//! [`compare_rows`] lists every difference.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::manifest::{errno_name, Content, Kind};
use crate::tree::{walk, WalkOptions};

/// One manifest row: kind, size, perm, digest, mtime of files ("-" = not compared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub kind: String,
    pub size: String,
    pub perm: String,
    pub digest: String,
    pub mtime: String,
}

/// Parses a manifest file.
pub fn read_rows(path: &Path) -> BTreeMap<String, Row> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("manifest {}: {e}", path.display()));
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

/// Compares our rows with an oracle's; returns the differences.
pub fn compare_rows(ours: &BTreeMap<String, Row>, oracle: &BTreeMap<String, Row>) -> Vec<String> {
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The name the rows give a special file's kind (as isofs's `FileKind` debug-prints it).
fn special_kind(format: u32) -> &'static str {
    match format {
        libc::S_IFCHR => "CharDevice",
        libc::S_IFBLK => "BlockDevice",
        libc::S_IFIFO => "Fifo",
        libc::S_IFSOCK => "Socket",
        _ => "Unknown",
    }
}

/// Walks a directory (a mount) into rows: every path but the root, files read and hashed.
pub fn rows_of_dir(top: &Path) -> BTreeMap<String, Row> {
    let opts = WalkOptions {
        xattrs: false,
        check_dirents: false,
        ..WalkOptions::default()
    };
    let m = walk(top, &opts);
    assert!(
        m.anomalies.is_empty(),
        "walking {}: {:?}",
        top.display(),
        m.anomalies
    );
    let dash = || "-".to_string();
    m.entries
        .iter()
        .filter(|(p, _)| !p.is_empty())
        .map(|(p, e)| {
            let path = format!("/{}", OsStr::from_bytes(p).to_string_lossy());
            let perm = format!("{:o}", e.perm);
            let mtime = e.mtime.0.to_string();
            let row = match e.kind {
                Kind::Dir => Row {
                    kind: "d".into(),
                    size: dash(),
                    perm,
                    digest: dash(),
                    mtime: dash(),
                },
                Kind::Symlink => Row {
                    kind: "l".into(),
                    size: dash(),
                    perm,
                    digest: match &e.target {
                        Some(Ok(t)) => String::from_utf8_lossy(t).into_owned(),
                        Some(Err(errno)) => format!("ERROR {}", errno_name(*errno)),
                        None => dash(),
                    },
                    mtime: dash(),
                },
                Kind::File => Row {
                    kind: "f".into(),
                    size: e.size.to_string(),
                    perm,
                    digest: match &e.content {
                        Some(Content::Data { sha1, .. }) => hex(sha1),
                        Some(Content::Error { errno, .. }) => {
                            format!("ERROR {}", errno_name(*errno))
                        }
                        None => dash(),
                    },
                    mtime,
                },
                Kind::Other(format) => Row {
                    kind: special_kind(format).into(),
                    size: dash(),
                    perm,
                    digest: format!("rdev {:#x}", e.rdev),
                    mtime,
                },
            };
            (path, row)
        })
        .collect()
}
