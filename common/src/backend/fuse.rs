//! The fuser (FUSE) adapter: translates kernel requests into [`Vfs`] calls and nothing more.
//!
//! fuser 0.18 calls the `Filesystem` methods through `&self` from `n_threads` worker threads
//! (each with its own cloned `/dev/fuse` fd when `clone_fd` is set), so concurrent reads of
//! different files decode in parallel. Read-only mounts answer with long entry/attribute TTLs and
//! `FOPEN_KEEP_CACHE`, since an image's contents cannot change under the mount.

use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use fuser::{
    Config, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo,
    LockOwner, MountOption, OpenFlags, ReplyAttr, ReplyData, ReplyDirectory, ReplyEmpty,
    ReplyEntry, ReplyOpen, ReplyStatfs, ReplyXattr, Request, SessionACL,
};

use crate::vfs::{Attr, FileKind, Vfs, VfsError};

/// How to mount.
#[derive(Debug, Clone)]
pub struct FuseOptions {
    /// Shown as the source in `/proc/mounts` (e.g. the image path).
    pub fsname: String,
    /// The filesystem subtype (`wimfs`, `isofs`): shows as `fuse.wimfs`.
    pub subtype: String,
    /// Let other users see the mount (needs `user_allow_other` for non-root).
    pub allow_other: bool,
    /// Worker threads serving requests.
    pub threads: usize,
}

impl Default for FuseOptions {
    fn default() -> Self {
        Self {
            fsname: "image".into(),
            subtype: "image".into(),
            allow_other: false,
            threads: 4,
        }
    }
}

/// A [`Vfs`] seen through FUSE.
#[derive(Debug)]
pub struct FuseAdapter<V: Vfs> {
    vfs: Arc<V>,
    ttl: Duration,
}

impl<V: Vfs> FuseAdapter<V> {
    /// Wraps `vfs`; read-only images get long TTLs.
    pub fn new(vfs: Arc<V>) -> Self {
        let ttl = if vfs.read_only() {
            Duration::from_secs(24 * 3600)
        } else {
            Duration::from_secs(1)
        };
        Self { vfs, ttl }
    }
}

/// Builds fuser's config from our options.
pub fn fuser_config(opts: &FuseOptions, read_only: bool) -> Config {
    let mut cfg = Config::default();
    cfg.mount_options
        .push(MountOption::FSName(opts.fsname.clone()));
    cfg.mount_options
        .push(MountOption::Subtype(opts.subtype.clone()));
    cfg.mount_options.push(MountOption::NoDev);
    cfg.mount_options.push(MountOption::NoSuid);
    cfg.mount_options.push(if read_only {
        MountOption::RO
    } else {
        MountOption::RW
    });
    if opts.allow_other {
        cfg.acl = SessionACL::All;
        // Permission checks by the kernel, from the modes we report.
        cfg.mount_options.push(MountOption::DefaultPermissions);
    }
    cfg.n_threads = Some(opts.threads.max(1));
    cfg.clone_fd = opts.threads > 1;
    cfg
}

/// A mounted, not yet served filesystem: mount first (to report readiness), then [`Self::run`].
#[derive(Debug)]
pub struct FuseSession<V: Vfs> {
    session: fuser::Session<FuseAdapter<V>>,
}

/// Unmounts a [`FuseSession`] from another thread (e.g. on a signal).
#[derive(Debug)]
pub struct FuseUnmounter(fuser::SessionUnmounter);

impl FuseUnmounter {
    /// Unmounts; the session's `run` then returns.
    pub fn unmount(&mut self) -> std::io::Result<()> {
        self.0.unmount()
    }
}

impl<V: Vfs> FuseSession<V> {
    /// Mounts `vfs` at `mountpoint` (the mount is live when this returns).
    pub fn mount(vfs: Arc<V>, mountpoint: &Path, opts: &FuseOptions) -> std::io::Result<Self> {
        let cfg = fuser_config(opts, vfs.read_only());
        let session = fuser::Session::new(FuseAdapter::new(vfs), mountpoint, &cfg)?;
        Ok(Self { session })
    }

    /// A handle that unmounts this session.
    pub fn unmounter(&mut self) -> FuseUnmounter {
        FuseUnmounter(self.session.unmount_callable())
    }

    /// Serves requests on the configured worker threads until unmounted.
    pub fn run(self) -> std::io::Result<()> {
        self.session.run()
    }
}

fn errno(e: &VfsError) -> Errno {
    Errno::from_i32(e.errno())
}

fn file_type(kind: FileKind) -> FileType {
    match kind {
        FileKind::File => FileType::RegularFile,
        FileKind::Directory => FileType::Directory,
        FileKind::Symlink => FileType::Symlink,
    }
}

