//! The read half: lookup, getattr, readdir, open, read (with SHA-1 verification), readlink,
//! statfs.

use std::ffi::OsStr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use common::vfs::{Attr, DirEntry, OpenInfo, StatFs, VfsError, VfsResult};
use parking_lot::Mutex;

use super::attr::{file_kind, make_attr};
use super::mounted_image::{Handle, WimFs};
use super::seqhash::{Fed, SequentialHash};

/// Files being verified while read without a handle, at most (each holds a SHA-1 state).
pub(super) const MAX_HANDLELESS_HASHES: usize = 1024;
use crate::format::Sha1Hash;
use crate::inode::{Content, Inode, NodeKind};

impl WimFs {
    pub(super) fn attr_of(&self, ino: u64, inode: &Inode) -> Attr {
        let link_len = if inode.kind == NodeKind::Symlink {
            self.link_target(ino, inode).map_or(0, |t| t.len() as u64)
        } else {
            0
        };
        make_attr(ino, inode, link_len, self.opts.uid, self.opts.gid)
    }

    pub(super) fn do_lookup(&self, parent: u64, name: &OsStr) -> VfsResult<Attr> {
        let tree = self.tree.read();
        let dir = tree.inode(parent).ok_or(VfsError::NotFound)?;
        if dir.kind != NodeKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        let ino = dir
            .child(name.as_encoded_bytes())
            .ok_or(VfsError::NotFound)?;
        let inode = tree.inode(ino).ok_or(VfsError::NotFound)?;
        Ok(self.attr_of(ino, inode))
    }

    pub(super) fn do_getattr(&self, ino: u64) -> VfsResult<Attr> {
        let tree = self.tree.read();
        let inode = tree.inode(ino).ok_or(VfsError::NotFound)?;
        Ok(self.attr_of(ino, inode))
    }

    pub(super) fn do_readdir(
        &self,
        ino: u64,
        offset: u64,
        fill: &mut dyn FnMut(u64, &DirEntry) -> bool,
    ) -> VfsResult<()> {
        let tree = self.tree.read();
        let dir = tree.inode(ino).ok_or(VfsError::NotFound)?;
        if dir.kind != NodeKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        for (i, (name, child)) in dir.children.iter().enumerate().skip(start) {
            let Some(c) = tree.inode(*child) else {
                continue;
            };
            let entry = DirEntry {
                ino: *child,
                kind: file_kind(c.kind),
                name: name.clone(),
            };
            if fill(i as u64 + 1, &entry) {
                break;
            }
        }
        Ok(())
    }

    pub(super) fn do_open(&self, ino: u64, write: bool) -> VfsResult<OpenInfo> {
        if write {
            return self.open_for_write(ino);
        }
        let data = {
            let tree = self.tree.read();
            let inode = tree.inode(ino).ok_or(VfsError::NotFound)?;
            if inode.kind == NodeKind::Directory {
                return Err(VfsError::IsADirectory);
            }
            inode.data.clone()
        };
        let mut seq = None;
        if let Content::Blob(s) = &data {
            if s.missing {
                return Err(VfsError::Corrupt(format!(
                    "blob {} is missing from the WIM",
                    s.hash
                )));
            }
            // Small blobs are verified when decoded; longer ones when read through in order.
            let wim = self.wim();
            if let Some(blob) = wim.blob(&s.hash) {
                if !wim.reader(blob)?.verified_on_decode() {
                    seq = Some(Arc::new(Mutex::new(SequentialHash::new(*s))));
                }
            }
        }
        let handle = self.next_handle.fetch_add(1, Ordering::Relaxed);
        self.handles.lock().insert(
            handle,
            Handle {
                ino,
                write: false,
                seq,
            },
        );
        // Read-only images never change: the kernel may keep their pages across opens.
        Ok(OpenInfo {
            handle,
            immutable: self.staging.is_none(),
        })
    }

