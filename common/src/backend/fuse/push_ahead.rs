//! Files handed to the kernel before they are read: the FUSE side of
//! [`crate::files_ahead`]. When the reads reaching the daemon follow a directory's listing,
//! threads of their own read the next files of that listing through the [`Vfs`] (so they are
//! verified like any read) and store them in the kernel's page cache with
//! `FUSE_NOTIFY_STORE` (fuser's `Notifier::store`); the reader then finds them cached, as
//! after an earlier read, and sends no READ for them. Only for [`Vfs::immutable_stateless`]
//! images: their files are opened without OPEN and keep their page cache, so what is stored
//! stays valid until evicted.
//!
//! The kernel stores data only for inodes it has (`fs/fuse/dev.c`, `fuse_notify_store`:
//! `ENOENT` otherwise, which fuser ignores): those of a listed directory, since READDIRPLUS
//! gives it every entry's inode. A stored file's last page is complete only when the data
//! reaches its end, so files are handed over whole; files larger than [`MAX_FILE`] are left
//! to the kernel's own readahead.
//!
//! Of the files of a window, the one in the middle (of four or more) is not handed over but
//! left for the reader to ask for: the daemon cannot see reads served from the cache, and that
//! read tells the stream, half a window before its end, to hand over the next window while the
//! reader goes through the rest of this one. Files go to [`THREADS`] thread(s) one by one; a
//! file the reader got to first is skipped.
//!
//! Bounds: [`QUEUED`] files waiting (more stop the window there, as if the reader had to ask
//! for them), [`MAX_FILE`] of memory per thread, and the cache pages, which the kernel evicts
//! like any others.

use std::ops::Range;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock, Weak};

use fuser::{INodeNo, Notifier};
use parking_lot::Mutex;

use crate::files_ahead::FilesAhead;
use crate::vfs::{ListedFile, Vfs};

/// Largest file handed over (whole): the thread holds it in memory, which counts against the
/// daemon's resident set (a test bounds it, `solid_read_order.rs`); larger files are a few
/// READs each anyway, within the kernel's readahead.
pub const MAX_FILE: u64 = 256 << 10;
/// Files waiting for the threads.
const QUEUED: usize = 512;
/// Threads handing files over. Two: with one, a fast reader (the test kit's, under CI's
/// load) overtook the hand-over and still sent a READ for most files (325 for 465 in one CI
/// run); files of at most [`MAX_FILE`] keep the second thread's buffer small enough for the
/// resident-set bound (`solid_read_order.rs`: +13.2-13.7 MiB against 14 MiB, measured).
const THREADS: usize = 2;

/// A file of a directory to hand over.
type Job = (u64, ListedFile);

/// Hands files over on threads of its own, started with the first hand-over.
#[derive(Debug)]
pub struct PushAhead<V: Vfs> {
    vfs: Weak<V>,
    notifier: OnceLock<Notifier>,
    streams: FilesAhead,
    jobs: OnceLock<Option<SyncSender<Job>>>,
}

impl<V: Vfs> PushAhead<V> {
    /// Hands over files of `vfs` once [`Self::connect`] gave it the kernel connection.
    pub fn new(vfs: &Arc<V>) -> Arc<Self> {
        Arc::new(Self {
            vfs: Arc::downgrade(vfs),
            notifier: OnceLock::new(),
            streams: FilesAhead::new(),
            jobs: OnceLock::new(),
        })
    }

    /// Gives the connection to store data through.
    pub fn connect(&self, notifier: Notifier) {
        let _ = self.notifier.set(notifier);
    }

    /// A READ of `ino` at `offset` was answered: at a file's start, the file's directory's
    /// stream learns where the reader is (at once, so that the threads skip what the reader
    /// got to first), and the files it says to hand over go to the threads.
    pub fn read_answered(self: &Arc<Self>, ino: u64, offset: u64) {
        if offset != 0 || self.notifier.get().is_none() {
            return;
        }
        let Some(vfs) = self.vfs.upgrade() else {
            return;
        };
        let Some((dir, index)) = vfs.listing_place(ino) else {
            return;
        };
        if let Some(positions) = self.streams.began(dir, index) {
            self.hand_over_later(&*vfs, dir, positions);
        }
    }

    /// Directory `dir` was listed from its start (READDIRPLUS at offset 0, answered): a
    /// reader walking a tree gets its first files handed over. The kernel has the entries'
    /// inodes once the reader has taken in the answer; a file stored before that is refused,
    /// and the reader asks for it.
    pub fn listed(self: &Arc<Self>, dir: u64) {
        if self.notifier.get().is_none() {
            return;
        }
        if let Some(positions) = self.streams.listed(dir) {
            if let Some(vfs) = self.vfs.upgrade() {
                self.hand_over_later(&*vfs, dir, positions);
            }
        }
    }

    /// Queues the files at `positions` of `dir`'s listing for the threads.
    fn hand_over_later(self: &Arc<Self>, vfs: &V, dir: u64, positions: Range<usize>) {
        let Some(jobs) = self.jobs.get_or_init(|| self.start_threads()) else {
            return;
        };
        let files: Vec<ListedFile> = vfs
            .listed_files(dir, positions.start, positions.end)
            .into_iter()
            .filter(|f| f.size > 0 && f.size <= MAX_FILE)
            .collect();
        let signal = (files.len() >= 4).then_some(files.len() / 2);
        for (k, file) in files.into_iter().enumerate() {
            if Some(k) == signal {
                continue;
            }
            match jobs.try_send((dir, file)) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => return self.streams.stopped_at(dir, file.index),
                Err(TrySendError::Disconnected(_)) => return,
            }
        }
    }

    fn start_threads(self: &Arc<Self>) -> Option<SyncSender<Job>> {
        let (tx, rx) = sync_channel(QUEUED);
        let rx = Arc::new(Mutex::new(rx));
        let mut started = 0;
        for _ in 0..THREADS {
            let (this, rx) = (Arc::downgrade(self), Arc::clone(&rx));
            match std::thread::Builder::new()
                .name("files-ahead".into())
                .spawn(move || hand_over_loop(&this, &rx))
            {
                Ok(_) => started += 1,
                Err(e) => tracing::debug!("no thread for reading ahead across files: {e}"),
            }
        }
        (started > 0).then_some(tx)
    }
}

fn hand_over_loop<V: Vfs>(this: &Weak<PushAhead<V>>, jobs: &Mutex<Receiver<Job>>) {
    let mut buf = Vec::new();
    loop {
        let received = jobs.lock().recv();
        let Ok((dir, file)) = received else {
            return;
        };
        let Some(this) = this.upgrade() else {
            return;
        };
        let (Some(vfs), Some(notifier)) = (this.vfs.upgrade(), this.notifier.get()) else {
            return;
        };
        if !this.streams.passed(dir, file.index) {
            hand_over(&*vfs, notifier, &file, &mut buf);
        }
    }
}

/// Reads `file` whole and stores it in the kernel's cache; on an error, does nothing (the
/// error is the reader's to see, when it reads the file itself).
fn hand_over<V: Vfs>(vfs: &V, notifier: &Notifier, file: &ListedFile, buf: &mut Vec<u8>) {
    let Ok(size) = usize::try_from(file.size) else {
        return;
    };
    buf.resize(size, 0);
    let mut at = 0usize;
    while at < size {
        match vfs.read(file.ino, 0, at as u64, &mut buf[at..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => at = at.saturating_add(n),
        }
    }
    if let Err(e) = notifier.store(INodeNo(file.ino), 0, &buf[..size]) {
        tracing::debug!(ino = file.ino, "handing a file over to the kernel: {e}");
    }
}
