//! Read ISO 9660 images (with Joliet, Rock Ridge, zisofs and El Torito) and UDF images, and
//! serve them through the backend-neutral [`common::vfs::Vfs`] trait.
//!
//! Layers, lowest first, never importing upward:
//! - on-disk format, bytes to validated structs, one structure per file: [`iso9660`],
//!   [`susp`], [`rockridge`], [`zisofs::header`], [`names`];
//! - readers: [`read`] (metadata reads, extents), [`zisofs::reader`] (through the chunk cache);
//! - image model: [`model`] (inodes, trees built from each kind of directory hierarchy),
//!   [`volume`] and [`image`] (recognizing volumes, choosing a tree);
//! - [`vfs`]: `impl common::vfs::Vfs`.
//!
//! Every number read from an image is treated as hostile: checked arithmetic, bounded reads
//! ([`read::image::MAX_METADATA_READ`]), loop limits on continuation chains and directories.

pub mod bytes;
pub mod eltorito;
pub mod error;
#[doc(hidden)]
pub mod harness;
pub mod hybrid;
pub mod image;
pub mod info;
pub mod iso9660;
pub mod model;
pub mod names;
pub mod read;
pub mod rockridge;
pub mod susp;
pub mod udf;
pub mod udf_volume;
pub mod vfs;
pub mod volume;
pub mod zisofs;

pub use error::{IsoError, IsoResult};
pub use image::{OpenOptions, TreeKind};
pub use vfs::IsoFs;
