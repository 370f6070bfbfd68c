//! Opening a WIM that lives inside an ISO (`Win11.iso:/sources/install.wim`): the ISO is read by
//! isofs, the inner file through its VFS as a positional source, with no copy.

use std::path::Path;
use std::sync::Arc;

use common::cache::ChunkCache;
use common::io::ReadAt;
use common::nested::VfsFile;
use wimfs::WimFile;

/// Opens `inner` of the ISO `outer` as a WIM.
pub fn open_wim_inside(
    outer: &Path,
    inner: &Path,
    cache: Arc<ChunkCache>,
) -> Result<WimFile, String> {
    let iso = isofs::IsoFs::open_path(outer, &isofs::OpenOptions::default(), 16 << 20)
        .map_err(|e| format!("{}: {e}", outer.display()))?;
    let file =
        VfsFile::open(Arc::new(iso), inner).map_err(|e| format!("{}: {e}", outer.display()))?;
    let source: Arc<dyn ReadAt> = Arc::new(file);
    let name = format!("{}:{}", outer.display(), inner.display());
    WimFile::from_source(source, name, cache).map_err(|e| e.to_string())
}
