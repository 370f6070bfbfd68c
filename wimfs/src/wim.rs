//! Opening a WIM: header, blob table, XML data, the list of images, and for split WIMs the
//! other parts (`--ref`), whose blobs join one index.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use common::cache::{ChunkCache, SourceId};
use common::io::{FileSource, ReadAt};

use crate::blob_index::{BlobIndex, BlobInfo};
use crate::error::{WimError, WimResult};
use sha1::{Digest, Sha1};

use crate::format::blob_table::parse_blob_table;
use crate::format::header::{WimHeader, HEADER_SIZE};
use crate::format::xml::{parse_images, xml_text, ImageInfo};
use crate::format::BlobEntry;
use crate::format::Sha1Hash;
use crate::resource::{read_solid_header, BlobReader, ResourceContext};

/// Largest blob table we accept (entries are 50 bytes: this is 20 million blobs).
const MAX_BLOB_TABLE: u64 = 1 << 30;
/// Largest XML data we accept.
const MAX_XML: u64 = 64 << 20;

/// One opened part.
#[derive(Debug)]
struct Part {
    name: String,
    header: WimHeader,
    ctx: ResourceContext,
    /// The raw header bytes and the file length when opened (to detect outside changes).
    header_bytes: Vec<u8>,
    len_at_open: u64,
    /// The blob table entries as stored, in order. Only commits need them, so they are read
    /// again (and checked against `table_sha1`) when first asked for: a read-only mount does
    /// not hold them beside the index (a few MB for an install.esd).
    entries: OnceLock<Vec<BlobEntry>>,
    /// SHA-1 of the blob table's bytes when the WIM was opened.
    table_sha1: [u8; 20],
}

/// An open WIM (all parts of a split WIM).
#[derive(Debug)]
pub struct WimFile {
    path: Option<std::path::PathBuf>,
    parts: Vec<Part>,
    index: BlobIndex,
    images: Vec<ImageInfo>,
    xml: String,
}

fn open_part(source: Arc<dyn ReadAt>, name: String, cache: Arc<ChunkCache>) -> WimResult<Part> {
    let mut head = vec![0u8; HEADER_SIZE.min(source.len() as usize)];
    source
        .read_exact_at(0, &mut head)
        .map_err(|e| WimError::io(format!("reading the header of {name}"), e))?;
    let header = WimHeader::parse(&head).map_err(|e| WimError::InFile {
        file: name.clone(),
        source: Box::new(e),
    })?;
    // Uncompressed WIMs may leave the chunk size 0; chunk arithmetic needs a real one.
    let chunk_size = if header.chunk_size == 0 {
        32768
    } else {
        header.chunk_size
    };
    let len_at_open = source.len();
    let ctx = ResourceContext {
        source,
        compression: header.compression,
        chunk_size,
        cache,
        source_id: SourceId::fresh(),
    };
    Ok(Part {
        name,
        header,
        ctx,
        header_bytes: head,
        len_at_open,
        entries: OnceLock::new(),
        table_sha1: [0; 20],
    })
}

impl WimFile {
    /// Opens the WIM at `path`, sharing `cache` for decoded chunks.
    pub fn open(path: &Path, cache: Arc<ChunkCache>) -> WimResult<Self> {
        Self::open_with_refs(path, &[], cache)
    }

    /// Opens a (split) WIM: `path` is part 1 (or a whole WIM), `refs` the other parts.
    pub fn open_with_refs(
        path: &Path,
        refs: &[std::path::PathBuf],
        cache: Arc<ChunkCache>,
    ) -> WimResult<Self> {
        let open = |p: &Path| -> WimResult<(Arc<dyn ReadAt>, String)> {
            let src = FileSource::open(p)
                .map_err(|e| WimError::io(format!("opening {}", p.display()), e))?;
            Ok((Arc::new(src), p.display().to_string()))
        };
        let (src, name) = open(path)?;
        let mut sources = vec![(src, name)];
        for r in refs {
            if r.canonicalize().ok() == path.canonicalize().ok() {
                continue;
            }
            sources.push(open(r)?);
        }
        let mut wim = Self::from_sources(sources, cache)?;
        wim.path = Some(path.to_path_buf());
        Ok(wim)
    }

