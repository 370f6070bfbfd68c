//! The read-only filesystem view of one WIM image ([`common::vfs::Vfs`]).
//!
//! Extended attributes follow two conventions users already know: named data streams appear as
//! `user.<stream>` (wimlib's `--streams-interface=xattr`), and Windows metadata answers to
//! ntfs-3g's names, readable by name but not listed (as in ntfs-3g): `system.ntfs_attrib`
//! (FILE_ATTRIBUTE_* as u32 LE), `system.ntfs_acl` (self-relative security descriptor),
//! `system.ntfs_reparse_data` (the full reparse buffer), `system.ntfs_dos_name` (the short
//! name) and `system.ntfs_object_id`. Linux xattrs captured by wimlib appear under their names.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::vfs::{Attr, DirEntry, FileKind, OpenInfo, StatFs, Vfs, VfsError, VfsResult};
use parking_lot::Mutex;
use sha1::{Digest, Sha1};

use crate::error::WimError;
use crate::format::reparse::{parse_link, posix_target, RP_FLAG_NOT_FIXED};
use crate::format::Sha1Hash;
use crate::tree::{ImageTree, Inode, NodeKind, StreamRef};
use crate::wim::WimFile;

/// Largest stream served as an xattr value (the Linux limit).
const MAX_XATTR: u64 = 64 * 1024;
/// Largest reparse buffer (the NTFS limit).
const MAX_REPARSE: u64 = 16 * 1024;
/// Largest gap a sequential-read hash check fills in by reading ahead itself.
const MAX_HASH_GAP: u64 = 16 << 20;

/// Options of a WIM mount.
#[derive(Debug, Clone, Default)]
pub struct WimFsOptions {
    /// Absolute mount point, prefixed to "fixed" absolute symlink targets (as wimlib does).
    pub mount_root: Option<String>,
    /// Owner shown for files without UNIX data.
    pub uid: u32,
    /// Group shown for files without UNIX data.
    pub gid: u32,
}

impl From<WimError> for VfsError {
    fn from(e: WimError) -> Self {
        match e {
            WimError::Io { context, source } => VfsError::Io { context, source },
            WimError::Unsupported(m) => VfsError::Unsupported(m),
            other => VfsError::Corrupt(other.to_string()),
        }
    }
}

/// Hash state of one open file, verifying the blob's SHA-1 when it is read through in order.
#[derive(Debug)]
struct SequentialHash {
    stream: StreamRef,
    next: u64,
    hasher: Sha1,
    finished: bool,
}

/// One mounted image.
#[derive(Debug)]
pub struct WimFs {
    wim: Arc<WimFile>,
    tree: ImageTree,
    opts: WimFsOptions,
    handles: Mutex<HashMap<u64, Arc<Mutex<SequentialHash>>>>,
    next_handle: AtomicU64,
    link_targets: Mutex<HashMap<u64, Arc<[u8]>>>,
    /// Blobs found not to match their SHA-1: every later read of them fails.
    corrupt_blobs: Mutex<std::collections::HashSet<Sha1Hash>>,
}

/// Converts a FILETIME (100 ns units since 1601) to a SystemTime.
pub fn filetime_to_system(ft: u64) -> SystemTime {
    const EPOCH_DIFF: u64 = 116_444_736_000_000_000;
    if ft >= EPOCH_DIFF {
        let d = ft - EPOCH_DIFF;
        UNIX_EPOCH + Duration::new(d / 10_000_000, (d % 10_000_000) as u32 * 100)
    } else {
        let d = EPOCH_DIFF - ft;
        UNIX_EPOCH
            .checked_sub(Duration::new(d / 10_000_000, (d % 10_000_000) as u32 * 100))
            .unwrap_or(UNIX_EPOCH)
    }
}

