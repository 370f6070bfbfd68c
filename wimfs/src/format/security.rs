//! The security data at the start of each metadata resource: the image's table of
//! self-relative Windows security descriptors (wimlib `struct wim_security_data_disk`).
//!
//! Layout: total length (u32, padded to 8; 0 means 8), entry count (u32), one u64 size per
//! entry, then the descriptors back to back. The dentry tree starts at the padded total length.

use std::ops::Range;

use super::bytes::{align8, u32_at, u64_at};
use crate::error::{WimError, WimResult};

/// The security table of one image: byte ranges into the metadata buffer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityData {
    /// Where each descriptor lies in the metadata resource.
    pub descriptors: Vec<Range<usize>>,
    /// Offset of the root dentry (the padded total length).
    pub root_offset: u64,
}

fn bad(offset: u64, detail: String) -> WimError {
    WimError::invalid("security data (metadata resource)", offset, detail)
}

/// Parses the security data from a decoded metadata resource.
pub fn parse_security_data(buf: &[u8]) -> WimResult<SecurityData> {
    let total =
        u32_at(buf, 0).ok_or_else(|| bad(0, "metadata resource shorter than 8 bytes".into()))?;
    let count =
        u32_at(buf, 4).ok_or_else(|| bad(4, "metadata resource shorter than 8 bytes".into()))?;
    let total = if total == 0 { 8 } else { u64::from(total) };
    let total = align8(total).ok_or_else(|| bad(0, "length overflows".into()))?;
    if total > buf.len() as u64 {
        return Err(bad(
            0,
            format!(
                "total length {total} exceeds the metadata resource ({} bytes)",
                buf.len()
            ),
        ));
    }
    let sizes_end = 8u64 + u64::from(count) * 8;
    if sizes_end > total {
        return Err(bad(
            4,
            format!("{count} descriptor sizes do not fit in the {total}-byte security data"),
        ));
    }
    let mut descriptors = Vec::with_capacity(count as usize);
    let mut pos = sizes_end;
    for i in 0..count as usize {
        let size_off = 8 + i * 8;
        let size = u64_at(buf, size_off).ok_or_else(|| bad(size_off as u64, "truncated".into()))?;
        let end = pos.checked_add(size).filter(|&e| e <= total).ok_or_else(|| {
            bad(
                size_off as u64,
                format!("descriptor {i} of {size} bytes at {pos} runs past the security data ({total} bytes)"),
            )
        })?;
        descriptors.push(pos as usize..end as usize);
        pos = end;
    }
    Ok(SecurityData {
        descriptors,
        root_offset: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_two_descriptors() {
        let mut b = Vec::new();
        b.extend_from_slice(&40u32.to_le_bytes());
        b.extend_from_slice(&2u32.to_le_bytes());
        b.extend_from_slice(&4u64.to_le_bytes());
        b.extend_from_slice(&8u64.to_le_bytes());
        b.extend_from_slice(&[1; 12]);
        b.resize(48, 0);
        let sd = parse_security_data(&b).expect("valid");
        assert_eq!(sd.descriptors, vec![24..28, 28..36]);
        assert_eq!(sd.root_offset, 40);
    }

    #[test]
    fn zero_length_means_empty_and_oversized_counts_fail() {
        let mut b = vec![0u8; 16];
        assert_eq!(parse_security_data(&b).expect("valid").root_offset, 8);
        b[4] = 0xff;
        b[0] = 16;
        assert!(parse_security_data(&b).is_err());
        assert!(parse_security_data(&[0u8; 4]).is_err());
    }
}
