//! `--rebuild`: writes a compacted copy of a WIM (only the resources its blob table references,
//! back to back) to a temporary file beside it, makes it durable, and renames it over the
//! original. Raw resources are copied as they are (nothing is recompressed); the integrity
//! table is recomputed when the WIM had one (or `check`). A crash before the rename leaves the
//! original untouched; the rename itself is atomic.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::Arc;

use common::cache::ChunkCache;

use super::integrity;
use super::writer::WimWriter;
use super::xml::{encode_utf16, set_wim_total_bytes};
use crate::blob_index::SOLID_RESOURCE_MAGIC;
use crate::error::{WimError, WimResult};
use crate::format::header::{WimHeader, FLAG_WRITE_IN_PROGRESS, HEADER_SIZE};
use crate::format::reshdr::FLAG_SOLID;
use crate::format::{BlobEntry, ResourceHeader};
use crate::wim::WimFile;

/// Sizes before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildReport {
    /// File size before.
    pub before: u64,
    /// File size after.
    pub after: u64,
}

fn copy_range(from: &File, to: &WimWriter<'_>, src: u64, dst: u64, len: u64) -> WimResult<()> {
    let mut buf = vec![0u8; (1 << 20).min(len as usize).max(1)];
    let mut done = 0u64;
    while done < len {
        let n = buf.len().min((len - done) as usize);
        common::io::read_exact_at(from, src + done, &mut buf[..n]).map_err(|e| {
            WimError::io(format!("reading bytes {}.. of the old WIM", src + done), e)
        })?;
        to.write_at(dst + done, &buf[..n])?;
        done += n as u64;
    }
    Ok(())
}

/// Rebuilds the WIM at `path` in place (see the module docs).
pub fn rebuild(path: &Path, check: bool) -> WimResult<RebuildReport> {
    let wim = WimFile::open(path, Arc::new(ChunkCache::new(16 << 20)))?;
    if wim.part_count() > 1 {
        return Err(WimError::Unsupported("rebuilding split WIMs".into()));
    }
    let old =
        File::open(path).map_err(|e| WimError::io(format!("opening {}", path.display()), e))?;
    let before = old
        .metadata()
        .map_err(|e| WimError::io("reading the WIM's size", e))?
        .len();
    let tmp = path.with_extension("wim.rebuild-tmp");
    let out = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(|e| WimError::io(format!("creating {}", tmp.display()), e))?;
    let result = (|| -> WimResult<u64> {
        let header = wim.header().clone();
        let mut writer = WimWriter::new(
            &out,
            HEADER_SIZE as u64,
            header.compression,
            header.chunk_size.max(1),
            1,
        );
        writer.write_at(0, &[0u8; HEADER_SIZE])?;
        let mut moved: HashMap<u64, u64> = HashMap::new();
        let mut seen: HashSet<crate::format::Sha1Hash> = HashSet::new();
        let mut table = Vec::new();
        for e in wim.raw_entries()? {
            let solid = e.reshdr.flags & FLAG_SOLID != 0;
            let resource_entry = !solid || e.reshdr.uncompressed_size == SOLID_RESOURCE_MAGIC;
            if e.reshdr.is_metadata() && e.refcount == 0 {
                continue;
            }
            if !e.reshdr.is_metadata() && resource_entry && !solid && !seen.insert(e.hash) {
                continue; // duplicate blob: readers use the first
            }
            let mut entry: BlobEntry = *e;
            if resource_entry {
                let old_at = e.reshdr.offset_in_wim;
                let new_at = match moved.get(&old_at) {
                    Some(&at) => at,
                    None => {
                        let at = writer.pos;
                        copy_range(&old, &writer, old_at, at, e.reshdr.size_in_wim)?;
                        writer.pos += e.reshdr.size_in_wim;
                        moved.insert(old_at, at);
                        at
                    }
                };
                entry.reshdr.offset_in_wim = new_at;
            }
            table.extend_from_slice(&entry.to_bytes());
        }
        let table_hdr = writer.write_buffer(&table, 0, false)?;
        let xml_text = set_wim_total_bytes(wim.xml(), writer.pos)?;
        let xml_hdr = writer.write_buffer(&encode_utf16(&xml_text), 0, false)?;
        let mut integrity_hdr = ResourceHeader::default();
        if header.integrity.size_in_wim > 0 || check {
            let end = table_hdr.end_in_wim().unwrap_or(0);
            let bytes = integrity::build(&out, end, None, &mut |_, _| {})?;
            integrity_hdr = writer.write_buffer(&bytes, 0, false)?;
        }
        let mut head = WimHeader::parse(wim.fingerprint().0)?;
        head.blob_table = table_hdr;
        head.xml_data = xml_hdr;
        if header.boot_metadata.size_in_wim > 0 {
            let boot = &mut head.boot_metadata;
            boot.offset_in_wim = moved
                .get(&boot.offset_in_wim)
                .copied()
                .unwrap_or(boot.offset_in_wim);
        }
        head.integrity = integrity_hdr;
        head.flags &= !FLAG_WRITE_IN_PROGRESS;
        writer.write_at(0, &head.to_bytes())?;
        out.sync_all()
            .map_err(|e| WimError::io("syncing the rebuilt WIM", e))?;
        Ok(writer.pos)
    })();
    let after = match result {
        Ok(len) => len,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, path).map_err(|e| {
        WimError::io(
            format!("renaming {} over {}", tmp.display(), path.display()),
            e,
        )
    })?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(RebuildReport { before, after })
}
