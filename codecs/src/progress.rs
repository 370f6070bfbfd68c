//! How far a long decode has come, for callers that decode big chunks (LZMS solid chunks of
//! up to 64 MiB) into memory they want to give back while the decoder runs: the pages of a
//! file mapping the decoder is done with, or no longer needs soon.
//!
//! A report is only a hint about where the decoder's accesses are: it never changes what is
//! decoded, and a caller that drops pages of a file mapping loses nothing (a later access
//! maps the same bytes again).

use std::ops::Range;

/// Output bytes between two reports, about.
pub const PROGRESS_STEP: usize = 16 << 10;

/// One report of a decode in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// False while items are decoded (matches may still read any output byte before
    /// `output`, far back ones rarely); true during the second pass over the output (the
    /// LZMS x86 filter), which never touches bytes before `output` again.
    pub final_pass: bool,
    /// Where the pass is in the output: bytes before it are written.
    pub output: usize,
    /// The part of the input the decoder may still read (its streams read from both ends
    /// towards the middle); the bytes outside are done with.
    pub input_unread: Range<usize>,
}

impl Progress {
    /// Decoding items, at output position `output`.
    pub(crate) fn decoding(output: usize, input_unread: Range<usize>) -> Self {
        let input_unread = input_unread.start..input_unread.end.max(input_unread.start);
        Self {
            final_pass: false,
            output,
            input_unread,
        }
    }

    /// All `len` bytes decoded, the input done with, the final pass about to start.
    pub(crate) fn decoded(len: usize) -> Self {
        Self {
            final_pass: false,
            output: len,
            input_unread: 0..0,
        }
    }

    /// The final pass at `output`.
    pub(crate) fn filtered(output: usize) -> Self {
        Self {
            final_pass: true,
            output,
            input_unread: 0..0,
        }
    }
}
