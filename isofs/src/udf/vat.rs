//! OSTA UDF 2.60 2.2.11: the Virtual Allocation Table of write-once media. UDF 2.00+ stores it
//! as a file of type 248 whose content starts with a header (header length at 0, then the
//! logical volume identifier, previous VAT, counts, revisions) followed by one little-endian
//! u32 per virtual block: the physical block it lives in (0xFFFFFFFF = unused). UDF 1.50 stores
//! the entries first and ends the file with the regid "*UDF Virtual Alloc Tbl" and the
//! previous VAT's location (36 bytes).

use crate::error::{IsoError, IsoResult};

/// ICB file type of a UDF 2.00+ VAT.
pub const VAT_FILE_TYPE: u8 = 248;
/// The regid that ends a UDF 1.50 VAT.
pub const VAT15_ID: &[u8] = b"*UDF Virtual Alloc Tbl";

/// Decodes a VAT file's content (`file_type` from its ICB tag) into its entries.
pub fn parse(content: &[u8], file_type: u8, offset: u64) -> IsoResult<Vec<u32>> {
    let entries = if file_type == VAT_FILE_TYPE {
        let hd = content
            .get(0..2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
            .ok_or_else(|| IsoError::invalid("UDF VAT", offset, "shorter than its header"))?;
        content.get(hd..).ok_or_else(|| {
            IsoError::invalid(
                "UDF VAT",
                offset,
                format!("header length {hd} past the end"),
            )
        })?
    } else {
        let body = content.len().checked_sub(36).ok_or_else(|| {
            IsoError::invalid("UDF 1.50 VAT", offset, "shorter than its trailing regid")
        })?;
        if content.get(body + 1..body + 1 + VAT15_ID.len()) != Some(VAT15_ID) {
            return Err(IsoError::invalid(
                "UDF 1.50 VAT",
                offset,
                "no \"*UDF Virtual Alloc Tbl\" identifier",
            ));
        }
        &content[..body]
    };
    Ok(entries
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vat20_and_vat15() {
        let mut v = vec![0u8; 152];
        v[0..2].copy_from_slice(&152u16.to_le_bytes());
        v.extend(7u32.to_le_bytes());
        v.extend(u32::MAX.to_le_bytes());
        assert_eq!(parse(&v, 248, 0).expect("valid"), vec![7, u32::MAX]);
        let mut v15 = 9u32.to_le_bytes().to_vec();
        let mut id = vec![0u8; 32];
        id[1..1 + VAT15_ID.len()].copy_from_slice(VAT15_ID);
        v15.extend(id);
        v15.extend(0u32.to_le_bytes());
        assert_eq!(parse(&v15, 0, 0).expect("valid"), vec![9]);
        assert!(parse(&[1, 0], 0, 0).is_err());
        assert!(parse(&[200, 0], 248, 0).is_err());
    }
}
