//! Walking a whole WIM: every image's tree and every stream read through the VFS. Used by the
//! fuzz targets and their replay tests (hostile bytes in, no panic out) and by verification.

use std::ffi::OsString;
use std::sync::Arc;

use common::cache::ChunkCache;
use common::io::ReadAt;
use common::vfs::{FileKind, Vfs, ROOT_INO};

use crate::fs::{WimFs, WimFsOptions};
use crate::wim::WimFile;
use crate::WimResult;

/// What a walk saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WalkSummary {
    /// Images loaded.
    pub images: u32,
    /// Directory entries visited.
    pub entries: u64,
    /// Bytes of file data read.
    pub bytes: u64,
    /// Reads, readlinks and xattr reads that failed (each an error, never a panic).
    pub failed_reads: u64,
}

/// Opens `source` as a WIM and reads everything in it. Errors opening the WIM or loading an
/// image's metadata are returned; per-file errors are counted.
pub fn walk_all(source: Arc<dyn ReadAt>, max_bytes: u64) -> WimResult<WalkSummary> {
    let wim = Arc::new(WimFile::from_source(
        source,
        "input".into(),
        Arc::new(ChunkCache::new(8 << 20)),
    )?);
    let mut summary = WalkSummary::default();
    for index in 1..=wim.image_count().min(64) {
        let fs = WimFs::new(Arc::clone(&wim), index, WimFsOptions::default())?;
        summary.images += 1;
        walk_fs(&fs, max_bytes, &mut summary);
    }
    Ok(summary)
}

/// Reads every directory, file, link and xattr of a mounted image.
pub fn walk_fs(fs: &dyn Vfs, max_bytes: u64, summary: &mut WalkSummary) {
    let mut stack = vec![ROOT_INO];
    let mut buf = vec![0u8; 128 * 1024];
    while let Some(dir) = stack.pop() {
        let mut entries = Vec::new();
        let _ = fs.readdir(dir, 0, &mut |_, e| {
            entries.push(e.clone());
            false
        });
        for e in entries {
            summary.entries += 1;
            let _ = fs.lookup(dir, &e.name);
            if let Ok(names) = fs.listxattr(e.ino) {
                for n in names
                    .iter()
                    .chain([OsString::from("system.ntfs_acl")].iter())
                {
                    if fs.getxattr(e.ino, n).is_err() {
                        summary.failed_reads += 1;
                    }
                }
            }
            match e.kind {
                FileKind::Directory => stack.push(e.ino),
                FileKind::Symlink => {
                    if fs.readlink(e.ino).is_err() {
                        summary.failed_reads += 1;
                    }
                }
                FileKind::CharDevice
                | FileKind::BlockDevice
                | FileKind::Fifo
                | FileKind::Socket => {}
                FileKind::File => {
                    let Ok(open) = fs.open(e.ino, false) else {
                        summary.failed_reads += 1;
                        continue;
                    };
                    let mut off = 0u64;
                    while summary.bytes < max_bytes {
                        match fs.read(e.ino, open.handle, off, &mut buf) {
                            Ok(0) => break,
                            Ok(n) => {
                                off += n as u64;
                                summary.bytes += n as u64;
                            }
                            Err(_) => {
                                summary.failed_reads += 1;
                                break;
                            }
                        }
                    }
                    let _ = fs.release(e.ino, open.handle);
                }
            }
        }
    }
}
