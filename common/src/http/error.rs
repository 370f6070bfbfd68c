//! The HTTP source's error type. Messages name the URL (without credentials) and, for a
//! server's answer, the status and the byte range asked for.

use std::io;

/// Why an HTTP source could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The location is not an `http://` or `https://` URL we can use.
    #[error("{url}: {reason}")]
    BadUrl {
        /// The location as given (credentials removed).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A local file the configuration names (CA file, token file, cache directory).
    #[error("{what} {path}: {source}")]
    Local {
        /// What the file is for.
        what: &'static str,
        /// Its path.
        path: String,
        /// The error.
        source: io::Error,
    },
    /// The server answers range requests with the whole object (status 200) or not at all.
    #[error(
        "{url}: the server does not support range requests ({detail}); download the file instead"
    )]
    NoRangeSupport {
        /// The URL.
        url: String,
        /// What the server answered.
        detail: String,
    },
    /// The server answered with a status we cannot use.
    #[error("{url}: {detail}")]
    Status {
        /// The URL.
        url: String,
        /// Status and context.
        detail: String,
    },
    /// The connection failed, and kept failing until the time allowed ran out.
    #[error("{url}: {detail}")]
    Transport {
        /// The URL.
        url: String,
        /// The last failure.
        detail: String,
    },
    /// The object changed on the server since it was opened (or the server's answer does not
    /// match the pinned version).
    #[error("{url}: the file changed on the server since it was opened ({detail})")]
    Changed {
        /// The URL.
        url: String,
        /// Which validator differs.
        detail: String,
    },
}

impl HttpError {
    /// As an I/O error (reads answer `EIO`: no raw OS error is attached).
    pub fn into_io(self) -> io::Error {
        io::Error::other(self.to_string())
    }
}