impl WimFs {
    /// Loads image `index` of `wim`.
    pub fn new(wim: Arc<WimFile>, index: u32, opts: WimFsOptions) -> Result<Self, WimError> {
        let tree = ImageTree::load(&wim, index)?;
        Ok(Self {
            wim,
            tree,
            opts,
            handles: Mutex::new(HashMap::new()),
            next_handle: AtomicU64::new(1),
            link_targets: Mutex::new(HashMap::new()),
            corrupt_blobs: Mutex::new(std::collections::HashSet::new()),
        })
    }

    /// The image tree.
    pub fn tree(&self) -> &ImageTree {
        &self.tree
    }

    fn inode(&self, ino: u64) -> VfsResult<&Inode> {
        self.tree.inode(ino).ok_or(VfsError::NotFound)
    }

    /// Reads from a stream of the image.
    fn read_stream(&self, s: &StreamRef, offset: u64, buf: &mut [u8]) -> VfsResult<usize> {
        if s.hash.is_zero() {
            return Ok(0);
        }
        let entry = self.wim.blob(&s.hash).ok_or_else(|| {
            VfsError::Corrupt(format!("blob {} is not in the WIM's blob table", s.hash))
        })?;
        Ok(self.wim.reader(entry)?.read_at(offset, buf)?)
    }

    fn read_small_stream(&self, s: &StreamRef, limit: u64) -> VfsResult<Vec<u8>> {
        if s.missing {
            return Err(VfsError::Corrupt(format!(
                "blob {} is missing from the WIM",
                s.hash
            )));
        }
        if s.size > limit {
            return Err(VfsError::TooBig(format!("{} bytes", s.size)));
        }
        let mut v = vec![0u8; s.size as usize];
        let n = self.read_stream(s, 0, &mut v)?;
        v.truncate(n);
        Ok(v)
    }

    fn link_target(&self, ino: u64, inode: &Inode) -> VfsResult<Arc<[u8]>> {
        if let Some(t) = self.link_targets.lock().get(&ino) {
            return Ok(Arc::clone(t));
        }
        let rp = inode.reparse.ok_or(VfsError::NotASymlink)?;
        let data = self.read_small_stream(&rp, MAX_REPARSE)?;
        let link = parse_link(inode.reparse_tag, &data).ok_or_else(|| {
            VfsError::Corrupt(format!("inode {ino}: malformed symlink reparse data"))
        })?;
        let fixed = inode.rp_flags & RP_FLAG_NOT_FIXED == 0;
        let target: Arc<[u8]> =
            Arc::from(posix_target(&link, fixed, self.opts.mount_root.as_deref()).into_bytes());
        self.link_targets.lock().insert(ino, Arc::clone(&target));
        Ok(target)
    }

    fn attr(&self, ino: u64, inode: &Inode) -> Attr {
        let kind = match inode.kind {
            NodeKind::File => FileKind::File,
            NodeKind::Directory => FileKind::Directory,
            NodeKind::Symlink => FileKind::Symlink,
        };
        let size = match inode.kind {
            NodeKind::File => inode.data.size,
            NodeKind::Directory => 0,
            NodeKind::Symlink => self.link_target(ino, inode).map_or(0, |t| t.len() as u64),
        };
        let (perm, uid, gid) = match inode.unix {
            Some(u) => ((u.mode & 0o7777) as u16, u.uid, u.gid),
            None => {
                let perm = match inode.kind {
                    NodeKind::Directory => 0o755,
                    NodeKind::Symlink => 0o777,
                    NodeKind::File => 0o644,
                };
                (perm, self.opts.uid, self.opts.gid)
            }
        };
        let nlink = if inode.kind == NodeKind::Directory {
            2 + inode
                .children
                .iter()
                .filter(|(_, c)| {
                    self.tree
                        .inode(*c)
                        .is_some_and(|i| i.kind == NodeKind::Directory)
                })
                .count() as u32
        } else {
            inode.nlink
        };
        Attr {
            ino,
            kind,
            size,
            allocated: size,
            nlink,
            perm,
            uid,
            gid,
            atime: filetime_to_system(inode.times[1]),
            mtime: filetime_to_system(inode.times[2]),
            ctime: filetime_to_system(inode.times[2]),
            crtime: filetime_to_system(inode.times[0]),
            dos_attributes: inode.attributes,
        }
    }

