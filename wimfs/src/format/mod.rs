//! On-disk WIM structures: bytes in, validated structs out. One structure per file.
//!
//! References: Microsoft, "Windows Imaging File Format (WIM)" (2007), and wimlib's
//! `include/wimlib/{header,resource,blob_table,dentry,security,tagged_items,xattr,reparse}.h`,
//! the most complete public description of the format.

pub mod blob_table;
pub mod bytes;
pub mod chunk_table;
pub mod dentry;
pub mod filetime;
pub mod header;
pub mod integrity;
pub mod reparse;
pub mod reshdr;
pub mod security;
pub mod solid_header;
pub mod tagged;
pub mod xml;

pub use blob_table::{BlobEntry, Sha1Hash};
pub use dentry::{DentryRecord, StreamRecord};
pub use header::{Compression, WimHeader};
pub use reshdr::ResourceHeader;
