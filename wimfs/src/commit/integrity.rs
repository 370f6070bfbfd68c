//! Writing an integrity table for the committed WIM, reusing the old table's digests for the
//! full chunks the commit did not touch (it only appends, so bytes before the old end of the
//! file never change).

use std::fs::File;

use sha1::{Digest, Sha1};

use crate::error::{WimError, WimResult};
use crate::format::header::HEADER_SIZE;
use crate::format::integrity::IntegrityTable;
use crate::format::Sha1Hash;

/// Chunk size wimlib writes.
const DEFAULT_CHUNK: u32 = 10 * 1024 * 1024;

/// Builds the table covering `[208, end)` of `file`. `old` is the previous table with the
/// number of bytes it covered.
pub fn build(
    file: &File,
    end: u64,
    old: Option<(&IntegrityTable, u64)>,
    progress: &mut dyn FnMut(u64, u64),
) -> WimResult<Vec<u8>> {
    let chunk = old
        .map(|(t, _)| t.chunk_size)
        .filter(|&c| (4096..=128 << 20).contains(&c))
        .unwrap_or(DEFAULT_CHUNK);
    let checked = end.saturating_sub(HEADER_SIZE as u64);
    let count = checked.div_ceil(u64::from(chunk));
    if count > u64::from((u32::MAX - 12) / 20) {
        return Err(WimError::Unsupported(
            "WIM too large for an integrity table".into(),
        ));
    }
    let mut digests = Vec::with_capacity(count as usize);
    let mut buf = vec![0u8; chunk as usize];
    for i in 0..count {
        let start = HEADER_SIZE as u64 + i * u64::from(chunk);
        let len = (HEADER_SIZE as u64 + checked - start).min(u64::from(chunk));
        let reusable = old.and_then(|(t, old_checked)| {
            (t.chunk_size == chunk && (i + 1) * u64::from(chunk) <= old_checked)
                .then(|| t.digests.get(i as usize))
                .flatten()
        });
        match reusable {
            Some(d) => digests.push(*d),
            None => {
                let b = &mut buf[..len as usize];
                common::io::read_exact_at(file, start, b).map_err(|e| {
                    WimError::io(
                        format!("reading bytes {start}.. for the integrity table"),
                        e,
                    )
                })?;
                digests.push(Sha1Hash(Sha1::digest(b).into()));
            }
        }
        progress(start + len - HEADER_SIZE as u64, checked);
    }
    IntegrityTable {
        chunk_size: chunk,
        digests,
    }
    .to_bytes()
}
