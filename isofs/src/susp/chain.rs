//! Following a System Use area through its "CE" continuation areas (IEEE P1281 5.1), with loop
//! protection: a chain may name each area once and hold at most [`MAX_CONTINUATIONS`] areas of
//! at most one logical block each.

use std::collections::HashSet;

use crate::error::{IsoError, IsoResult};
use crate::susp::entry::{parse_area, SuspEntry};

/// How many continuation areas one record may chain.
pub const MAX_CONTINUATIONS: usize = 64;

/// Collects every entry of a record's System Use area and its continuations. `read(offset,
/// len)` reads image bytes; `block_size` is the logical block size; `skip` is the SP entry's
/// LEN_SKP (applied to the record's own area only).
pub fn collect(
    area: &[u8],
    area_offset: u64,
    skip: usize,
    block_size: u32,
    read: &mut dyn FnMut(u64, usize) -> IsoResult<Vec<u8>>,
) -> IsoResult<Vec<SuspEntry>> {
    let mut out = Vec::new();
    let own = area.get(skip..).unwrap_or_default();
    let mut next = parse_area(own, area_offset + skip as u64, &mut out)?;
    let mut seen = HashSet::new();
    while let Some(ce) = next {
        let at = u64::from(ce.block)
            .checked_mul(block_size.into())
            .and_then(|b| b.checked_add(ce.offset.into()))
            .ok_or_else(|| IsoError::invalid("SUSP CE entry", area_offset, "offset overflows"))?;
        if ce.len == 0 {
            break;
        }
        if ce
            .offset
            .checked_add(ce.len)
            .is_none_or(|end| end > block_size)
        {
            return Err(IsoError::invalid(
                "SUSP CE entry",
                area_offset,
                format!(
                    "continuation area {}+{} crosses its {block_size}-byte block",
                    ce.offset, ce.len
                ),
            ));
        }
        if !seen.insert(at) {
            return Err(IsoError::invalid(
                "SUSP CE entry",
                at,
                "continuation areas form a loop",
            ));
        }
        if seen.len() > MAX_CONTINUATIONS {
            return Err(IsoError::limit(
                "SUSP continuation areas",
                area_offset,
                MAX_CONTINUATIONS as u64,
            ));
        }
        let bytes = read(at, ce.len as usize)?;
        next = parse_area(&bytes, at, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::susp::entry::tests::{ce, entry};

    fn reader(image: Vec<u8>) -> impl FnMut(u64, usize) -> IsoResult<Vec<u8>> {
        move |off, len| {
            let off = off as usize;
            image
                .get(off..off + len)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| IsoError::invalid("test", off as u64, "past end"))
        }
    }

    #[test]
    fn follows_a_chain() {
        let mut image = vec![0u8; 4096];
        let second = entry(b"NM", b"\0def");
        image[2048 + 16..2048 + 16 + second.len()].copy_from_slice(&second);
        let mut area = entry(b"NM", b"\x01abc");
        area.extend(ce(1, 16, second.len() as u32));
        let got = collect(&area, 0, 0, 2048, &mut reader(image)).expect("valid");
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].offset, 2048 + 16);
    }

    #[test]
    fn a_loop_is_an_error_not_a_hang() {
        let mut image = vec![0u8; 4096];
        let looping = ce(1, 0, 28);
        image[2048..2048 + looping.len()].copy_from_slice(&looping);
        let area = ce(1, 0, 28);
        let e = collect(&area, 0, 0, 2048, &mut reader(image)).expect_err("loop");
        assert!(e.to_string().contains("loop"), "{e}");
    }
}