    fn verify_sequential(&self, handle: u64, offset: u64, data: &[u8]) -> VfsResult<()> {
        let Some(state) = self.handles.lock().get(&handle).cloned() else {
            return Ok(());
        };
        let mut st = state.lock();
        if st.finished || offset + (data.len() as u64) <= st.next {
            return Ok(());
        }
        if offset > st.next {
            if offset - st.next > MAX_HASH_GAP {
                st.finished = true; // random access: give up on this handle
                return Ok(());
            }
            let mut gap = vec![0u8; (offset - st.next) as usize];
            let stream = st.stream;
            let n = self.read_stream(&stream, st.next, &mut gap)?;
            st.hasher.update(&gap[..n]);
            st.next += n as u64;
        }
        let skip = (st.next - offset) as usize;
        st.hasher.update(&data[skip..]);
        st.next = offset + data.len() as u64;
        if st.next >= st.stream.size {
            st.finished = true;
            let actual = Sha1Hash(std::mem::take(&mut st.hasher).finalize().into());
            if actual != st.stream.hash {
                self.corrupt_blobs.lock().insert(st.stream.hash);
                return Err(VfsError::Corrupt(format!(
                    "blob {} reads back with SHA-1 {actual}: the data is corrupt",
                    st.stream.hash
                )));
            }
        }
        Ok(())
    }
}

fn utf16_to_os(name: &[u16]) -> OsString {
    OsString::from(String::from_utf16_lossy(name))
}

impl Vfs for WimFs {
    fn lookup(&self, parent: u64, name: &OsStr) -> VfsResult<Attr> {
        let dir = self.inode(parent)?;
        if dir.kind != NodeKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        let idx = dir
            .children
            .binary_search_by(|(n, _)| n.as_encoded_bytes().cmp(name.as_encoded_bytes()))
            .map_err(|_| VfsError::NotFound)?;
        let ino = dir.children[idx].1;
        Ok(self.attr(ino, self.inode(ino)?))
    }

    fn getattr(&self, ino: u64) -> VfsResult<Attr> {
        Ok(self.attr(ino, self.inode(ino)?))
    }

    fn readdir(
        &self,
        ino: u64,
        offset: u64,
        fill: &mut dyn FnMut(u64, &DirEntry) -> bool,
    ) -> VfsResult<()> {
        let dir = self.inode(ino)?;
        if dir.kind != NodeKind::Directory {
            return Err(VfsError::NotADirectory);
        }
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        for (i, (name, child)) in dir.children.iter().enumerate().skip(start) {
            let kind = match self.inode(*child)?.kind {
                NodeKind::File => FileKind::File,
                NodeKind::Directory => FileKind::Directory,
                NodeKind::Symlink => FileKind::Symlink,
            };
            let entry = DirEntry {
                ino: *child,
                kind,
                name: name.clone(),
            };
            if fill(i as u64 + 1, &entry) {
                break;
            }
        }
        Ok(())
    }

    fn open(&self, ino: u64, write: bool) -> VfsResult<OpenInfo> {
        let inode = self.inode(ino)?;
        if write {
            return Err(VfsError::ReadOnly);
        }
        if inode.kind == NodeKind::Directory {
            return Err(VfsError::IsADirectory);
        }
        if inode.data.missing {
            return Err(VfsError::Corrupt(format!(
                "blob {} is missing from the WIM",
                inode.data.hash
            )));
        }
        let handle = self.next_handle.fetch_add(1, Ordering::Relaxed);
        // Small blobs are verified when decoded; longer ones when read through in order.
        let verified = match self.wim.blob(&inode.data.hash) {
            Some(entry) => self.wim.reader(entry)?.verified_on_decode(),
            None => true, // empty stream
        };
        if !verified {
            let state = SequentialHash {
                stream: inode.data,
                next: 0,
                hasher: Sha1::new(),
                finished: false,
            };
            self.handles
                .lock()
                .insert(handle, Arc::new(Mutex::new(state)));
        }
        Ok(OpenInfo {
            handle,
            immutable: true,
        })
    }

