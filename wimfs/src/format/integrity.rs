//! The integrity table: SHA-1 digests of fixed-size chunks of the WIM from the end of the
//! header (byte 208) to the end of the blob table (wimlib `integrity.c`).
//!
//! Layout: size (u32, equals the resource size), entry count (u32), chunk size (u32), then
//! one 20-byte SHA-1 per chunk; the count must be ceil(checked bytes / chunk size).

use super::bytes::u32_at;
use super::Sha1Hash;
use crate::error::{WimError, WimResult};

/// A validated integrity table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityTable {
    /// Bytes each digest covers (the last chunk may be shorter).
    pub chunk_size: u32,
    /// One digest per chunk.
    pub digests: Vec<Sha1Hash>,
}

impl IntegrityTable {
    /// The on-disk bytes (the inverse of [`parse_integrity_table`]); fails when the table
    /// would not fit the format's 32-bit size field.
    pub fn to_bytes(&self) -> WimResult<Vec<u8>> {
        let too_large = || WimError::Unsupported("WIM too large for an integrity table".into());
        let count = u32::try_from(self.digests.len()).map_err(|_| too_large())?;
        let size = count
            .checked_mul(20)
            .and_then(|n| n.checked_add(12))
            .ok_or_else(too_large)?;
        let mut out = Vec::with_capacity(size as usize);
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&self.chunk_size.to_le_bytes());
        for d in &self.digests {
            out.extend_from_slice(&d.0);
        }
        Ok(out)
    }
}

/// Parses the table; `checked_bytes` is the length of the region it covers, `offset` its
/// place in the file (for errors).
pub fn parse_integrity_table(
    buf: &[u8],
    checked_bytes: u64,
    offset: u64,
) -> WimResult<IntegrityTable> {
    let bad = |d: String| WimError::invalid("integrity table", offset, d);
    let (Some(size), Some(count), Some(chunk_size)) =
        (u32_at(buf, 0), u32_at(buf, 4), u32_at(buf, 8))
    else {
        return Err(bad(format!(
            "{} bytes is shorter than its 12-byte header",
            buf.len()
        )));
    };
    if size as usize != buf.len() || u64::from(size) != u64::from(count) * 20 + 12 {
        return Err(bad(format!(
            "size field {size} does not match {count} entries in {} bytes",
            buf.len()
        )));
    }
    if chunk_size == 0 {
        return Err(bad("chunk size is 0".into()));
    }
    let expected = checked_bytes.div_ceil(u64::from(chunk_size));
    if u64::from(count) != expected {
        return Err(bad(format!(
            "{count} entries, but {checked_bytes} checked bytes in {chunk_size}-byte chunks need {expected}"
        )));
    }
    let digests = buf[12..]
        .chunks_exact(20)
        .map(|c| {
            let mut h = [0u8; 20];
            h.copy_from_slice(c);
            Sha1Hash(h)
        })
        .collect();
    Ok(IntegrityTable {
        chunk_size,
        digests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(count: u32, chunk: u32) -> Vec<u8> {
        let mut b = (count * 20 + 12).to_le_bytes().to_vec();
        b.extend_from_slice(&count.to_le_bytes());
        b.extend_from_slice(&chunk.to_le_bytes());
        b.resize((count * 20 + 12) as usize, 0xab);
        b
    }

    #[test]
    fn round_trips() {
        let t = IntegrityTable {
            chunk_size: 100,
            digests: vec![Sha1Hash([1; 20]), Sha1Hash([2; 20]), Sha1Hash([3; 20])],
        };
        let bytes = t.to_bytes().expect("small");
        assert_eq!(parse_integrity_table(&bytes, 201, 0).expect("valid"), t);
    }

    #[test]
    fn counts_must_match_the_covered_region() {
        assert_eq!(
            parse_integrity_table(&table(3, 100), 250, 0)
                .expect("valid")
                .digests
                .len(),
            3
        );
        assert!(parse_integrity_table(&table(3, 100), 400, 0).is_err());
        assert!(parse_integrity_table(&table(3, 0), 0, 0).is_err());
        assert!(parse_integrity_table(&table(3, 100)[..40], 250, 0).is_err());
    }
}
