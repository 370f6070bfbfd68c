//! Directory listings: READDIR (names) and READDIRPLUS (names with their attributes, which the
//! kernel turns into cached dentries and inodes, so no LOOKUP follows for those names).
//!
//! Offsets 1 and 2 are `.` and `..`; the VFS's entry k has offset k + 3 (the VFS hands out
//! k + 1 as the position after entry k, the adapter adds 2). The kernel ignores `.` and `..`
//! in a READDIRPLUS reply beyond their names (`fs/fuse/readdir.c`: `fuse_direntplus_link`),
//! so they take no lookup reference.

use fuser::{FileType, Generation, INodeNo, ReplyDirectory, ReplyDirectoryPlus};

use super::adapter::FuseAdapter;
use super::convert::{errno, file_type, to_fuse_attr};
use crate::vfs::{DirEntry, Vfs};

/// Entries taken from the VFS per batch while filling a READDIRPLUS reply (a reply holds at
/// most a few hundred: the kernel asks for one getdents buffer's worth).
const PLUS_BATCH: usize = 128;

impl<V: Vfs> FuseAdapter<V> {
    /// Answers READDIR from `offset`.
    pub(super) fn list(&self, ino: INodeNo, offset: u64, mut reply: ReplyDirectory) {
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

    /// Answers READDIRPLUS from `offset`: the entries of [`Self::list`], each with its
    /// attributes (taken after the listing call, so the VFS's locks are not held twice).
    pub(super) fn list_plus(&self, ino: INodeNo, offset: u64, mut reply: ReplyDirectoryPlus) {
        let dir = match self.vfs.getattr(ino.0) {
            Ok(a) => to_fuse_attr(&a),
            Err(e) => return reply.error(errno(&e)),
        };
        let ttl = self.ttl;
        if offset == 0 && reply.add(ino, 1, ".", &ttl, &dir, Generation(0)) {
            return reply.ok();
        }
        if offset <= 1 && reply.add(ino, 2, "..", &ttl, &dir, Generation(0)) {
            return reply.ok();
        }
        let mut start = offset.saturating_sub(2);
        loop {
            let mut batch: Vec<(u64, DirEntry)> = Vec::with_capacity(PLUS_BATCH);
            let listed = self.vfs.readdir(ino.0, start, &mut |next, entry| {
                batch.push((next, entry.clone()));
                batch.len() >= PLUS_BATCH
            });
            if let Err(e) = listed {
                return reply.error(errno(&e));
            }
            let last_batch = batch.len() < PLUS_BATCH;
            for (next, entry) in batch {
                let attr = match self.vfs.getattr(entry.ino) {
                    Ok(a) => a,
                    Err(e) => return reply.error(errno(&e)),
                };
                let ttl = self.ttl_of(&attr);
                let full = reply.add(
                    INodeNo(entry.ino),
                    next + 2,
                    &entry.name,
                    &ttl,
                    &to_fuse_attr(&attr),
                    Generation(0),
                );
                if full {
                    return reply.ok();
                }
                start = next;
            }
            if last_batch {
                return reply.ok();
            }
        }
    }
}
