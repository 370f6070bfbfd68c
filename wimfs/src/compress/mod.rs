//! The WIM codecs, written here from their specifications. In a WIM every chunk is compressed on
//! its own: a decoder gets one compressed chunk and the exact size it must decode to.

pub mod lzms;
pub mod lzx;
pub mod xpress;

/// Why a chunk did not decode. The resource reader wraps it into
/// [`crate::WimError::Decompress`] together with the resource offset and chunk index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte position in the compressed input where decoding failed (approximate for bit streams).
    pub input_pos: usize,
    /// What was wrong.
    pub reason: &'static str,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (near input byte {})", self.reason, self.input_pos)
    }
}
