//! The `fuser::Filesystem` implementation of [`FuseAdapter`]: every request becomes one [`Vfs`]
//! call.

use std::ffi::OsStr;
use std::path::Path;
use std::time::SystemTime;

use fuser::{
    Errno, FileHandle, Filesystem, FopenFlags, Generation, INodeNo, InitFlags, LockOwner,
    OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyDirectoryPlus,
    ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, ReplyXattr, Request, TimeOrNow,
    WriteFlags,
};

use super::adapter::FuseAdapter;
use super::convert::{errno, reply_empty, reply_xattr_bytes, to_fuse_attr};
use super::request_counts::{RequestKind, REQUEST_COUNTS_XATTR};
use crate::vfs::{FileKind, SetAttr, Vfs, ROOT_INO};

thread_local! {
    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl<V: Vfs> Filesystem for FuseAdapter<V> {
    fn init(&mut self, _req: &Request, config: &mut fuser::KernelConfig) -> std::io::Result<()> {
        // Bigger readahead means fewer, larger requests for sequential reads; the kernel clamps
        // both values to what it supports.
        let _ = config.set_max_readahead(1 << 20);
        let _ = config.set_max_background(64);
        if self.stateless {
            // Listings carry each entry's attributes (no LOOKUP per name afterwards), and
            // symlink targets stay cached. Unsupported flags are simply not used.
            for flag in [
                InitFlags::FUSE_DO_READDIRPLUS,
                InitFlags::FUSE_CACHE_SYMLINKS,
            ] {
                let _ = config.add_capabilities(flag);
            }
        }
        Ok(())
    }

    fn destroy(&mut self) {
        self.vfs.destroy();
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        self.count(RequestKind::Lookup);
        match self.vfs.lookup(parent.0, name) {
            Ok(attr) => reply.entry(&self.ttl_of(&attr), &to_fuse_attr(&attr), Generation(0)),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn forget(&self, _req: &Request, ino: INodeNo, nlookup: u64) {
        self.count(RequestKind::Forget);
        self.vfs.forget(ino.0, nlookup);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        self.count(RequestKind::Getattr);
        match self.vfs.getattr(ino.0) {
            Ok(attr) => reply.attr(&self.ttl_of(&attr), &to_fuse_attr(&attr)),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        self.count(RequestKind::Readlink);
        match self.vfs.readlink(ino.0) {
            Ok(target) => reply.data(&target),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        self.count(RequestKind::Open);
        if self.stateless {
            // The kernel stops sending OPEN and RELEASE on this connection (fs/fuse/file.c:
            // `no_open`) and keeps the page cache of files opened without a message.
            return reply.error(Errno::ENOSYS);
        }
        let write = (flags.0 & libc::O_ACCMODE) != libc::O_RDONLY;
        match self.vfs.open(ino.0, write) {
            Ok(info) => {
                let mut fl = FopenFlags::empty();
                if info.immutable {
                    // Pages stay cached across opens; close sends no FLUSH (ours does nothing).
                    fl |= FopenFlags::FOPEN_KEEP_CACHE | FopenFlags::FOPEN_NOFLUSH;
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
        self.count(RequestKind::Read);
        // One buffer per worker thread, grown once: no allocation or zeroing per request.
        READ_BUF.with(|cell| {
            let mut buf = cell.borrow_mut();
            if buf.len() < size as usize {
                buf.resize(size as usize, 0);
            }
            let buf = &mut buf[..size as usize];
            match self.vfs.read(ino.0, fh.0, offset, buf) {
                Ok(n) => {
                    reply.data(&buf[..n.min(buf.len())]);
                    if let Some(push) = &self.push_ahead {
                        push.read_answered(ino.0, offset);
                    }
                }
                Err(e) => {
                    tracing::warn!(ino = ino.0, offset, "read failed: {e}");
                    reply.error(errno(&e))
                }
            }
        })
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        self.count(RequestKind::Flush);
        if self.stateless {
            // Flushing does nothing here: the kernel stops asking (`no_flush`).
            return reply.error(Errno::ENOSYS);
        }
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
        self.count(RequestKind::Release);
        reply_empty(reply, self.vfs.release(ino.0, fh.0));
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        self.count(RequestKind::Opendir);
        if self.stateless {
            // No OPENDIR/RELEASEDIR any more (`no_opendir`); listings stay cached.
            return reply.error(Errno::ENOSYS);
        }
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
        reply: ReplyDirectory,
    ) {
        self.count(RequestKind::Readdir);
        self.list(ino, offset, reply);
    }

    fn readdirplus(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        reply: ReplyDirectoryPlus,
    ) {
        self.count(RequestKind::Readdirplus);
        self.list_plus(ino, offset, reply);
        if let Some(push) = self.push_ahead.as_ref().filter(|_| offset == 0) {
            push.listed(ino.0);
        }
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        self.count(RequestKind::Statfs);
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
        self.count(RequestKind::Getxattr);
        if ino.0 == ROOT_INO && name == REQUEST_COUNTS_XATTR {
            return reply_xattr_bytes(reply, size, self.counts.render().as_bytes());
        }
        match self.vfs.getxattr(ino.0, name) {
            Ok(value) => reply_xattr_bytes(reply, size, &value),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn listxattr(&self, _req: &Request, ino: INodeNo, size: u32, reply: ReplyXattr) {
        self.count(RequestKind::Listxattr);
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
        self.count(RequestKind::Access);
        match self.vfs.getattr(ino.0) {
            Ok(_) => reply.ok(),
            Err(e) => reply.error(errno(&e)),
        }
    }

    // ---- the write half ----

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        self.count(RequestKind::Other);
        let time = |t: Option<TimeOrNow>| {
            t.map(|t| match t {
                TimeOrNow::SpecificTime(t) => t,
                TimeOrNow::Now => SystemTime::now(),
            })
        };
        let changes = SetAttr {
            perm: mode.map(|m| (m & 0o7777) as u16),
            uid,
            gid,
            size,
            atime: time(atime),
            mtime: time(mtime),
        };
        match self.vfs.setattr(ino.0, &changes) {
            Ok(attr) => reply.attr(&self.ttl_of(&attr), &to_fuse_attr(&attr)),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn mkdir(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        self.count(RequestKind::Other);
        match self
            .vfs
            .mkdir(parent.0, name, ((mode & !umask) & 0o7777) as u16)
        {
            Ok(attr) => reply.entry(&self.ttl_of(&attr), &to_fuse_attr(&attr), Generation(0)),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        self.count(RequestKind::Other);
        if mode & libc::S_IFMT != libc::S_IFREG && mode & libc::S_IFMT != 0 {
            return reply.error(Errno::EPERM);
        }
        match self
            .vfs
            .create(parent.0, name, ((mode & !umask) & 0o7777) as u16)
        {
            Ok((attr, info)) => reply.created(
                &self.ttl,
                &to_fuse_attr(&attr),
                Generation(0),
                FileHandle(info.handle),
                FopenFlags::empty(),
            ),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn symlink(
        &self,
        _req: &Request,
        parent: INodeNo,
        link_name: &OsStr,
        target: &Path,
        reply: ReplyEntry,
    ) {
        self.count(RequestKind::Other);
        match self
            .vfs
            .symlink(parent.0, link_name, target.as_os_str().as_encoded_bytes())
        {
            Ok(attr) => reply.entry(&self.ttl_of(&attr), &to_fuse_attr(&attr), Generation(0)),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn link(
        &self,
        _req: &Request,
        ino: INodeNo,
        newparent: INodeNo,
        newname: &OsStr,
        reply: ReplyEntry,
    ) {
        self.count(RequestKind::Other);
        match self.vfs.link(ino.0, newparent.0, newname) {
            Ok(attr) => reply.entry(&self.ttl_of(&attr), &to_fuse_attr(&attr), Generation(0)),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.count(RequestKind::Other);
        reply_empty(reply, self.vfs.unlink(parent.0, name));
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.count(RequestKind::Other);
        reply_empty(reply, self.vfs.rmdir(parent.0, name));
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        self.count(RequestKind::Other);
        if flags.contains(RenameFlags::RENAME_EXCHANGE)
            || flags.contains(RenameFlags::RENAME_WHITEOUT)
        {
            return reply.error(Errno::EINVAL);
        }
        let no_replace = flags.contains(RenameFlags::RENAME_NOREPLACE);
        reply_empty(
            reply,
            self.vfs
                .rename(parent.0, name, newparent.0, newname, no_replace),
        );
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        self.count(RequestKind::Other);
        match self.vfs.write(ino.0, fh.0, offset, data) {
            Ok(n) => reply.written(n as u32),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn fsync(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        self.count(RequestKind::Other);
        reply_empty(reply, self.vfs.fsync(ino.0, fh.0));
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        self.count(RequestKind::Other);
        reply_empty(reply, self.vfs.fsync(ino.0, fh.0));
    }

    fn setxattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        name: &OsStr,
        value: &[u8],
        _flags: i32,
        _position: u32,
        reply: ReplyEmpty,
    ) {
        self.count(RequestKind::Other);
        reply_empty(reply, self.vfs.setxattr(ino.0, name, value));
    }

    fn removexattr(&self, _req: &Request, ino: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.count(RequestKind::Other);
        reply_empty(reply, self.vfs.removexattr(ino.0, name));
    }
}
