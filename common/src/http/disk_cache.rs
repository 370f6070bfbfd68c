//! The persistent block cache (`--cache-dir DIR`): blocks of an object's pinned version kept
//! on local disk, so a second mount checks them with one small request (its validators and
//! first bytes, `source.rs`) and reads what the first one fetched without fetching it again.
//!
//! Layout: `DIR/<hash of scheme+host+path>/` holds `url` (for people), `latest` (the last
//! version seen, one [`PinnedVersion::to_line`]), and per version `<hash>.data` (a sparse file
//! of the object's size) and `<hash>.map` (8 bytes per block: length and CRC-32, little
//! endian; length 0 = absent). A block is written before its map entry, and its CRC is checked
//! on every read, so a torn write after a crash reads as a missing block, never as bytes.
//! When a new version of an object is seen, the old one's files are deleted. The budget
//! covers the whole directory: at open, other objects are deleted least recently used first
//! until the total fits; past the budget, new blocks are not stored.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;
use sha1::{Digest, Sha1};

use super::error::HttpError;
use super::version::PinnedVersion;
use crate::io::{read_exact_at, write_all_at};

const ENTRY: usize = 8;

fn short_hash(s: &str) -> String {
    let d = Sha1::digest(s.as_bytes());
    d.iter().take(10).map(|b| format!("{b:02x}")).collect()
}

fn local<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> HttpError + 'a {
    move |source| HttpError::Local {
        what,
        path: path.display().to_string(),
        source,
    }
}

/// One object's directory in the cache.
#[derive(Debug)]
pub struct DiskIndex {
    root: PathBuf,
    dir: PathBuf,
}

impl DiskIndex {
    /// The directory of the object `identity` (created if needed).
    pub fn open(root: &Path, identity: &str) -> Result<Self, HttpError> {
        let dir = root.join(short_hash(identity));
        std::fs::create_dir_all(&dir).map_err(local("cache directory", &dir))?;
        let _ = std::fs::write(dir.join("url"), format!("{identity}\n"));
        Ok(Self {
            root: root.to_path_buf(),
            dir,
        })
    }

    /// The version last seen, if any.
    pub fn latest(&self) -> Option<PinnedVersion> {
        let text = std::fs::read_to_string(self.dir.join("latest")).ok()?;
        PinnedVersion::from_line(&text)
    }

    /// Opens (creates) the block store of `version`, deleting other versions of the object
    /// and, over `budget` bytes in all, other objects least recently used first.
    pub fn open_version(
        &self,
        version: &PinnedVersion,
        block: u64,
        budget: u64,
    ) -> Result<DiskCache, HttpError> {
        let line = version.to_line();
        let stem = short_hash(&line);
        let latest = self.dir.join("latest");
        std::fs::write(&latest, format!("{line}\n")).map_err(local("cache file", &latest))?;
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if (name.ends_with(".data") || name.ends_with(".map")) && !name.starts_with(&stem) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let blocks = version.size.div_ceil(block);
        let map_len = blocks
            .checked_mul(ENTRY as u64)
            .and_then(|l| usize::try_from(l).ok())
            .filter(|&l| l <= 64 << 20)
            .ok_or_else(|| {
                local("cache map", &self.dir)(std::io::Error::other("object too large"))
            })?;
        let open = |p: &Path| {
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(p)
                .map_err(local("cache file", p))
        };
        let data_path = self.dir.join(format!("{stem}.data"));
        let map_path = self.dir.join(format!("{stem}.map"));
        let data = open(&data_path)?;
        let map = open(&map_path)?;
        let mut entries = vec![0u8; map_len];
        let have = map.metadata().map(|m| m.len()).unwrap_or(0);
        if have == map_len as u64 {
            read_exact_at(&map, 0, &mut entries).map_err(local("cache map", &map_path))?;
        } else {
            map.set_len(map_len as u64)
                .map_err(local("cache map", &map_path))?;
            data.set_len(0).map_err(local("cache file", &data_path))?;
        }
        let mine = used_in_map(&entries);
        let others = evict_to_fit(&self.root, &self.dir, budget.saturating_sub(mine));
        Ok(DiskCache {
            data,
            map,
            entries: Mutex::new(entries),
            block,
            used: AtomicU64::new(mine + others),
            budget,
            full_logged: AtomicBool::new(false),
        })
    }
}

