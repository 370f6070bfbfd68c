//! The isofs error type, and its one mapping to [`common::vfs::VfsError`].
//!
//! Rules: every variant that blames the image names the on-disk structure and the absolute byte
//! offset in the image where it was read; "corrupt" without that context does not exist here.
//! Host I/O failures keep the host's error and say what was being read.

use std::io;

use common::vfs::VfsError;

/// Errors from reading an ISO 9660 / UDF image.
#[derive(Debug, thiserror::Error)]
pub enum IsoError {
    /// The host could not read the image.
    #[error("{context}: {source}")]
    Io {
        /// What was being read.
        context: String,
        /// The host's error.
        source: io::Error,
    },
    /// A structure of the image is invalid.
    #[error("invalid {structure} at byte {offset}: {detail}")]
    Invalid {
        /// The structure's name (e.g. "directory record", "UDF file entry").
        structure: &'static str,
        /// Absolute byte offset in the image.
        offset: u64,
        /// What is wrong, with expected and actual values.
        detail: String,
    },
    /// A limit that protects us from hostile images was exceeded.
    #[error("{what} at byte {offset} exceeds the limit of {limit}")]
    Limit {
        /// What was counted (e.g. "continuation areas", "directory size").
        what: &'static str,
        /// Where the offending structure is.
        offset: u64,
        /// The limit.
        limit: u64,
    },
    /// Compressed (zisofs) data failed to decode.
    #[error("zisofs block {block} of the file at byte {offset} does not decode: {detail}")]
    Decompress {
        /// Byte offset of the compressed file in the image.
        offset: u64,
        /// Block index.
        block: u64,
        /// The decoder's reason.
        detail: String,
    },
    /// The file holds no ISO 9660 or UDF volume we recognize.
    #[error("not an ISO 9660 or UDF image: {0}")]
    NotAnImage(String),
    /// The requested directory tree is not in the image.
    #[error("the image has no {0} tree")]
    NoSuchTree(&'static str),
    /// A feature the image uses that we do not support.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// Result alias.
pub type IsoResult<T> = Result<T, IsoError>;

impl IsoError {
    /// Shorthand for [`IsoError::Invalid`].
    pub fn invalid(structure: &'static str, offset: u64, detail: impl Into<String>) -> Self {
        IsoError::Invalid {
            structure,
            offset,
            detail: detail.into(),
        }
    }

    /// Shorthand for [`IsoError::Io`].
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        IsoError::Io {
            context: context.into(),
            source,
        }
    }

    /// Shorthand for [`IsoError::Limit`].
    pub fn limit(what: &'static str, offset: u64, limit: u64) -> Self {
        IsoError::Limit {
            what,
            offset,
            limit,
        }
    }
}

impl From<common::fields::FieldError> for IsoError {
    fn from(e: common::fields::FieldError) -> Self {
        IsoError::invalid(e.structure, e.offset, e.detail())
    }
}

impl From<IsoError> for VfsError {
    fn from(e: IsoError) -> Self {
        match e {
            IsoError::Io { context, source } => VfsError::Io { context, source },
            IsoError::Unsupported(s) => VfsError::Unsupported(s),
            other => VfsError::Corrupt(other.to_string()),
        }
    }
}
