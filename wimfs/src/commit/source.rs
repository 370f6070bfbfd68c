//! What a commit reads: the WIM, the index of the image being replaced, the tree to write (a
//! snapshot the caller took) and the staging directory holding changed streams' data. The
//! commit never sees the mounted filesystem, only these.

use crate::error::{WimError, WimResult};
use crate::inode::Content;
use crate::staging::Staging;
use crate::tree::ImageTree;
use crate::wim::WimFile;

/// The inputs of a commit.
#[derive(Debug, Clone, Copy)]
pub struct CommitSource<'a> {
    /// The WIM to commit into (its file is reopened for writing).
    pub wim: &'a WimFile,
    /// The image (1-based) whose new version `tree` is.
    pub image: u32,
    /// The tree to write.
    pub tree: &'a ImageTree,
    /// Where staged streams' data lives (None: nothing was staged).
    pub staging: Option<&'a Staging>,
}

impl CommitSource<'_> {
    /// Reads up to `buf.len()` bytes of `content` at `offset`, wherever it is now (a blob of
    /// the WIM, inline, or a staging file); returns the count.
    pub fn read(&self, content: &Content, offset: u64, buf: &mut [u8]) -> WimResult<usize> {
        let failed = |e: &dyn std::fmt::Display| {
            WimError::Unsupported(format!("reading a staged stream: {e}"))
        };
        match content {
            Content::Blob(s) => {
                if s.hash.is_zero() || offset >= s.size {
                    return Ok(0);
                }
                let blob = self.wim.blob(&s.hash).ok_or_else(|| {
                    failed(&format!("blob {} is not in the WIM's blob table", s.hash))
                })?;
                self.wim
                    .reader(blob)
                    .and_then(|r| r.read_at(offset, buf))
                    .map_err(|e| failed(&e))
            }
            Content::Inline(data) => Ok(common::io::copy_at(data, offset, buf)),
            Content::Staged { id, size } => {
                if offset >= *size {
                    return Ok(0);
                }
                let want = buf.len().min((*size - offset) as usize);
                let staging = self
                    .staging
                    .ok_or_else(|| failed(&"no staging directory holds it"))?;
                let n = staging
                    .read(*id, offset, &mut buf[..want])
                    .map_err(|e| failed(&e))?;
                // A staging file shorter than recorded (sparse extension) reads as zeros.
                buf[n..want].fill(0);
                Ok(want)
            }
        }
    }
}