    /// Opens a WIM held by any positional reader (e.g. a byte range inside an ISO).
    pub fn from_source(
        source: Arc<dyn ReadAt>,
        name: String,
        cache: Arc<ChunkCache>,
    ) -> WimResult<Self> {
        Self::from_sources(vec![(source, name)], cache)
    }

    /// Opens a (split) WIM whose parts are held by positional readers (named for messages):
    /// any order, part 1 among them.
    pub fn from_sources(
        sources: Vec<(Arc<dyn ReadAt>, String)>,
        cache: Arc<ChunkCache>,
    ) -> WimResult<Self> {
        let mut parts = Vec::new();
        for (src, name) in sources {
            parts.push(open_part(src, name, Arc::clone(&cache))?);
        }
        // The first argument must be part 1 when parts were given; otherwise find it.
        parts.sort_by_key(|p| p.header.part_number);
        let first = &parts[0].header;
        let (guid, total) = (first.guid, first.total_parts);
        for p in &parts {
            if p.header.guid != guid || p.header.total_parts != total {
                return Err(WimError::invalid(
                    p.name.clone(),
                    24,
                    "belongs to a different WIM (GUID or part count differs)",
                ));
            }
        }
        for n in 1..=total {
            match parts.iter().filter(|p| p.header.part_number == n).count() {
                1 => {}
                0 => {
                    return Err(WimError::Unsupported(format!(
                        "part {n} of this {total}-part split WIM is missing; name all parts with --ref 'install*.swm'"
                    )))
                }
                _ => return Err(WimError::invalid(parts[0].name.clone(), 40, format!("part {n} was given twice"))),
            }
        }
        if parts.len() as u16 != total {
            return Err(WimError::invalid(
                parts[0].name.clone(),
                42,
                "more parts than the header's part count",
            ));
        }
        let mut index = BlobIndex::default();
        for p in &mut parts {
            let table = BlobReader::resource(&p.ctx, p.header.blob_table, None)?
                .read_all(MAX_BLOB_TABLE)?;
            let entries = parse_blob_table(&table, p.header.blob_table.offset_in_wim)?;
            let ctx = &p.ctx;
            index.add_part(
                &entries,
                p.header.version,
                p.header.part_number,
                p.header.blob_table.offset_in_wim,
                &mut |hdr| read_solid_header(ctx, hdr),
            )?;
            // Only part 1's table is read again (by commits), so only it needs the digest.
            if p.header.part_number == 1 {
                p.table_sha1 = Sha1::digest(&table).into();
            }
        }
        let head = &parts[0];
        let (images, xml) = if head.header.xml_data.size_in_wim == 0 {
            (Vec::new(), String::new())
        } else {
            let bytes =
                BlobReader::resource(&head.ctx, head.header.xml_data, None)?.read_all(MAX_XML)?;
            let text = xml_text(&bytes);
            (
                parse_images(&text, head.header.xml_data.offset_in_wim)?,
                text,
            )
        };
        if index.metadata.len() != head.header.image_count as usize {
            tracing::warn!(
                "{}: the header says {} images but the blob table has {} metadata resources",
                head.name,
                head.header.image_count,
                index.metadata.len()
            );
            index.metadata.truncate(head.header.image_count as usize);
        }
        Ok(Self {
            path: None,
            parts,
            index,
            images,
            xml,
        })
    }

    /// The file it was opened from (None for nested sources).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Number of parts (split WIMs have more than one).
    pub fn part_count(&self) -> usize {
        self.parts.len()
    }

    /// Part 1's header bytes and file length when it was opened.
    pub fn fingerprint(&self) -> (&[u8], u64) {
        (&self.parts[0].header_bytes, self.parts[0].len_at_open)
    }

