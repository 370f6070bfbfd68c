//! `--spill-mb` / `--spill-dir`: the disk tier of a mount's chunk cache
//! ([`common::spill::SpillFile`]), where decoded solid chunks that RAM cannot keep go, so a
//! solid WIM/ESD is decoded about once per mount whatever the read order and `--cache-mb`.

use std::path::PathBuf;

use clap::Args;
use common::cache::ChunkCache;
use common::spill::SpillFile;

/// Default disk budget: 8 GiB, and never more than half the free space.
const DEFAULT_SPILL_BYTES: u64 = 8 << 30;

/// The spill options of a mount.
#[derive(Args, Debug, Clone, Default)]
pub struct SpillArgs {
    /// Disk space for decoded solid-WIM chunks that the RAM cache cannot keep, in MiB (an
    /// unlinked file, gone at unmount; 0 turns it off). Default: up to 8192, at most half the
    /// free space.
    #[arg(long, value_name = "MIB")]
    pub spill_mb: Option<u64>,
    /// Directory of that file (default: $XDG_CACHE_HOME/wimfs, else ~/.cache/wimfs).
    #[arg(long, value_name = "DIR")]
    pub spill_dir: Option<PathBuf>,
}

impl SpillArgs {
    /// A chunk cache of `cache_bytes` in RAM with the disk tier these options ask for. A spill
    /// file that cannot be made is logged and left out (reads still work, decoding more).
    pub fn cache(&self, cache_bytes: usize) -> ChunkCache {
        let cache = ChunkCache::new(cache_bytes);
        if self.spill_mb == Some(0) {
            return cache;
        }
        let dir = match self
            .spill_dir
            .clone()
            .map_or_else(crate::staging_state::user_state_dir, Ok)
        {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("no spill file: {e}");
                return cache;
            }
        };
        if let Err(e) = std::fs::create_dir_all(&dir) {
            tracing::warn!("no spill file in {}: {e}", dir.display());
            return cache;
        }
        let budget = match self.spill_mb {
            Some(mb) => mb.saturating_mul(1 << 20),
            None => {
                let free = common::io::available_space(&dir).unwrap_or(0);
                DEFAULT_SPILL_BYTES.min(free / 2)
            }
        };
        match SpillFile::create_in(&dir, budget) {
            Ok(spill) => cache.with_spill(spill),
            Err(e) => {
                tracing::warn!("no spill file in {}: {e}", dir.display());
                cache
            }
        }
    }
}
