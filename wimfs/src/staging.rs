//! The staging directory of a read-write mount: one local file per changed stream, so written
//! data lives on disk, not in memory, until it is committed into the WIM or discarded.
//!
//! On Unix the directory is mode 0700 and its files 0600; on Windows they inherit the ACL of
//! their parent (by default under the user's profile, which only the user and administrators
//! can read).

use std::collections::HashMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use common::vfs::{VfsError, VfsResult};
use parking_lot::Mutex;

/// A staging directory.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<File>>>,
    /// `<dir>/lock`, locked exclusively for as long as a mount uses the directory (`flock` on
    /// Unix, `LockFileEx` on Windows: std's file locks; released when the file closes, or by
    /// [`Staging::release_lock`] once the mount is gone).
    lock: File,
}

/// Takes `<dir>/lock` exclusively; fails if another process holds it.
fn take_lock(dir: &Path) -> std::io::Result<File> {
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("lock"))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(TryLockError::WouldBlock) => Err(std::io::Error::new(
            std::io::ErrorKind::WouldBlock,
            format!("{} is in use by another mount", dir.display()),
        )),
        Err(TryLockError::Error(e)) => Err(std::io::Error::new(
            e.kind(),
            format!("locking {}: {e}", dir.join("lock").display()),
        )),
    }
}

/// Makes the entries last renamed into (or removed from) `dir` durable (fsync of the
/// directory; Windows has no such call, its renames are durable through the file system's
/// journal).
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// True if a live process holds `<dir>/lock` (a mount is using the staging directory).
pub fn in_use(dir: &Path) -> bool {
    let Ok(f) = File::open(dir.join("lock")) else {
        return false;
    };
    // A shared lock is refused while a mount holds the exclusive one; ours is released when
    // `f` closes.
    f.try_lock_shared().is_err()
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> VfsError {
    // ENOSPC and EDQUOT on Unix; ERROR_DISK_FULL and ERROR_DISK_QUOTA_EXCEEDED on Windows.
    move |source| match source.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            VfsError::NoSpace(context)
        }
        _ => VfsError::Io { context, source },
    }
}

/// Creates `dir` and its missing parents (the last one mode 0700 on Unix).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

impl Staging {
    /// Uses (and creates, mode 0700 on Unix) `dir`.
    pub fn new(dir: &Path) -> std::io::Result<Self> {
        create_private_dir(dir)?;
        let lock = take_lock(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            next_id: AtomicU64::new(1),
            open: Mutex::new(HashMap::new()),
            lock,
        })
    }

    /// Reuses an existing staging directory (resuming); new files get ids after its largest.
    pub fn open_existing(dir: &Path) -> std::io::Result<Self> {
        let mut max = 0u64;
        for e in std::fs::read_dir(dir)? {
            let name = e?.file_name();
            if let Some(id) = name.to_str().and_then(|n| u64::from_str_radix(n, 16).ok()) {
                max = max.max(id);
            }
        }
        let lock = take_lock(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            next_id: AtomicU64::new(max + 1),
            open: Mutex::new(HashMap::new()),
            lock,
        })
    }

    /// Current length of staging file `id` (0 if it is gone).
    pub fn len_of(&self, id: u64) -> u64 {
        std::fs::metadata(self.path(id)).map_or(0, |m| m.len())
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of staging file `id`.
    pub fn path(&self, id: u64) -> PathBuf {
        self.dir.join(format!("{id:016x}"))
    }

    /// Creates a new empty staging file; returns its id.
    pub fn create(&self) -> VfsResult<u64> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let path = self.path(id);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&path)
            .map_err(io(format!("creating staging file {}", path.display())))?;
        self.open.lock().insert(id, Arc::new(file));
        Ok(id)
    }

    /// The open file of staging file `id`.
    pub fn file(&self, id: u64) -> VfsResult<Arc<File>> {
        if let Some(f) = self.open.lock().get(&id) {
            return Ok(Arc::clone(f));
        }
        let path = self.path(id);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io(format!("opening staging file {}", path.display())))?;
        let file = Arc::new(file);
        self.open.lock().insert(id, Arc::clone(&file));
        Ok(file)
    }

    /// Reads from staging file `id`.
    pub fn read(&self, id: u64, offset: u64, buf: &mut [u8]) -> VfsResult<usize> {
        let f = self.file(id)?;
        let mut done = 0;
        while done < buf.len() {
            match common::io::read_at(&f, offset + done as u64, &mut buf[done..]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io(format!("reading staging file {id:x}"))(e)),
            }
        }
        Ok(done)
    }

    /// Writes into staging file `id`.
    pub fn write(&self, id: u64, offset: u64, data: &[u8]) -> VfsResult<()> {
        let f = self.file(id)?;
        common::io::write_all_at(&f, offset, data)
            .map_err(io(format!("writing staging file {id:x}")))
    }

    /// Sets the length of staging file `id`.
    pub fn set_len(&self, id: u64, len: u64) -> VfsResult<()> {
        self.file(id)?
            .set_len(len)
            .map_err(io(format!("resizing staging file {id:x}")))
    }

    /// Makes staging file `id` durable.
    pub fn sync(&self, id: u64) -> VfsResult<()> {
        self.file(id)?
            .sync_data()
            .map_err(io(format!("syncing staging file {id:x}")))
    }

    /// Deletes staging file `id`.
    pub fn remove(&self, id: u64) {
        self.open.lock().remove(&id);
        let _ = std::fs::remove_file(self.path(id));
    }

    /// The mount is gone and its journal durable: lets another process take the directory
    /// over (`wimfs commit`, `mount --rw --resume`) while this one is still closing its files.
    pub fn release_lock(&self) {
        let _ = self.lock.unlock();
    }

    /// Deletes the whole staging directory (after a commit or a discard).
    pub fn destroy(&self) -> std::io::Result<()> {
        self.open.lock().clear();
        std::fs::remove_dir_all(&self.dir)
    }
}
