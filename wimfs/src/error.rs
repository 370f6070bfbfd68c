//! The wimfs error type. Rules: every variant says which file structure and, where one exists,
//! which byte offset was bad; no variant wraps a bare "corrupt" without that context.

use std::io;

/// Errors from reading or writing a WIM.
#[derive(Debug, thiserror::Error)]
pub enum WimError {
    /// The host could not read or write the file.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The host's error.
        source: io::Error,
    },
    /// A structure of the file is invalid.
    #[error("invalid {structure} at byte {offset}: {detail}")]
    Invalid {
        /// The structure's name (e.g. "WIM header", "blob table entry 7").
        structure: String,
        /// Absolute byte offset in the WIM (or in the decoded metadata resource, as stated).
        offset: u64,
        /// What is wrong, with expected and actual values.
        detail: String,
    },
    /// Compressed data failed to decode.
    #[error("{codec} chunk {chunk} of the resource at byte {offset} does not decode: {detail}")]
    Decompress {
        /// XPRESS, LZX or LZMS.
        codec: &'static str,
        /// Byte offset of the resource in the WIM.
        offset: u64,
        /// Chunk index.
        chunk: u64,
        /// The decoder's reason.
        detail: String,
    },
    /// A blob's data does not match its SHA-1.
    #[error("blob {sha1} (resource at byte {offset}) has SHA-1 {actual}: the data is corrupt")]
    HashMismatch {
        /// The expected SHA-1, hex.
        sha1: String,
        /// Actual SHA-1, hex.
        actual: String,
        /// Byte offset of the resource.
        offset: u64,
    },
    /// A feature the file uses that we do not support (yet).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// An error in a named file (parts of a split WIM, nested images).
    #[error("{file}: {source}")]
    InFile {
        /// The file.
        file: String,
        /// What went wrong in it.
        source: Box<WimError>,
    },
    /// The requested image does not exist.
    #[error("no image {0} in this WIM")]
    NoSuchImage(String),
    /// A name asked for a new image that cannot be used (taken, empty, a number).
    #[error("image name {name:?}: {reason}")]
    ImageName {
        /// The name asked for.
        name: String,
        /// Why it cannot be used.
        reason: String,
    },
}

/// Result alias.
pub type WimResult<T> = Result<T, WimError>;

impl WimError {
    /// Shorthand for [`WimError::Invalid`].
    ///
    /// (A field read past the end of its structure through [`common::fields::Fields`] converts
    /// into this too, with the structure's name and offset.)
    pub fn invalid(structure: impl Into<String>, offset: u64, detail: impl Into<String>) -> Self {
        WimError::Invalid {
            structure: structure.into(),
            offset,
            detail: detail.into(),
        }
    }

    /// Shorthand for [`WimError::Io`].
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        WimError::Io {
            context: context.into(),
            source,
        }
    }
}

impl From<common::fields::FieldError> for WimError {
    fn from(e: common::fields::FieldError) -> Self {
        WimError::invalid(e.structure, e.offset, e.detail())
    }
}
