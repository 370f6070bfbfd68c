//! The base record of a journal rebased by a commit while mounted. A journal begun at mount
//! applies to the image the staging directory's `info` names; after a commit while mounted the
//! journal is replaced (atomically: a new file renamed over it) by one that begins with this
//! record, saying which WIM it now applies to (its fingerprint, as in `info`) and how the
//! mount numbered the inodes of the committed image (see `tree_renumber.rs`), so that a resumed
//! mount rebuilds the mount's tree with the same numbers before it replays the changes after
//! the record. A journal whose base is not the WIM's current fingerprint is never replayed onto
//! it.
//!
//! Payload: opcode 0x80, fingerprint (u32 length + bytes), slot count (u64 LE), map length
//! (u64 LE) and the map (u64 LE each; empty: the loaded numbers stay).

const BASE: u8 = 0x80;

/// What a rebased journal applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalBase {
    /// The fingerprint of the WIM the journal applies to.
    pub fingerprint: String,
    /// Inode slots of the mount's tree.
    pub len: u64,
    /// For each inode of the image as loaded, its number in the mount (empty: unchanged).
    pub map: Vec<u64>,
}

impl JournalBase {
    /// True for a base record's payload.
    pub(super) fn is_base(payload: &[u8]) -> bool {
        payload.first() == Some(&BASE)
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(1 + 4 + self.fingerprint.len() + 16 + 8 * self.map.len());
        v.push(BASE);
        v.extend_from_slice(&(self.fingerprint.len() as u32).to_le_bytes());
        v.extend_from_slice(self.fingerprint.as_bytes());
        v.extend_from_slice(&self.len.to_le_bytes());
        v.extend_from_slice(&(self.map.len() as u64).to_le_bytes());
        for n in &self.map {
            v.extend_from_slice(&n.to_le_bytes());
        }
        v
    }

    pub(super) fn decode(payload: &[u8]) -> Option<Self> {
        let rest = payload.strip_prefix(&[BASE])?;
        let (n, rest) = rest.split_first_chunk::<4>()?;
        let n = u32::from_le_bytes(*n) as usize;
        let fingerprint = String::from_utf8(rest.get(..n)?.to_vec()).ok()?;
        let rest = &rest[n..];
        let (len, rest) = rest.split_first_chunk::<8>()?;
        let (count, rest) = rest.split_first_chunk::<8>()?;
        let count = usize::try_from(u64::from_le_bytes(*count)).ok()?;
        if rest.len() != count.checked_mul(8)? {
            return None;
        }
        let map = rest
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect();
        Some(Self {
            fingerprint,
            len: u64::from_le_bytes(*len),
            map,
        })
    }
}