    pub(super) fn do_read(
        &self,
        ino: u64,
        handle: u64,
        offset: u64,
        buf: &mut [u8],
    ) -> VfsResult<usize> {
        let current = || -> VfsResult<Content> {
            let tree = self.tree.read();
            let inode = tree.inode(ino).ok_or(VfsError::NotFound)?;
            if inode.kind == NodeKind::Directory {
                return Err(VfsError::IsADirectory);
            }
            Ok(inode.data.clone())
        };
        let data = current()?;
        let n = match self.read_content(&data, offset, buf) {
            Ok(n) => n,
            // A commit while mounted moved the data into the WIM (and removed its staging
            // file) between the look-up and the read: read it where it is now.
            Err(e) => match current()? {
                now if now != data && matches!(data, Content::Staged { .. }) => {
                    self.read_content(&now, offset, buf)?
                }
                _ => return Err(e),
            },
        };
        let state = if handle == 0 {
            self.handleless_hash(ino, &data, offset)
        } else {
            self.handles.lock().get(&handle).and_then(|h| h.seq.clone())
        };
        if let Some(state) = state {
            let finished = self.verify_sequential(&state, offset, &buf[..n]);
            if handle == 0 && finished.as_ref().map_or(true, |done| *done) {
                let mut hashes = self.handleless_hashes.lock();
                if hashes.get(&ino).is_some_and(|s| Arc::ptr_eq(s, &state)) {
                    hashes.remove(&ino);
                }
            }
            finished?;
        }
        Ok(n)
    }

    /// The hash state of a file read without a handle: the inode's, started by a read from
    /// offset 0 of a blob that is not verified on decode. Readers of one inode share it; the
    /// kernel's page cache asks for each page once, so their reads form one sequence.
    fn handleless_hash(
        &self,
        ino: u64,
        data: &Content,
        offset: u64,
    ) -> Option<Arc<Mutex<SequentialHash>>> {
        if let Some(state) = self.handleless_hashes.lock().get(&ino) {
            return Some(Arc::clone(state));
        }
        let Content::Blob(stream) = data else {
            return None;
        };
        if offset != 0 {
            return None;
        }
        let wim = self.wim();
        let blob = wim.blob(&stream.hash)?;
        if wim.reader(blob).ok()?.verified_on_decode() {
            return None;
        }
        let mut hashes = self.handleless_hashes.lock();
        if hashes.len() >= MAX_HANDLELESS_HASHES {
            // Files read part way and left: forget one (its check is given up).
            let victim = hashes.keys().next().copied();
            victim.map(|v| hashes.remove(&v));
        }
        let state = hashes
            .entry(ino)
            .or_insert_with(|| Arc::new(Mutex::new(SequentialHash::new(*stream))));
        Some(Arc::clone(state))
    }

    pub(super) fn do_release(&self, ino: u64, handle: u64) -> VfsResult<()> {
        let was_write = self.handles.lock().remove(&handle).is_some_and(|h| h.write);
        if was_write {
            self.reap(ino);
        }
        Ok(())
    }

    pub(super) fn do_readlink(&self, ino: u64) -> VfsResult<Vec<u8>> {
        let tree = self.tree.read();
        let inode = tree.inode(ino).ok_or(VfsError::NotFound)?;
        if inode.kind != NodeKind::Symlink {
            return Err(VfsError::NotASymlink);
        }
        Ok(self.link_target(ino, inode)?.to_vec())
    }

    pub(super) fn do_statfs(&self) -> StatFs {
        let tree = self.tree.read();
        let total: u64 = tree.live().map(|(_, i)| i.data.size()).sum();
        let free = match &self.staging {
            Some(s) => common::io::available_space(s.dir()).unwrap_or(0),
            None => 0,
        };
        StatFs {
            blocks: (total + free).div_ceil(4096),
            free_blocks: free / 4096,
            files: tree.live().count() as u64,
            free_files: if self.staging.is_some() { 1 << 20 } else { 0 },
            block_size: 4096,
            max_name_len: 255,
        }
    }

    /// Hashes data read in order; on reaching the end, compares with the blob's SHA-1.
    /// Returns whether the check is over (verified or given up on).
    fn verify_sequential(
        &self,
        state: &Mutex<SequentialHash>,
        offset: u64,
        data: &[u8],
    ) -> VfsResult<bool> {
        let mut st = state.lock();
        let stream = st.stream;
        let fed = st.feed(offset, data, |from, gap| {
            self.read_content(&Content::Blob(stream), from, gap)
        })?;
        match fed {
            Fed::Going => Ok(false),
            Fed::Over => Ok(true),
            Fed::Mismatch(actual) => {
                if self.corrupt_blobs.lock().insert(stream.hash) {
                    tracing::warn!("blob {} reads back with SHA-1 {actual}", stream.hash);
                }
                Err(corrupt(&stream.hash))
            }
        }
    }
}

/// The error of a read of blob `hash` whose data does not match its SHA-1.
fn corrupt(hash: &Sha1Hash) -> VfsError {
    VfsError::Corrupt(format!(
        "blob {hash} reads back with another SHA-1: the data is corrupt"
    ))
}
