//! Reading a stream wherever it is now: in the WIM, in memory, or in the staging directory.

use common::vfs::{VfsError, VfsResult};

use super::mounted_image::WimFs;
use crate::inode::Content;

impl WimFs {
    /// Reads up to `buf.len()` bytes of `content` at `offset`; returns the count.
    pub(super) fn read_content(
        &self,
        content: &Content,
        offset: u64,
        buf: &mut [u8],
    ) -> VfsResult<usize> {
        match content {
            Content::Blob(s) => {
                if s.hash.is_zero() || offset >= s.size {
                    return Ok(0);
                }
                if self.corrupt_blobs.lock().contains(&s.hash) {
                    return Err(VfsError::Corrupt(format!(
                        "blob {} failed its SHA-1 check",
                        s.hash
                    )));
                }
                let wim = self.wim();
                let blob = wim.blob(&s.hash).ok_or_else(|| {
                    VfsError::Corrupt(format!("blob {} is not in the WIM's blob table", s.hash))
                })?;
                Ok(wim.reader(blob)?.read_at(offset, buf)?)
            }
            Content::Inline(data) => Ok(common::io::copy_at(data, offset, buf)),
            Content::Staged { id, size } => {
                if offset >= *size {
                    return Ok(0);
                }
                let want = buf.len().min((*size - offset) as usize);
                let staging = self.staging.as_ref().ok_or(VfsError::ReadOnly)?;
                let n = staging.read(*id, offset, &mut buf[..want])?;
                // A staging file shorter than recorded (sparse extension) reads as zeros.
                buf[n..want].fill(0);
                Ok(want)
            }
        }
    }

    /// Reads a whole small stream (reparse data, xattr values); `limit` bounds it.
    pub(super) fn read_small(&self, content: &Content, limit: u64) -> VfsResult<Vec<u8>> {
        if let Content::Blob(s) = content {
            if s.missing {
                return Err(VfsError::Corrupt(format!(
                    "blob {} is missing from the WIM",
                    s.hash
                )));
            }
        }
        let size = content.size();
        if size > limit {
            return Err(VfsError::TooBig(format!("{size} bytes")));
        }
        let mut v = vec![0u8; size as usize];
        let n = self.read_content(content, 0, &mut v)?;
        v.truncate(n);
        Ok(v)
    }
}
