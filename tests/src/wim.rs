//! Just enough of the WIM format to find where each region of a (wimlib-written, non-solid,
//! single-part) WIM lies: the header, the blob table, the XML data, metadata resources and file
//! data resources. The corruption tests aim their damage with it. Deliberately independent of the
//! wimfs crate: a test must not share the reader's bugs.

use std::fmt;

/// Size of the WIM header.
pub const HEADER_SIZE: u64 = 208;
const BLOB_ENTRY_SIZE: usize = 50;

/// Resource flag: the blob is a metadata resource (an image's directory tree).
pub const RESHDR_FLAG_METADATA: u8 = 0x02;
/// Resource flag: compressed in chunks.
pub const RESHDR_FLAG_COMPRESSED: u8 = 0x04;
/// Resource flag: part of a solid resource.
pub const RESHDR_FLAG_SOLID: u8 = 0x10;

/// A resource header: where a resource lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResHdr {
    /// Bytes it occupies in the WIM.
    pub size_in_wim: u64,
    /// `RESHDR_FLAG_*`.
    pub flags: u8,
    /// Offset in the WIM.
    pub offset: u64,
    /// Size once decompressed.
    pub uncompressed_size: u64,
}

impl ResHdr {
    fn parse(b: &[u8]) -> ResHdr {
        let mut size = [0u8; 8];
        size[..7].copy_from_slice(&b[0..7]);
        ResHdr {
            size_in_wim: u64::from_le_bytes(size),
            flags: b[7],
            offset: u64::from_le_bytes(b[8..16].try_into().expect("8 bytes")),
            uncompressed_size: u64::from_le_bytes(b[16..24].try_into().expect("8 bytes")),
        }
    }

    /// `offset..offset + size_in_wim`.
    pub fn range(&self) -> std::ops::Range<u64> {
        self.offset..self.offset + self.size_in_wim
    }
}

/// One blob table entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// Where its resource is.
    pub reshdr: ResHdr,
    /// Reference count.
    pub refcnt: u32,
    /// SHA-1 of its uncompressed contents.
    pub sha1: [u8; 20],
}

impl Blob {
    /// Is it an image's metadata resource?
    pub fn is_metadata(&self) -> bool {
        self.reshdr.flags & RESHDR_FLAG_METADATA != 0
    }
}

/// Where everything is.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The file's length.
    pub file_len: u64,
    /// Header `flags` field.
    pub flags: u32,
    /// Compression chunk size.
    pub chunk_size: u32,
    /// Number of images.
    pub image_count: u32,
    /// The blob table resource.
    pub blob_table: ResHdr,
    /// The XML data resource.
    pub xml: ResHdr,
    /// The integrity table resource (size 0 when absent).
    pub integrity: ResHdr,
    /// The blob table's entries.
    pub blobs: Vec<Blob>,
}

/// Why a WIM could not be laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutError(pub String);

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Layout {
    /// Reads the header and the (uncompressed) blob table of `wim`.
    pub fn parse(wim: &[u8]) -> Result<Layout, LayoutError> {
        let err = |s: &str| Err(LayoutError(s.to_string()));
        if wim.len() < HEADER_SIZE as usize {
            return err("shorter than a WIM header");
        }
        if &wim[0..8] != b"MSWIM\0\0\0" {
            return err("no MSWIM magic");
        }
        let u32_at = |o: usize| u32::from_le_bytes(wim[o..o + 4].try_into().expect("4 bytes"));
        let flags = u32_at(0x10);
        let chunk_size = u32_at(0x14);
        let image_count = u32_at(0x2C);
        let blob_table = ResHdr::parse(&wim[0x30..0x48]);
        let xml = ResHdr::parse(&wim[0x48..0x60]);
        let integrity = ResHdr::parse(&wim[0x7C..0x94]);
        let bt = blob_table.range();
        if bt.end > wim.len() as u64 {
            return err("blob table beyond the end of the file");
        }
        if blob_table.flags & RESHDR_FLAG_COMPRESSED != 0 {
            return err("compressed blob table (not written by wimlib; unsupported here)");
        }
        let table = &wim[bt.start as usize..bt.end as usize];
        let blobs = table
            .chunks_exact(BLOB_ENTRY_SIZE)
            .map(|e| Blob {
                reshdr: ResHdr::parse(&e[0..24]),
                refcnt: u32::from_le_bytes(e[26..30].try_into().expect("4 bytes")),
                sha1: e[30..50].try_into().expect("20 bytes"),
            })
            .collect();
        Ok(Layout {
            file_len: wim.len() as u64,
            flags,
            chunk_size,
            image_count,
            blob_table,
            xml,
            integrity,
            blobs,
        })
    }

    /// Metadata resources, in blob table order (wimlib writes them in image order).
    pub fn metadata_blobs(&self) -> Vec<&Blob> {
        self.blobs.iter().filter(|b| b.is_metadata()).collect()
    }

    /// File data resources (not metadata), in blob table order.
    pub fn data_blobs(&self) -> Vec<&Blob> {
        self.blobs.iter().filter(|b| !b.is_metadata()).collect()
    }

    /// The blob whose SHA-1 is `sha1`.
    pub fn blob_by_sha1(&self, sha1: &[u8; 20]) -> Option<&Blob> {
        self.blobs.iter().find(|b| &b.sha1 == sha1)
    }

    /// Named regions of the file, for aiming damage: (name, byte range).
    pub fn regions(&self) -> Vec<(String, std::ops::Range<u64>)> {
        let mut r = vec![("header".to_string(), 0..HEADER_SIZE)];
        r.push(("blob table".to_string(), self.blob_table.range()));
        r.push(("XML data".to_string(), self.xml.range()));
        if self.integrity.size_in_wim > 0 {
            r.push(("integrity table".to_string(), self.integrity.range()));
        }
        for (i, b) in self.metadata_blobs().iter().enumerate() {
            r.push((format!("metadata resource {}", i + 1), b.reshdr.range()));
        }
        for (i, b) in self.data_blobs().iter().enumerate() {
            r.push((format!("file data resource {}", i + 1), b.reshdr.range()));
        }
        r.retain(|(_, range)| range.end > range.start);
        r
    }
}

/// Number of entries in the blob table of the WIM at `path` (from its header's blob table
/// size; an entry is 50 bytes).
pub fn blob_table_entries(path: &std::path::Path) -> u64 {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert!(
        bytes.len() >= HEADER_SIZE as usize,
        "{}: shorter than a WIM header",
        path.display()
    );
    let blob_table = ResHdr::parse(&bytes[0x30..0x48]);
    blob_table.uncompressed_size / BLOB_ENTRY_SIZE as u64
}
