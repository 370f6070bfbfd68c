//! The commit itself: hash, deduplicate, append, then switch the header.

use std::fs::{File, OpenOptions};
use std::sync::OnceLock;

use sha1::{Digest, Sha1};

use super::blob_writer::Tail;
use super::hash_streams::{hash_new_streams, NewStreams};
use super::image_stats::{image_stats, ImageStats};
use super::integrity;
use super::metadata::{write_metadata, StreamHashes};
use super::new_blobs::write_new_blobs;
use super::new_image::{target, NewImage, Target};
use super::new_table::{new_blob_table, MetadataSlot};
use super::refs::{count_blob_refs, count_refs, FastMap, RefCounts};
use super::source::CommitSource;
use super::writer::WimWriter;
use super::xml::{encode_utf16, set_wim_total_bytes, update_image};
use super::xml_append::append_image;
use crate::error::{WimError, WimResult};
use crate::format::header::{WimHeader, FLAG_WRITE_IN_PROGRESS, HEADER_SIZE};
use crate::format::integrity::parse_integrity_table;
use crate::format::{BlobEntry, ResourceHeader, Sha1Hash};
use crate::inode::Content;
use crate::resource::BlobReader;
use crate::tree::ImageTree;

/// How to commit.
#[derive(Debug, Clone)]
pub struct CommitOptions {
    /// Write an integrity table even if the WIM had none.
    pub check: bool,
    /// Compression threads.
    pub threads: usize,
    /// Append the tree as a new image instead of replacing the one it came from.
    pub new_image: Option<NewImage>,
}

/// Which step a commit is in (for progress displays).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitPhase {
    /// Hashing new and changed streams.
    Hashing,
    /// Compressing and writing new blobs.
    Writing,
    /// Computing the integrity table.
    Integrity,
}

/// What a commit did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitReport {
    /// Blobs written.
    pub new_blobs: usize,
    /// Changed streams whose data the WIM already had.
    pub deduplicated: usize,
    /// Bytes appended to the file.
    pub bytes_appended: u64,
    /// File size before and after.
    pub size_before: u64,
    /// File size after.
    pub size_after: u64,
    /// The image written (1-based): the one replaced, or the new one.
    pub image: u32,
    /// The new image's name (None: unnamed, or an image was replaced).
    pub image_name: Option<String>,
}

/// The moment before a commit switches the header: everything new is durable, and the header
/// about to be written (with the end of what it references) identifies the result.
#[derive(Debug, Clone, Copy)]
pub struct SwitchPoint<'h> {
    /// The new header's bytes.
    pub header: &'h [u8],
    /// The end of the last structure the new header references (the file's new length).
    pub end: u64,
}

/// Writes `src.tree` into `src.wim` as the new version of image `src.image`.
pub fn commit(
    src: &CommitSource<'_>,
    opts: &CommitOptions,
    progress: &mut dyn FnMut(CommitPhase, u64, u64),
) -> WimResult<CommitReport> {
    commit_with(src, opts, progress, &mut |_| Ok(()))
}

