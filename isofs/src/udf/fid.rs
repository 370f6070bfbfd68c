//! ECMA-167 4/14.4 File Identifier Descriptor: one directory entry. Characteristics bits:
//! 0 existence (hidden), 1 directory, 2 deleted, 3 parent. Its length is padded to a multiple
//! of four: 38 + implementation use + identifier, rounded up.

use crate::bytes::Fields;
use crate::error::{IsoError, IsoResult};
use crate::udf::cs0;
use crate::udf::icb::LongAd;
use crate::udf::tag::{id, Tag};

/// Characteristics bits.
pub mod characteristics {
    /// Hidden from the user.
    pub const HIDDEN: u8 = 0x01;
    /// A directory.
    pub const DIRECTORY: u8 = 0x02;
    /// Deleted: not served.
    pub const DELETED: u8 = 0x04;
    /// The parent directory entry.
    pub const PARENT: u8 = 0x08;
}

/// A directory entry.
#[derive(Debug, Clone)]
pub struct Fid {
    /// Characteristics.
    pub characteristics: u8,
    /// The entry's ICB.
    pub icb: LongAd,
    /// The decoded name (UTF-8 bytes).
    pub name: Vec<u8>,
    /// The descriptor's padded length.
    pub len: usize,
}

impl Fid {
    /// Parses the FID at the start of `raw` (read at image byte `offset`).
    pub fn parse(raw: &[u8], offset: u64) -> IsoResult<Self> {
        let f = Fields::new(raw, "UDF file identifier descriptor", offset);
        let l_fi = usize::from(f.u8(19)?);
        let l_iu = usize::from(f.le16(36)?);
        let len = (38 + l_iu + l_fi).div_ceil(4) * 4;
        let body = raw.get(..len).ok_or_else(|| {
            IsoError::invalid(
                "UDF file identifier descriptor",
                offset,
                format!("{len} bytes, the directory has {} left", raw.len()),
            )
        })?;
        // The CRC covers exactly the descriptor; check it on the bounded slice.
        let tag = Tag::parse(body, offset)?;
        if tag.id != id::FID {
            return Err(IsoError::invalid(
                "UDF file identifier descriptor",
                offset,
                format!("tag identifier {} (expected 257)", tag.id),
            ));
        }
        Ok(Self {
            characteristics: f.u8(18)?,
            icb: LongAd::parse(f.bytes(20, 16)?, offset + 20)?,
            name: cs0::decode(f.bytes(38 + l_iu, l_fi)?),
            len,
        })
    }
}