fn to_fuse_attr(a: &Attr) -> FileAttr {
    FileAttr {
        ino: INodeNo(a.ino),
        size: a.size,
        blocks: a.allocated.div_ceil(512),
        atime: a.atime,
        mtime: a.mtime,
        ctime: a.ctime,
        crtime: a.crtime,
        kind: file_type(a.kind),
        perm: a.perm,
        nlink: a.nlink,
        uid: a.uid,
        gid: a.gid,
        rdev: 0,
        flags: 0,
        blksize: 4096,
    }
}

/// Answers a size-probing or data xattr request the way getxattr(2)/listxattr(2) expect.
fn reply_xattr_bytes(reply: ReplyXattr, size: u32, bytes: &[u8]) {
    if size == 0 {
        match u32::try_from(bytes.len()) {
            Ok(n) => reply.size(n),
            Err(_) => reply.error(Errno::E2BIG),
        }
    } else if bytes.len() > size as usize {
        reply.error(Errno::ERANGE);
    } else {
        reply.data(bytes);
    }
}

impl<V: Vfs> Filesystem for FuseAdapter<V> {
    fn init(&mut self, _req: &Request, config: &mut fuser::KernelConfig) -> std::io::Result<()> {
        // Bigger readahead means fewer, larger requests for sequential reads; the kernel clamps
        // both values to what it supports.
        let _ = config.set_max_readahead(1 << 20);
        let _ = config.set_max_background(64);
        Ok(())
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        match self.vfs.lookup(parent.0, name) {
            Ok(attr) => reply.entry(&self.ttl, &to_fuse_attr(&attr), Generation(0)),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn forget(&self, _req: &Request, ino: INodeNo, nlookup: u64) {
        self.vfs.forget(ino.0, nlookup);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.vfs.getattr(ino.0) {
            Ok(attr) => reply.attr(&self.ttl, &to_fuse_attr(&attr)),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        match self.vfs.readlink(ino.0) {
            Ok(target) => reply.data(&target),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        let write = (flags.0 & libc::O_ACCMODE) != libc::O_RDONLY;
        match self.vfs.open(ino.0, write) {
            Ok(info) => {
                let mut fl = FopenFlags::empty();
                if info.immutable {
                    fl |= FopenFlags::FOPEN_KEEP_CACHE;
                }
                reply.opened(FileHandle(info.handle), fl)
            }
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let mut buf = vec![0u8; size as usize];
        match self.vfs.read(ino.0, fh.0, offset, &mut buf) {
            Ok(n) => reply.data(&buf[..n.min(buf.len())]),
            Err(e) => {
                tracing::warn!(ino = ino.0, offset, "read failed: {e}");
                reply.error(errno(&e))
            }
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        reply.ok();
    }

    fn release(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        match self.vfs.release(ino.0, fh.0) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match self.vfs.getattr(ino.0) {
            Ok(a) if a.kind == FileKind::Directory => {
                let fl = if self.vfs.read_only() {
                    FopenFlags::FOPEN_KEEP_CACHE | FopenFlags::FOPEN_CACHE_DIR
                } else {
                    FopenFlags::empty()
                };
                reply.opened(FileHandle(0), fl)
            }
            Ok(_) => reply.error(Errno::ENOTDIR),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        // Offsets 1 and 2 are "." and ".."; the VFS's entry k has offset k + 3.
        if offset == 0 && reply.add(ino, 1, FileType::Directory, ".") {
            return reply.ok();
        }
        if offset <= 1 && reply.add(ino, 2, FileType::Directory, "..") {
            return reply.ok();
        }
        let start = offset.saturating_sub(2);
        let result = self.vfs.readdir(ino.0, start, &mut |next, entry| {
            reply.add(
                INodeNo(entry.ino),
                next + 2,
                file_type(entry.kind),
                &entry.name,
            )
        });
        match result {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        let s = self.vfs.statfs();
        reply.statfs(
            s.blocks,
            s.free_blocks,
            s.free_blocks,
            s.files,
            s.free_files,
            s.block_size,
            s.max_name_len,
            s.block_size,
        );
    }

    fn getxattr(&self, _req: &Request, ino: INodeNo, name: &OsStr, size: u32, reply: ReplyXattr) {
        match self.vfs.getxattr(ino.0, name) {
            Ok(value) => reply_xattr_bytes(reply, size, &value),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn listxattr(&self, _req: &Request, ino: INodeNo, size: u32, reply: ReplyXattr) {
        match self.vfs.listxattr(ino.0) {
            Ok(names) => {
                let mut list = Vec::new();
                for n in names {
                    list.extend_from_slice(n.as_encoded_bytes());
                    list.push(0);
                }
                reply_xattr_bytes(reply, size, &list)
            }
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn access(&self, _req: &Request, ino: INodeNo, _mask: fuser::AccessFlags, reply: ReplyEmpty) {
        match self.vfs.getattr(ino.0) {
            Ok(_) => reply.ok(),
            Err(e) => reply.error(errno(&e)),
        }
    }
}
