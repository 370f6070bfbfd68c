//! Windows Imaging Format (WIM) support: on-disk structures ([`format`]), the XPRESS / LZX / LZMS
//! codecs ([`compress`]), resources read chunk by chunk through the shared cache ([`resource`]),
//! the opened file ([`wim`]), the image model (the [`inode`] types, built into an [`ImageTree`]
//! by [`tree`]) and its filesystem view ([`fs`]).
//!
//! The format is described by Microsoft's "Windows Imaging File Format (WIM)" paper and, most
//! completely, by wimlib's documentation and headers; section references in each module point
//! there.

pub mod blob_index;
pub mod change;
pub mod commit;
pub mod compress;
pub mod error;
pub mod format;
pub mod fs;
pub mod inode;
pub mod resource;
pub mod staging;
pub mod tree;
pub mod tree_renumber;
pub mod verify;
pub mod walk;
pub mod wim;
pub mod wim_end;

pub use error::{WimError, WimResult};
pub use fs::{WimFs, WimFsOptions};
pub use tree::ImageTree;
pub use wim::WimFile;