/// [`commit`], calling `before_switch` once everything new is durable and just before the
/// header write that switches the WIM to the new image (a commit while mounted records there
/// which image the WIM is about to become); an error from it abandons the commit, the WIM
/// unchanged.
pub fn commit_with(
    src: &CommitSource<'_>,
    opts: &CommitOptions,
    progress: &mut dyn FnMut(CommitPhase, u64, u64),
    before_switch: &mut dyn FnMut(&SwitchPoint<'_>) -> WimResult<()>,
) -> WimResult<CommitReport> {
    let wim = src.wim;
    let path = wim.path().ok_or_else(|| {
        WimError::Unsupported("a WIM read from inside another image cannot be committed".into())
    })?;
    if wim.part_count() > 1 {
        return Err(WimError::Unsupported(
            "split WIMs cannot be committed; join them first".into(),
        ));
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| WimError::io(format!("opening {} for writing", path.display()), e))?;
    let size_before = file
        .metadata()
        .map_err(|e| WimError::io("reading the WIM's size", e))?
        .len();
    let mut head = vec![0u8; HEADER_SIZE];
    common::io::read_exact_at(&file, 0, &mut head)
        .map_err(|e| WimError::io("reading the WIM header", e))?;
    let (old_head, len_at_open) = wim.fingerprint();
    if head != old_head || size_before < len_at_open {
        return Err(WimError::Unsupported(format!(
            "{} changed on disk since it was mounted; refusing to commit over it",
            path.display()
        )));
    }
    let snapshot = src.tree;
    let target = target(wim, src.image, opts.new_image.as_ref())?;

    // Hash every stream that is not a blob of the WIM already, and deduplicate.
    let NewStreams {
        hashes,
        new_blobs,
        deduplicated,
    } = hash_new_streams(src, snapshot, opts.threads, &mut |d, t| {
        progress(CommitPhase::Hashing, d, t)
    })?;

    // Append after the last referenced structure: an orphaned tail left by an interrupted
    // write (ours or wimlib's) is overwritten and cut off.
    let start = crate::wim_end::valid_end(wim)?.min(size_before);
    let result = write_all(
        src,
        &file,
        start,
        snapshot,
        &hashes,
        &new_blobs,
        &target,
        opts,
        progress,
        before_switch,
    );
    match result {
        Ok(size_after) => Ok(CommitReport {
            new_blobs: new_blobs.len(),
            deduplicated,
            bytes_appended: size_after.saturating_sub(size_before),
            size_before,
            size_after,
            image: target.index,
            image_name: target.name,
        }),
        Err(e) => {
            // Nothing points past the old valid end: drop the partial tail.
            let _ = file.set_len(start);
            let _ = file.sync_all();
            Err(e)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn write_all(
    src: &CommitSource<'_>,
    file: &File,
    start: u64,
    snapshot: &ImageTree,
    hashes: &StreamHashes,
    new_blobs: &[(Sha1Hash, Content)],
    target: &Target,
    opts: &CommitOptions,
    progress: &mut dyn FnMut(CommitPhase, u64, u64),
    before_switch: &mut dyn FnMut(&SwitchPoint<'_>) -> WimResult<()>,
) -> WimResult<u64> {
    let wim = src.wim;
    let header = wim.header();
    let chunk_size = if header.chunk_size == 0 {
        32768
    } else {
        header.chunk_size
    };
    let mut writer = WimWriter::new(file, start, header.compression, chunk_size, opts.threads);

    // 1. New blobs, then 2. the image's metadata, built meanwhile on another thread and
    // compressed in the blobs' pipeline; meanwhile too, the reference counts of the new image
    // and of the one it replaces (for the blob table).
    let failed = |what: &str| WimError::Unsupported(format!("{what} failed (a thread panicked)"));
    // The metadata's SHA-1 (for its blob table entry), taken on the thread that built it
    // while the blobs are still being compressed, not after them.
    let meta_hash = OnceLock::new();
    let (written, refs) = std::thread::scope(|s| {
        let meta = s.spawn(|| {
            let meta = write_metadata(snapshot, hashes);
            let _ = meta_hash.set(Sha1Hash(Sha1::digest(&meta).into()));
            meta
        });
        let refs = s.spawn(|| -> WimResult<RefCounts> {
            let new = count_refs(snapshot, &|ino, slot, c| hashes.of(ino, slot, c));
            let old = if target.new {
                Some(FastMap::default()) // the original image stays: no reference goes away
            } else if wim.image_count() == 1 {
                None // the image replaced held every reference
            } else {
                Some(count_blob_refs(&ImageTree::load(wim, src.image)?))
            };
            Ok(RefCounts { new, old })
        });
        let metadata: Tail<'_> = Box::new(move || {
            meta.join()
                .map_err(|_| failed("building the image metadata"))
        });
        let written = write_new_blobs(
            &mut writer,
            src,
            (snapshot, hashes),
            new_blobs,
            metadata,
            &mut |done, total| progress(CommitPhase::Writing, done, total),
        );
        let refs = refs
            .join()
            .map_err(|_| failed("counting the blob references"))
            .and_then(|r| r);
        (written, refs)
    });
    let ((written, (meta_hdr, meta)), counts) = (written?, refs?);
    let meta_hash = meta_hash
        .into_inner()
        .unwrap_or_else(|| Sha1Hash(Sha1::digest(&meta).into()));
    // The blob table entry of the image's new metadata resource.
    let new_meta = BlobEntry {
        reshdr: meta_hdr,
        part_number: 1,
        refcount: 1,
        hash: meta_hash,
    };

    // 3. The blob table.
    let slot = if target.new {
        MetadataSlot::Append
    } else {
        MetadataSlot::Replace(src.image)
    };
    let table = new_blob_table(wim, &new_meta, slot, &counts, &written, new_blobs)?;
    let table_hdr = writer.write_buffer(&table, 0, false)?;

    // 4. The XML data.
    let ImageStats {
        dirs,
        files,
        total_bytes,
        hardlink_bytes,
    } = image_stats(snapshot);
    let now = crate::format::filetime::now_filetime();
    let xml_before = if target.new {
        let created = [
            ("CREATIONTIME/HIGHPART", format!("0x{:08X}", now >> 32)),
            (
                "CREATIONTIME/LOWPART",
                format!("0x{:08X}", now & 0xFFFF_FFFF),
            ),
        ];
        append_image(
            wim.xml(),
            src.image,
            target.index,
            target.name.as_deref(),
            &created,
        )?
    } else {
        wim.xml().to_string()
    };
    let xml_text = update_image(
        &xml_before,
        target.index,
        &[
            ("DIRCOUNT", dirs.to_string()),
            ("FILECOUNT", files.to_string()),
            ("TOTALBYTES", total_bytes.to_string()),
            ("HARDLINKBYTES", hardlink_bytes.to_string()),
            (
                "LASTMODIFICATIONTIME/HIGHPART",
                format!("0x{:08X}", now >> 32),
            ),
            (
                "LASTMODIFICATIONTIME/LOWPART",
                format!("0x{:08X}", now & 0xFFFF_FFFF),
            ),
        ],
    )?;
    let xml_text = set_wim_total_bytes(&xml_text, writer.pos)?;
    let xml_hdr = writer.write_buffer(&encode_utf16(&xml_text), 0, false)?;

    // 5. The integrity table, if the WIM had one or one was asked for.
    let mut integrity_hdr = ResourceHeader::default();
    if header.integrity.size_in_wim > 0 || opts.check {
        let old = if header.integrity.size_in_wim > 0 {
            let old_checked = header
                .blob_table
                .end_in_wim()
                .unwrap_or(0)
                .saturating_sub(HEADER_SIZE as u64);
            let ctx = wim.part_contexts().next().map(|(_, _, c)| c.clone());
            ctx.and_then(|c| {
                let bytes = BlobReader::resource(&c, header.integrity, None)
                    .ok()?
                    .read_all(64 << 20)
                    .ok()?;
                parse_integrity_table(&bytes, old_checked, header.integrity.offset_in_wim)
                    .ok()
                    .map(|t| (t, old_checked))
            })
        } else {
            None
        };
        let end = table_hdr.end_in_wim().unwrap_or(0);
        let bytes = integrity::build(
            file,
            end,
            old.as_ref().map(|(t, c)| (t, *c)),
            &mut |d, t| progress(CommitPhase::Integrity, d, t),
        )?;
        integrity_hdr = writer.write_buffer(&bytes, 0, false)?;
    }

    // 6. Cut anything left past our end, make it durable, then switch the header in one
    // write, then durable again.
    file.set_len(writer.pos)
        .map_err(|e| WimError::io("setting the WIM's new length", e))?;
    file.sync_all()
        .map_err(|e| WimError::io("syncing the new data", e))?;
    let mut new_head = WimHeader::parse(wim.fingerprint().0)?;
    new_head.blob_table = table_hdr;
    new_head.xml_data = xml_hdr;
    if header.boot_index == src.image && !target.new {
        new_head.boot_metadata = meta_hdr;
    }
    if target.new {
        new_head.image_count = target.index;
    }
    new_head.integrity = integrity_hdr;
    new_head.flags &= !FLAG_WRITE_IN_PROGRESS;
    let head_bytes = new_head.to_bytes();
    before_switch(&SwitchPoint {
        header: &head_bytes,
        end: writer.pos,
    })?;
    writer.write_at(0, &head_bytes)?;
    file.sync_all()
        .map_err(|e| WimError::io("syncing the new header", e))?;
    Ok(writer.pos)
}