    /// Part 1's blob table entries as stored: read again from the WIM the first time, and
    /// an error if the table is no longer the one the WIM was opened with.
    pub fn raw_entries(&self) -> WimResult<&[BlobEntry]> {
        let p = &self.parts[0];
        if let Some(entries) = p.entries.get() {
            return Ok(entries);
        }
        let offset = p.header.blob_table.offset_in_wim;
        let table =
            BlobReader::resource(&p.ctx, p.header.blob_table, None)?.read_all(MAX_BLOB_TABLE)?;
        if <[u8; 20]>::from(Sha1::digest(&table)) != p.table_sha1 {
            return Err(WimError::invalid(
                format!("blob table of {}", p.name),
                offset,
                "changed since the WIM was opened",
            ));
        }
        let entries = parse_blob_table(&table, offset)?;
        Ok(p.entries.get_or_init(|| entries))
    }

    /// The file name used in messages.
    pub fn name(&self) -> &str {
        &self.parts[0].name
    }

    /// The header (of part 1).
    pub fn header(&self) -> &WimHeader {
        &self.parts[0].header
    }

    /// Headers of all parts.
    pub fn part_headers(&self) -> impl Iterator<Item = (&str, &WimHeader)> {
        self.parts.iter().map(|p| (p.name.as_str(), &p.header))
    }

    /// Each part's name, header and reading context.
    pub fn part_contexts(&self) -> impl Iterator<Item = (&str, &WimHeader, &ResourceContext)> {
        self.parts
            .iter()
            .map(|p| (p.name.as_str(), &p.header, &p.ctx))
    }

    /// The raw XML text.
    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// Number of images that have metadata.
    pub fn image_count(&self) -> u32 {
        self.index.metadata.len() as u32
    }

    /// What the XML says about image `index` (1-based), if anything.
    pub fn image_info(&self, index: u32) -> Option<&ImageInfo> {
        self.images.iter().find(|i| i.index == index)
    }

    /// Resolves an image given by 1-based index or by name.
    pub fn select_image(&self, which: &str) -> WimResult<u32> {
        if let Ok(n) = which.parse::<u32>() {
            if n >= 1 && n <= self.image_count() {
                return Ok(n);
            }
            return Err(WimError::NoSuchImage(format!(
                "{n} (the WIM has {} image{})",
                self.image_count(),
                if self.image_count() == 1 { "" } else { "s" }
            )));
        }
        self.images
            .iter()
            .find(|i| i.name.as_deref() == Some(which))
            .map(|i| i.index)
            .filter(|&i| i >= 1 && i <= self.image_count())
            .ok_or_else(|| WimError::NoSuchImage(format!("named {which:?}")))
    }

    /// The metadata blob of image `index` (1-based).
    pub fn metadata_blob(&self, index: u32) -> WimResult<&BlobInfo> {
        index
            .checked_sub(1)
            .and_then(|i| self.index.metadata.get(i as usize))
            .ok_or_else(|| WimError::NoSuchImage(index.to_string()))
    }

    /// Looks a blob up by hash.
    pub fn blob(&self, hash: &Sha1Hash) -> Option<&BlobInfo> {
        self.index.blobs.get(hash)
    }

    /// Every non-metadata blob.
    pub fn blobs(&self) -> impl Iterator<Item = &BlobInfo> {
        self.index.blobs.values()
    }

    /// The solid resources of every part, in blob-table order.
    pub fn solid_resources(&self) -> &[crate::blob_index::SolidResource] {
        &self.index.solid
    }

    /// A reader for `blob`.
    pub fn reader(&self, blob: &BlobInfo) -> WimResult<BlobReader<'_>> {
        let part = self
            .parts
            .iter()
            .find(|p| p.header.part_number == blob.part)
            .ok_or_else(|| {
                WimError::Unsupported(format!(
                    "blob {} is in part {}, which is not open",
                    blob.hash, blob.part
                ))
            })?;
        BlobReader::blob(&part.ctx, blob, &self.index.solid)
    }

    /// The shared chunk cache.
    pub fn cache(&self) -> &Arc<ChunkCache> {
        &self.parts[0].ctx.cache
    }
}