fn used_in_map(entries: &[u8]) -> u64 {
    entries
        .chunks_exact(ENTRY)
        .map(|e| u64::from(u32::from_le_bytes([e[0], e[1], e[2], e[3]])))
        .sum()
}

/// Deletes other objects' directories, least recently opened first, until the bytes they
/// hold fit in `room`; returns the bytes the remaining ones hold.
fn evict_to_fit(root: &Path, keep: &Path, room: u64) -> u64 {
    let mut others: Vec<(std::time::SystemTime, PathBuf, u64)> = Vec::new();
    for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let dir = e.path();
        if dir == keep || !dir.is_dir() {
            continue;
        }
        let used: u64 = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|f| f.file_name().to_string_lossy().ends_with(".map"))
            .filter_map(|f| std::fs::read(f.path()).ok())
            .map(|m| used_in_map(&m))
            .sum();
        let when = std::fs::metadata(dir.join("latest"))
            .and_then(|m| m.modified())
            .unwrap_or(std::time::UNIX_EPOCH);
        others.push((when, dir, used));
    }
    others.sort();
    let mut total: u64 = others.iter().map(|o| o.2).sum();
    for (_, dir, used) in &others {
        if total <= room {
            break;
        }
        if std::fs::remove_dir_all(dir).is_ok() {
            tracing::info!("cache: evicted {} ({used} bytes)", dir.display());
            total -= used;
        }
    }
    total
}

/// The stored blocks of one object version.
#[derive(Debug)]
pub struct DiskCache {
    data: File,
    map: File,
    entries: Mutex<Vec<u8>>,
    block: u64,
    used: AtomicU64,
    budget: u64,
    full_logged: AtomicBool,
}

impl DiskCache {
    fn entry(&self, b: u64) -> Option<(u32, u32)> {
        let i = usize::try_from(b).ok()?.checked_mul(ENTRY)?;
        let e = self.entries.lock();
        let s = e.get(i..i + ENTRY)?;
        let len = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        let crc = u32::from_le_bytes([s[4], s[5], s[6], s[7]]);
        (len > 0).then_some((len, crc))
    }

    fn set_entry(&self, b: u64, len: u32, crc: u32) -> std::io::Result<()> {
        let Some(i) = usize::try_from(b).ok().and_then(|i| i.checked_mul(ENTRY)) else {
            return Ok(());
        };
        let mut bytes = [0u8; ENTRY];
        bytes[..4].copy_from_slice(&len.to_le_bytes());
        bytes[4..].copy_from_slice(&crc.to_le_bytes());
        let mut e = self.entries.lock();
        if let Some(s) = e.get_mut(i..i + ENTRY) {
            s.copy_from_slice(&bytes);
            write_all_at(&self.map, i as u64, &bytes)?;
        }
        Ok(())
    }

