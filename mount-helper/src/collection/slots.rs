//! The images of a collection mount. A slot is created when an image's directory is first
//! seen (cheap: nothing is read), opened on first access to its contents, and closed again by
//! the idle closer (`idle.rs`); an image that fails to open keeps its error for the directory's
//! `user.isofs.error` attribute until the closer clears it, so it is retried later.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use common::vfs::{Attr, Vfs};
use parking_lot::{Mutex, RwLock};
use wimfs::WimFile;

use super::inodes::SlotId;

/// Size and modification time of a host file: a changed file is a new image (new slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileStamp {
    /// Length in bytes.
    pub len: u64,
    /// Modification time.
    pub mtime: SystemTime,
}

impl FileStamp {
    /// The stamp of `meta`.
    pub fn of(meta: &std::fs::Metadata) -> Self {
        Self {
            len: meta.len(),
            mtime: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        }
    }
}

/// Where a slot's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A host file (absolute path), as it was when first seen.
    HostFile(PathBuf, FileStamp),
    /// Inode `ino`, in directory `dir`, of slot `parent`'s filesystem.
    InnerFile {
        /// The image holding the file.
        parent: SlotId,
        /// The directory holding it (where the other parts of a split WIM are).
        dir: u64,
        /// The file.
        ino: u64,
    },
    /// Image `index` of the WIM in slot `wim`.
    WimImage(SlotId, u32),
}

/// What a slot holds once opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotKind {
    /// An ISO 9660 / UDF image: a filesystem.
    Iso,
    /// A WIM file: a list of images (the filesystems are `WimImage` origins of other slots).
    Wim,
    /// One image of a WIM: a filesystem.
    WimImage,
}

/// An opened slot.
#[derive(Clone)]
pub enum Opened {
    /// A filesystem (an ISO, a WIM image).
    Fs(Arc<dyn Vfs>),
    /// A WIM file.
    Wim(Arc<WimFile>),
}

#[derive(Default)]
struct State {
    opened: Option<Opened>,
    error: Option<String>,
}

/// One image of the collection.
pub struct Slot {
    /// What it is.
    pub kind: SlotKind,
    /// Where its bytes come from.
    pub origin: Origin,
    /// Its directory's path relative to the mount point, for messages and WIM link targets.
    pub label: PathBuf,
    /// Attributes of its directory while it is not open (ino to be filled in).
    pub closed_attr: Attr,
    state: Mutex<State>,
    last_used: AtomicU64,
    handles: AtomicUsize,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Slot({:?} {})", self.kind, self.label.display())
    }
}

impl Slot {
    /// The error of the last attempt to open it, if that failed.
    pub fn error(&self) -> Option<String> {
        self.state.lock().error.clone()
    }

    /// The open contents, if open.
    pub fn current(&self) -> Option<Opened> {
        self.state.lock().opened.clone()
    }

    /// Counts an open file handle (an image with open files is never closed as idle).
    pub fn hold(&self) {
        self.handles.fetch_add(1, Ordering::Relaxed);
    }

    /// Uncounts an open file handle.
    pub fn unhold(&self) {
        self.handles.fetch_sub(1, Ordering::Relaxed);
    }
}

/// All slots of a mount.
#[derive(Debug)]
pub struct SlotTable {
    slots: RwLock<Vec<Arc<Slot>>>,
    keys: Mutex<HashMap<(SlotKind, Origin), SlotId>>,
    clock: Instant,
}

impl Default for SlotTable {
    fn default() -> Self {
        Self::new()
    }
}

impl SlotTable {
    /// No slots.
    pub fn new() -> Self {
        Self {
            slots: RwLock::new(Vec::new()),
            keys: Mutex::new(HashMap::new()),
            clock: Instant::now(),
        }
    }

    /// The slot for (`kind`, `origin`), created (unopened) on first request.
    pub fn slot_for(
        &self,
        kind: SlotKind,
        origin: Origin,
        label: PathBuf,
        closed_attr: Attr,
    ) -> SlotId {
        let mut keys = self.keys.lock();
        if let Some(&id) = keys.get(&(kind, origin.clone())) {
            return id;
        }
        let mut slots = self.slots.write();
        let id = SlotId::try_from(slots.len()).unwrap_or(SlotId::MAX);
        slots.push(Arc::new(Slot {
            kind,
            origin: origin.clone(),
            label,
            closed_attr,
            state: Mutex::new(State::default()),
            last_used: AtomicU64::new(self.now()),
            handles: AtomicUsize::new(0),
        }));
        keys.insert((kind, origin), id);
        id
    }

    /// Slot `id`.
    pub fn get(&self, id: SlotId) -> Option<Arc<Slot>> {
        self.slots.read().get(id as usize).cloned()
    }

    /// All slots, for the idle closer.
    pub fn all(&self) -> Vec<Arc<Slot>> {
        self.slots.read().clone()
    }

    /// Seconds since the table was made.
    pub fn now(&self) -> u64 {
        self.clock.elapsed().as_secs()
    }

    /// The contents of `slot`, opened with `open` if needed (one opener at a time; others
    /// wait and share the result). A failure is remembered and logged once.
    pub fn ensure(
        &self,
        slot: &Slot,
        open: impl FnOnce() -> Result<Opened, String>,
    ) -> Result<Opened, String> {
        slot.last_used.store(self.now(), Ordering::Relaxed);
        let mut state = slot.state.lock();
        if let Some(o) = &state.opened {
            return Ok(o.clone());
        }
        if let Some(e) = &state.error {
            return Err(e.clone());
        }
        match open() {
            Ok(o) => {
                tracing::info!("opened {}", slot.label.display());
                state.opened = Some(o.clone());
                Ok(o)
            }
            Err(e) => {
                tracing::warn!("{}: {e}", slot.label.display());
                state.error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Closes every slot unused for `idle_secs` with no open files, and forgets old errors so
    /// that those images are tried again. Returns how many were closed.
    pub fn close_idle(&self, idle_secs: u64) -> usize {
        let now = self.now();
        let mut closed = 0;
        for slot in self.all() {
            let last = slot.last_used.load(Ordering::Relaxed);
            if now.saturating_sub(last) < idle_secs || slot.handles.load(Ordering::Relaxed) > 0 {
                continue;
            }
            let mut state = slot.state.lock();
            if state.opened.take().is_some() {
                tracing::info!("closed idle {}", slot.label.display());
                closed += 1;
            }
            state.error = None;
        }
        closed
    }
}
