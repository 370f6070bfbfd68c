//! The rest of an XPRESS match once its symbol is decoded ([MS-XCA] 2.2.4): the extra length
//! bytes, the offset bits and the copy; shared by the fast loop ([`super::fast`]) and the careful
//! one ([`super::decode`]).

use super::bits::Bits;
use super::MIN_MATCH;
use crate::lzcopy::copy_match;
use crate::DecodeError;

/// Decodes the rest of a match whose symbol `sym` (>= 256) was just read: extra length bytes
/// ([MS-XCA] 2.2.4: 1, 3 or 7 bytes at the stream's byte position), the offset bits, then the
/// copy. Returns the stream and the output position after the match.
#[inline(never)]
pub(super) fn decode_match<'a>(
    mut bits: Bits<'a>,
    output: &mut [u8],
    out_pos: usize,
    sym: usize,
) -> Result<(Bits<'a>, usize), DecodeError> {
    let header = sym - 256;
    if header >= 256 {
        return Err(bits.err("bad decode table"));
    }
    let log2_offset = (header >> 4) as u32;
    let mut length = header & 0xF;
    if length == 0xF {
        bits.sync()?;
        let [b] = bits.read_bytes::<1>()?;
        length += usize::from(b);
        if b == 0xFF {
            let v = usize::from(u16::from_le_bytes(bits.read_bytes::<2>()?));
            let v = if v == 0 {
                // Newer revisions of 2.2.4: a zero u16 is followed by a 32-bit length.
                u32::from_le_bytes(bits.read_bytes::<4>()?) as usize
            } else {
                v
            };
            if v < 0xF {
                return Err(bits.err("extended match length below 15"));
            }
            length = v;
        }
    }
    let length = length
        .checked_add(MIN_MATCH)
        .ok_or_else(|| bits.err("match length overflows"))?;
    if bits.nbits < log2_offset {
        bits.refill()?;
    }
    let offset = (1usize << log2_offset) | bits.pop(log2_offset) as usize;
    if offset > out_pos {
        return Err(bits.err("match offset points before the start of the output"));
    }
    if length > output.len() - out_pos {
        return Err(bits.err("match runs past the end of the output"));
    }
    copy_match(output, out_pos, offset, length);
    Ok((bits, out_pos + length))
}