    /// Forgets every stored block (the object changed under the same version).
    pub fn clear(&self) -> std::io::Result<()> {
        let mut e = self.entries.lock();
        let mine = used_in_map(&e);
        e.fill(0);
        write_all_at(&self.map, 0, &e)?;
        self.data.set_len(0)?;
        self.used.fetch_sub(
            mine.min(self.used.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        Ok(())
    }

    /// True if block `b` is stored.
    pub fn has(&self, b: u64) -> bool {
        self.entry(b).is_some()
    }

    /// Block `b`, if stored and intact.
    pub fn get(&self, b: u64) -> Option<Vec<u8>> {
        let (len, crc) = self.entry(b)?;
        let mut buf = vec![0u8; len as usize];
        let ok = read_exact_at(&self.data, b.checked_mul(self.block)?, &mut buf).is_ok()
            && crc32fast::hash(&buf) == crc;
        if ok {
            return Some(buf);
        }
        tracing::warn!("cache: block {b} is damaged on disk; fetching it again");
        let _ = self.set_entry(b, 0, 0);
        self.used.fetch_sub(
            u64::from(len).min(self.used.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        None
    }

    /// Stores block `b` (unless stored already or the budget is used up).
    pub fn put(&self, b: u64, data: &[u8]) {
        if self.has(b) || data.is_empty() {
            return;
        }
        let len = data.len() as u64;
        if self.used.fetch_add(len, Ordering::Relaxed) + len > self.budget {
            self.used.fetch_sub(len, Ordering::Relaxed);
            if !self.full_logged.swap(true, Ordering::Relaxed) {
                tracing::info!(
                    "cache: the directory's budget ({} bytes) is used up",
                    self.budget
                );
            }
            return;
        }
        let Some(off) = b.checked_mul(self.block) else {
            return;
        };
        let result = write_all_at(&self.data, off, data)
            .and_then(|()| self.set_entry(b, len as u32, crc32fast::hash(data)));
        if let Err(e) = result {
            self.used.fetch_sub(len, Ordering::Relaxed);
            tracing::warn!("cache: storing block {b}: {e}");
        }
    }

    /// Bytes stored in the whole cache directory (as counted at open plus since).
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(etag: &str) -> PinnedVersion {
        PinnedVersion {
            size: 10_000,
            etag: Some(etag.into()),
            last_modified: None,
        }
    }

    #[test]
    fn blocks_survive_reopening_damage_reads_as_absent_and_new_versions_replace_old() {
        let root = std::env::temp_dir().join(format!("http-disk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let idx = DiskIndex::open(&root, "http://h/x.wim").expect("index");
        assert!(idx.latest().is_none());
        let c = idx
            .open_version(&version("\"a\""), 4096, 1 << 20)
            .expect("open");
        c.put(1, &[7u8; 4096]);
        c.put(2, &[8u8; 1808]);
        drop(c);
        let idx = DiskIndex::open(&root, "http://h/x.wim").expect("index");
        assert_eq!(idx.latest(), Some(version("\"a\"")));
        let c = idx
            .open_version(&version("\"a\""), 4096, 1 << 20)
            .expect("reopen");
        assert_eq!(c.get(1).as_deref(), Some(&[7u8; 4096][..]));
        assert_eq!(c.used(), 4096 + 1808);
        // Damage block 2's bytes on disk: it reads as absent.
        let data = std::fs::read_dir(&idx.dir)
            .expect("dir")
            .flatten()
            .find(|e| e.file_name().to_string_lossy().ends_with(".data"))
            .expect("data file")
            .path();
        let f = OpenOptions::new()
            .write(true)
            .open(&data)
            .expect("open data");
        write_all_at(&f, 8192, b"x").expect("damage");
        assert!(c.get(2).is_none());
        assert!(!c.has(2));
        // Cleared (the object changed under the same version): nothing is stored any more,
        // also after reopening.
        c.clear().expect("clear");
        assert!(c.get(1).is_none());
        assert_eq!(c.used(), 0);
        c.put(1, &[9u8; 4096]);
        drop(c);
        let c = idx
            .open_version(&version("\"a\""), 4096, 1 << 20)
            .expect("reopen");
        assert_eq!(c.get(1).as_deref(), Some(&[9u8; 4096][..]));
        assert!(c.get(0).is_none());
        drop(c);
        // A new version deletes the old one's blocks.
        let c = idx
            .open_version(&version("\"b\""), 4096, 1 << 20)
            .expect("new version");
        assert!(c.get(1).is_none());
        assert_eq!(c.used(), 0);
        // Past the budget, blocks are not stored.
        let c = idx
            .open_version(&version("\"b\""), 4096, 5000)
            .expect("small budget");
        c.put(0, &[1u8; 4096]);
        c.put(1, &[1u8; 4096]);
        assert!(c.has(0) && !c.has(1));
        let _ = std::fs::remove_dir_all(&root);
    }
}
