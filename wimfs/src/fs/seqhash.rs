//! Verifying a large blob's SHA-1 while a handle reads it through in order.

use sha1::{Digest, Sha1};

use crate::format::Sha1Hash;
use crate::inode::StreamRef;

/// Largest gap the check fills in by reading ahead itself (out-of-order readahead).
pub const MAX_HASH_GAP: u64 = 16 << 20;

/// Hash state of one open file.
#[derive(Debug)]
pub struct SequentialHash {
    /// The blob being read.
    pub stream: StreamRef,
    /// Bytes hashed so far (from 0).
    pub next: u64,
    /// The running hash.
    pub hasher: Sha1,
    /// Done (verified, failed or given up on random access).
    pub finished: bool,
    /// Done, and the data did not match the blob's SHA-1: every later read through this state
    /// fails too (another reader of the same inode may hold it: the kernel and the hand-over
    /// of files ahead, `common::files_ahead`, both read without a handle).
    pub failed: bool,
}

impl SequentialHash {
    /// Starts hashing `stream`.
    pub fn new(stream: StreamRef) -> Self {
        Self {
            stream,
            next: 0,
            hasher: Sha1::new(),
            finished: false,
            failed: false,
        }
    }
}

/// How a read's bytes went into the check.
#[derive(Debug, PartialEq, Eq)]
pub enum Fed {
    /// Still hashing (the bytes may be served; the check ends with the blob's last byte).
    Going,
    /// The check is over: verified, or given up on (random access).
    Over,
    /// The blob's bytes do not match its SHA-1 (now, or at an earlier read through this
    /// state): the read must fail.
    Mismatch(Sha1Hash),
}

impl SequentialHash {
    /// Takes in the `data` a read found at `offset`; a gap of at most [`MAX_HASH_GAP`] since the
    /// last read is read with `fill_gap(from, buf)` (which returns the bytes it read).
    pub fn feed<E>(
        &mut self,
        offset: u64,
        data: &[u8],
        fill_gap: impl FnOnce(u64, &mut [u8]) -> Result<usize, E>,
    ) -> Result<Fed, E> {
        if self.failed {
            return Ok(Fed::Mismatch(self.stream.hash));
        }
        let end = offset.saturating_add(data.len() as u64);
        if self.finished || end <= self.next {
            return Ok(if self.finished { Fed::Over } else { Fed::Going });
        }
        if offset > self.next {
            // A first read not at 0 is random access: filling the gap from 0 would decode
            // what was never asked for (a whole solid chunk, megabytes of a big file).
            if self.next == 0 || offset - self.next > MAX_HASH_GAP {
                self.finished = true;
                return Ok(Fed::Over);
            }
            let mut gap = vec![0u8; (offset - self.next) as usize];
            let n = fill_gap(self.next, &mut gap)?;
            self.hasher.update(&gap[..n.min(gap.len())]);
            self.next = self.next.saturating_add(n as u64);
        }
        let skip = usize::try_from(self.next.saturating_sub(offset)).unwrap_or(usize::MAX);
        self.hasher.update(data.get(skip..).unwrap_or(&[]));
        self.next = end;
        if self.next < self.stream.size {
            return Ok(Fed::Going);
        }
        self.finished = true;
        let actual = Sha1Hash(std::mem::take(&mut self.hasher).finalize().into());
        if actual != self.stream.hash {
            self.failed = true;
            return Ok(Fed::Mismatch(actual));
        }
        Ok(Fed::Over)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_for(data: &[u8]) -> SequentialHash {
        SequentialHash::new(StreamRef {
            hash: Sha1Hash(Sha1::digest(data).into()),
            size: data.len() as u64,
            missing: false,
        })
    }

    fn no_gap(_: u64, _: &mut [u8]) -> Result<usize, ()> {
        panic!("no gap to fill")
    }

    #[test]
    fn data_read_in_order_is_verified() {
        let data = b"hello, world";
        let mut st = state_for(data);
        assert_eq!(st.feed(0, &data[..5], no_gap), Ok(Fed::Going));
        assert_eq!(st.feed(5, &data[5..], no_gap), Ok(Fed::Over));
    }

    #[test]
    fn a_mismatch_fails_every_later_read_through_the_state() {
        let data = b"hello, world";
        let mut st = state_for(data);
        let damaged = b"hello, World";
        // Two readers of one inode: the first reads it all and finds the mismatch...
        assert!(matches!(st.feed(0, damaged, no_gap), Ok(Fed::Mismatch(_))));
        // ...the second, which took the state before, must fail too, for any part.
        assert!(matches!(st.feed(0, damaged, no_gap), Ok(Fed::Mismatch(_))));
        assert!(matches!(
            st.feed(5, &damaged[5..], no_gap),
            Ok(Fed::Mismatch(_))
        ));
    }

    #[test]
    fn a_gap_is_filled_and_random_access_gives_up() {
        let data = b"0123456789";
        let mut st = state_for(data);
        assert_eq!(st.feed(0, &data[..2], no_gap), Ok(Fed::Going));
        let fill = |from: u64, buf: &mut [u8]| -> Result<usize, ()> {
            let from = from as usize;
            buf.copy_from_slice(&data[from..from + buf.len()]);
            Ok(buf.len())
        };
        assert_eq!(st.feed(5, &data[5..], fill), Ok(Fed::Over));
        let mut random = state_for(data);
        assert_eq!(random.feed(4, &data[4..], no_gap), Ok(Fed::Over));
    }
}
