//! Windows Imaging Format (WIM) support: on-disk structures ([`format`]), the XPRESS / LZX / LZMS
//! codecs ([`compress`]), resources read chunk by chunk through the shared cache ([`resource`]),
//! the image model ([`image`]) and its backend-neutral filesystem view ([`vfs`]).
//!
//! The format is described by Microsoft's "Windows Imaging File Format (WIM)" paper and, most
//! completely, by wimlib's documentation and headers; section references in each module point
//! there.

pub mod compress;
pub mod error;
pub mod format;

pub use error::{WimError, WimResult};
