//! Opening a WIM file: header, blob table, XML data, and the list of images.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use common::cache::ChunkCache;
use common::io::{FileSource, ReadAt};

use crate::error::{WimError, WimResult};
use crate::format::blob_table::parse_blob_table;
use crate::format::header::{WimHeader, HEADER_SIZE};
use crate::format::xml::{parse_images, xml_text, ImageInfo};
use crate::format::{BlobEntry, Sha1Hash};
use crate::resource::{Resource, ResourceContext};

/// Largest blob table we accept (entries are 50 bytes: this is 20 million blobs).
const MAX_BLOB_TABLE: u64 = 1 << 30;
/// Largest XML data we accept.
const MAX_XML: u64 = 64 << 20;

/// An open WIM file.
#[derive(Debug)]
pub struct WimFile {
    name: String,
    header: WimHeader,
    ctx: ResourceContext,
    blobs: HashMap<Sha1Hash, BlobEntry>,
    metadata: Vec<BlobEntry>,
    images: Vec<ImageInfo>,
    xml: String,
}

impl WimFile {
    /// Opens the WIM at `path`, sharing `cache` for decoded chunks.
    pub fn open(path: &Path, cache: Arc<ChunkCache>) -> WimResult<Self> {
        let src = FileSource::open(path)
            .map_err(|e| WimError::io(format!("opening {}", path.display()), e))?;
        Self::from_source(Arc::new(src), path.display().to_string(), cache)
    }

    /// Opens a WIM held by any positional reader (e.g. a byte range inside an ISO).
    pub fn from_source(
        source: Arc<dyn ReadAt>,
        name: String,
        cache: Arc<ChunkCache>,
    ) -> WimResult<Self> {
        let mut head = vec![0u8; HEADER_SIZE.min(source.len() as usize)];
        source
            .read_exact_at(0, &mut head)
            .map_err(|e| WimError::io(format!("reading the header of {name}"), e))?;
        let header = WimHeader::parse(&head)?;
        if header.total_parts > 1 {
            return Err(WimError::Unsupported(format!(
                "{name} is part {} of a {}-part split WIM",
                header.part_number, header.total_parts
            )));
        }
        let ctx = ResourceContext {
            source,
            compression: header.compression,
            chunk_size: header.chunk_size,
            cache,
        };

        let table = Resource::new(&ctx, header.blob_table, None)?.read_all(MAX_BLOB_TABLE)?;
        let entries = parse_blob_table(&table, header.blob_table.offset_in_wim)?;
        let mut blobs = HashMap::with_capacity(entries.len());
        let mut metadata = Vec::new();
        for e in entries {
            if e.reshdr.is_metadata() {
                metadata.push(e);
            } else if !e.hash.is_zero() {
                blobs.entry(e.hash).or_insert(e);
            }
        }
        let (images, xml) = if header.xml_data.size_in_wim == 0 {
            (Vec::new(), String::new())
        } else {
            let bytes = Resource::new(&ctx, header.xml_data, None)?.read_all(MAX_XML)?;
            let text = xml_text(&bytes);
            (parse_images(&text, header.xml_data.offset_in_wim)?, text)
        };
        if metadata.len() != header.image_count as usize {
            return Err(WimError::invalid(
                "blob table",
                header.blob_table.offset_in_wim,
                format!(
                    "it lists {} metadata resources, but the header says {} images",
                    metadata.len(),
                    header.image_count
                ),
            ));
        }
        Ok(Self {
            name,
            header,
            ctx,
            blobs,
            metadata,
            images,
            xml,
        })
    }

    /// The file name used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The header.
    pub fn header(&self) -> &WimHeader {
        &self.header
    }

    /// The raw XML text.
    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// Number of images.
    pub fn image_count(&self) -> u32 {
        self.header.image_count
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

    /// The metadata resource's blob entry of image `index` (1-based).
    pub fn metadata_entry(&self, index: u32) -> WimResult<&BlobEntry> {
        index
            .checked_sub(1)
            .and_then(|i| self.metadata.get(i as usize))
            .ok_or_else(|| WimError::NoSuchImage(index.to_string()))
    }

    /// Looks a blob up by hash.
    pub fn blob(&self, hash: &Sha1Hash) -> Option<&BlobEntry> {
        self.blobs.get(hash)
    }

    /// Every non-metadata blob.
    pub fn blobs(&self) -> impl Iterator<Item = &BlobEntry> {
        self.blobs.values()
    }

    /// A reader for blob `entry`.
    pub fn resource(&self, entry: &BlobEntry) -> WimResult<Resource<'_>> {
        Resource::new(&self.ctx, entry.reshdr, Some(entry.hash))
    }

    /// The shared chunk cache.
    pub fn cache(&self) -> &Arc<ChunkCache> {
        &self.ctx.cache
    }
}
