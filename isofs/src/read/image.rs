//! Reading metadata bytes out of the image: a bounded `Vec` per call, errors naming the
//! structure being read and its offset.

use common::io::ReadAt;

use crate::error::{IsoError, IsoResult};

/// The largest single metadata read (a directory, a descriptor sequence, ...).
pub const MAX_METADATA_READ: u64 = 64 << 20;

/// Reads `len` bytes at image byte `offset` for `structure`.
pub fn read_vec(
    src: &dyn ReadAt,
    offset: u64,
    len: u64,
    structure: &'static str,
) -> IsoResult<Vec<u8>> {
    if len > MAX_METADATA_READ {
        return Err(IsoError::limit(structure, offset, MAX_METADATA_READ));
    }
    let end = offset.checked_add(len);
    if end.is_none_or(|end| end > src.len()) {
        return Err(IsoError::invalid(
            structure,
            offset,
            format!(
                "{len} bytes lie past the end of the image ({} bytes)",
                src.len()
            ),
        ));
    }
    let mut buf = vec![0u8; len as usize];
    src.read_exact_at(offset, &mut buf)
        .map_err(|e| IsoError::io(format!("reading {structure} at byte {offset}"), e))?;
    Ok(buf)
}