    fn read(&self, ino: u64, handle: u64, offset: u64, buf: &mut [u8]) -> VfsResult<usize> {
        let inode = self.inode(ino)?;
        if inode.kind == NodeKind::Directory {
            return Err(VfsError::IsADirectory);
        }
        if self.corrupt_blobs.lock().contains(&inode.data.hash) {
            return Err(VfsError::Corrupt(format!(
                "blob {} failed its SHA-1 check",
                inode.data.hash
            )));
        }
        let n = self.read_stream(&inode.data, offset, buf)?;
        self.verify_sequential(handle, offset, &buf[..n])?;
        Ok(n)
    }

    fn release(&self, _ino: u64, handle: u64) -> VfsResult<()> {
        self.handles.lock().remove(&handle);
        Ok(())
    }

    fn readlink(&self, ino: u64) -> VfsResult<Vec<u8>> {
        let inode = self.inode(ino)?;
        if inode.kind != NodeKind::Symlink {
            return Err(VfsError::NotASymlink);
        }
        Ok(self.link_target(ino, inode)?.to_vec())
    }

    fn listxattr(&self, ino: u64) -> VfsResult<Vec<OsString>> {
        let inode = self.inode(ino)?;
        let mut names: Vec<OsString> = inode
            .named_streams
            .iter()
            .map(|(n, _)| {
                let mut s = OsString::from("user.");
                s.push(utf16_to_os(n));
                s
            })
            .collect();
        for (n, _) in &inode.xattrs {
            let name = OsString::from(String::from_utf8_lossy(n).into_owned());
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Ok(names)
    }

    fn getxattr(&self, ino: u64, name: &OsStr) -> VfsResult<Vec<u8>> {
        let inode = self.inode(ino)?;
        let name_bytes = name.as_encoded_bytes();
        match name_bytes {
            b"system.ntfs_attrib" => return Ok(inode.attributes.to_le_bytes().to_vec()),
            b"system.ntfs_acl" => {
                return usize::try_from(inode.security_id)
                    .ok()
                    .and_then(|i| self.tree.security.get(i))
                    .cloned()
                    .ok_or(VfsError::NoAttribute)
            }
            b"system.ntfs_dos_name" if !inode.short_name.is_empty() => {
                return Ok(String::from_utf16_lossy(&inode.short_name).into_bytes())
            }
            b"system.ntfs_object_id" => {
                return inode.object_id.clone().ok_or(VfsError::NoAttribute)
            }
            b"system.ntfs_reparse_data" => {
                let rp = inode.reparse.ok_or(VfsError::NoAttribute)?;
                let data = self.read_small_stream(&rp, MAX_REPARSE)?;
                let mut out = inode.reparse_tag.to_le_bytes().to_vec();
                out.extend_from_slice(&(data.len() as u16).to_le_bytes());
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&data);
                return Ok(out);
            }
            _ => {}
        }
        if let Some(stream_name) = name_bytes.strip_prefix(b"user.") {
            let want = String::from_utf8_lossy(stream_name);
            if let Some((_, s)) = inode
                .named_streams
                .iter()
                .find(|(n, _)| String::from_utf16_lossy(n) == want)
            {
                return self.read_small_stream(s, MAX_XATTR);
            }
        }
        inode
            .xattrs
            .iter()
            .find(|(n, _)| n.as_slice() == name_bytes)
            .map(|(_, v)| v.clone())
            .ok_or(VfsError::NoAttribute)
    }

    fn statfs(&self) -> StatFs {
        let total: u64 = self.tree.inodes.iter().map(|i| i.data.size).sum();
        StatFs {
            blocks: total.div_ceil(4096),
            free_blocks: 0,
            files: self.tree.inodes.len() as u64,
            free_files: 0,
            block_size: 4096,
            max_name_len: 255,
        }
    }
}
