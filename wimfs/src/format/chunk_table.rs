//! The chunk table in front of a compressed resource's chunks (WIM paper section 2.4; wimlib
//! `src/resource.c`).
//!
//! - Non-solid resource: `n - 1` entries (u32, or u64 when the uncompressed size exceeds
//!   4 GiB), the offset of chunks 1..n relative to the end of the table (chunk 0 starts right
//!   after it).
//! - Solid resource: after the 16-byte [`super::solid_header`], `n` u32 entries, the compressed
//!   size of each chunk.
//!
//! Every entry is checked: chunks never run backwards or past the end of the resource.

use crate::error::{WimError, WimResult};
use crate::format::bytes::{u32_at, u64_at};
use crate::format::solid_header::SOLID_HEADER_SIZE;

/// Where a resource's chunk table lies and how to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkTable {
    /// Absolute offset of the table in the WIM.
    pub at: u64,
    /// Bytes per entry (4 or 8).
    pub entry_size: u64,
    /// Number of entries.
    pub entries: u64,
    /// Number of chunks.
    pub chunks: u64,
    /// Absolute end of the resource.
    pub resource_end: u64,
    /// Entries are chunk sizes (solid) rather than offsets.
    pub solid: bool,
}

/// Bytes per entry of a non-solid resource's chunk table.
pub fn entry_size(uncompressed_size: u64) -> u64 {
    if uncompressed_size > u64::from(u32::MAX) {
        8
    } else {
        4
    }
}

impl ChunkTable {
    /// The table of a resource of `size_in_wim` bytes at `offset` holding `chunks` chunks.
    pub fn locate(
        offset: u64,
        size_in_wim: u64,
        uncompressed_size: u64,
        chunks: u64,
        solid: bool,
    ) -> WimResult<Self> {
        let resource_end = offset
            .checked_add(size_in_wim)
            .ok_or_else(|| WimError::invalid("chunk table", offset, "resource end overflows"))?;
        let (at, entry_size, entries) = if solid {
            (offset.saturating_add(SOLID_HEADER_SIZE), 4u64, chunks)
        } else {
            (
                offset,
                entry_size(uncompressed_size),
                chunks.saturating_sub(1),
            )
        };
        let fits = entries
            .checked_mul(entry_size)
            .and_then(|l| at.checked_add(l))
            .is_some_and(|end| end <= resource_end);
        if !fits {
            return Err(WimError::invalid(
                "chunk table",
                offset,
                format!("{chunks} chunks do not fit in a {size_in_wim}-byte resource"),
            ));
        }
        Ok(Self {
            at,
            entry_size,
            entries,
            chunks,
            resource_end,
            solid,
        })
    }

    /// Size of the table in bytes.
    pub fn byte_len(&self) -> u64 {
        self.entries * self.entry_size
    }

    /// The absolute start of every chunk and the end of the last (`chunks + 1` values, as LE
    /// u64 bytes, the form the chunk cache keeps) from the table's bytes.
    pub fn starts(&self, table: &[u8]) -> WimResult<Vec<u8>> {
        let bad = |d: String| WimError::invalid("chunk table", self.at, d);
        let entry = |k: u64| -> Option<u64> {
            let at = usize::try_from(k.checked_mul(self.entry_size)?).ok()?;
            if self.entry_size == 8 {
                u64_at(table, at)
            } else {
                u32_at(table, at).map(u64::from)
            }
        };
        let data_start = self.at + self.byte_len();
        let n = self.chunks;
        let mut starts = Vec::with_capacity(usize::try_from((n + 1) * 8).unwrap_or(0));
        let mut pos = data_start;
        starts.extend_from_slice(&pos.to_le_bytes());
        for i in 0..n {
            let next = if self.solid {
                entry(i).and_then(|e| pos.checked_add(e))
            } else if i + 1 == n {
                Some(self.resource_end)
            } else {
                entry(i).and_then(|e| data_start.checked_add(e))
            };
            match next {
                Some(v) if v >= pos && v <= self.resource_end => pos = v,
                _ => {
                    return Err(bad(format!(
                        "entry for chunk {i} of {n} points outside the resource"
                    )))
                }
            }
            starts.extend_from_slice(&pos.to_le_bytes());
        }
        Ok(starts)
    }
}

/// The on-disk table of a non-solid resource: `offsets` (of chunks 1..n, relative to the end
/// of the table) as entries of `entry_size` bytes.
pub fn encode_offsets(offsets: &[u64], entry_size: u64) -> Vec<u8> {
    let mut table = Vec::with_capacity(offsets.len() * entry_size as usize);
    for &o in offsets {
        if entry_size == 8 {
            table.extend_from_slice(&o.to_le_bytes());
        } else {
            table.extend_from_slice(&(o as u32).to_le_bytes());
        }
    }
    table
}

/// The on-disk table of a solid resource: the compressed size of every chunk.
pub fn encode_sizes(sizes: &[u32]) -> Vec<u8> {
    sizes.iter().flat_map(|s| s.to_le_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts_of(bytes: &[u8]) -> Vec<u64> {
        bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect()
    }

    #[test]
    fn offsets_round_trip() {
        // Three chunks of 10, 20 and 5 compressed bytes at offset 100.
        let table = encode_offsets(&[10, 30], 4);
        let t = ChunkTable::locate(100, 8 + 35, 3 * 32768, 3, false).expect("fits");
        assert_eq!(t.byte_len(), table.len() as u64);
        assert_eq!(
            starts_of(&t.starts(&table).expect("valid")),
            [108, 118, 138, 143]
        );
    }

    #[test]
    fn sizes_round_trip() {
        let table = encode_sizes(&[7, 9]);
        let t = ChunkTable::locate(0, 16 + 8 + 16, 65536, 2, true).expect("fits");
        assert_eq!(starts_of(&t.starts(&table).expect("valid")), [24, 31, 40]);
    }

    #[test]
    fn hostile_entries_fail_with_the_offset() {
        let t = ChunkTable::locate(100, 8 + 35, 3 * 32768, 3, false).expect("fits");
        let e = t
            .starts(&encode_offsets(&[30, 10], 4))
            .expect_err("backwards");
        assert!(e.to_string().contains("100"), "{e}");
        assert!(ChunkTable::locate(0, 4, 1 << 40, 1 << 30, false).is_err());
    }
}
