//! The XPRESS symbol loop for the bulk of a block: while 8 bytes of whole words are left, the
//! bit buffer is refilled from a word-swapped copy of the input ([`crate::words`]) with one
//! big-endian load (56..=63 bits, no branch), enough for three symbols of at most 15 bits
//! ([MS-XCA] 2.2.4), and again before the offset bits of a match if fewer than 16 are left (a
//! refill makes the next lookup wait for its load). Extra length bytes, the end of the input
//! and the end of the block are left to the careful loop of [`super::decode`], which reads
//! whole words as the reference decoder does: the state is converted to its word-by-word
//! form ([`to_words`]) for it and back.

use super::bits::Bits;
use super::match_decode::decode_match;
use super::Table;
use super::MIN_MATCH;
use crate::huffman::decode::{entry_len, entry_sym};
use crate::lzcopy::copy_match;
use crate::DecodeError;

/// Word-swapped copies of the input for words starting at even and at odd positions (extra
/// length bytes may shift the words to odd positions), made when first needed.
#[derive(Debug, Default)]
pub(super) struct Swapped {
    copies: [Vec<u8>; 2],
    made: [bool; 2],
}

impl Swapped {
    /// Forgets the copies (a new input).
    pub(super) fn forget(&mut self) {
        self.made = [false; 2];
    }

    /// The copy of `data` for words starting at positions of parity `p`, up to the end of the
    /// last whole word.
    fn get(&mut self, data: &[u8], p: usize) -> &[u8] {
        let copy = &mut self.copies[p];
        if !self.made[p] {
            let end = p + (data.len().saturating_sub(p) & !1);
            // Every byte is overwritten below: only a grown tail gets zeroed first.
            copy.resize(end.min(data.len()), 0);
            if end > p {
                copy[..p].copy_from_slice(&data[..p]);
                crate::words::swap_pairs(&data[p..end], &mut copy[p..end]);
            }
            self.made[p] = true;
        }
        copy
    }
}

/// The word-by-word state equal to the byte-wise one: `bpos` the next byte to load, `count`
/// bits buffered (the bits below them are the next bytes of the stream), words starting at
/// positions of parity `p`.
fn to_words(data: &[u8], p: usize, bpos: usize, buf: u64, count: u32) -> Bits<'_> {
    let (pos, nbits) = if (bpos ^ p) & 1 == 0 {
        (bpos, count)
    } else if count >= 8 {
        // The first byte of a word is buffered: give it back.
        (bpos - 1, count - 8)
    } else {
        // Part of that byte is consumed: the whole word counts as loaded.
        (bpos + 1, count + 8)
    };
    Bits {
        data,
        pos,
        buf: buf & !(u64::MAX >> nbits),
        nbits,
        pad: 0,
    }
}

/// The common extra length: one byte other than 0xFF, read where the reference decoder reads
/// it (after the words it has loaded, 16..=31 bits of them unconsumed: [`Bits::sync`]), when
/// those words are already buffered. Returns the stream after the byte and the match length.
#[inline(always)]
fn one_length_byte(mut w: Bits<'_>) -> Option<(Bits<'_>, usize)> {
    if w.nbits < 16 {
        return None;
    }
    while w.nbits >= 32 {
        w.nbits -= 16;
        w.pos -= 2;
    }
    w.buf &= !(u64::MAX >> w.nbits);
    let b = *w.data.get(w.pos)?;
    if b == 0xFF {
        return None;
    }
    w.pos += 1;
    Some((w, 0xF + usize::from(b) + MIN_MATCH))
}

/// Decodes symbols from `bits` until `block_end`, the end of the whole words of the input
/// (8 bytes before), or padding. Returns the stream and the output position.
pub(super) fn fast_loop<'a>(
    table: &Table,
    swapped: &mut Swapped,
    mut bits: Bits<'a>,
    output: &mut [u8],
    mut out_pos: usize,
    block_end: usize,
) -> Result<(Bits<'a>, usize), DecodeError> {
    let data = bits.data;
    // (A no-op that tells the optimizer that `out_pos < block_end` bounds the literal writes.)
    let block_end = block_end.min(output.len());
    'segment: while bits.pad == 0 && out_pos < block_end {
        let p = bits.pos & 1;
        let words = swapped.get(data, p);
        let (mut bpos, mut buf, mut count) = (bits.pos, bits.buf, bits.nbits);
        let err = |bpos, buf, count, reason| to_words(data, p, bpos, buf, count).err(reason);
        while out_pos < block_end {
            let Some(bytes) = words.get(bpos..bpos.wrapping_add(8)) else {
                break;
            };
            let mut be = [0u8; 8];
            be.copy_from_slice(bytes);
            let fill = u64::from_be_bytes(be) >> count;
            bpos += ((63 - count) >> 3) as usize;
            // With a whole codeword still buffered, the first lookup does not wait for the
            // refill's load.
            let mut entry;
            if count >= 15 {
                entry = table.lookup(buf);
                buf |= fill;
            } else {
                buf |= fill;
                entry = table.lookup(buf);
            }
            count |= 56;
            let mut len = entry_len(entry);
            buf <<= len;
            count -= len;
            if entry_sym(entry) < 256 {
                // `out_pos < block_end <= output.len()`.
                if let Some(b) = output.get_mut(out_pos) {
                    *b = entry_sym(entry) as u8;
                }
                out_pos += 1;
                if out_pos >= block_end {
                    break;
                }
                entry = table.lookup(buf);
                len = entry_len(entry);
                buf <<= len;
                count -= len;
                if entry_sym(entry) < 256 {
                    if let Some(b) = output.get_mut(out_pos) {
                        *b = entry_sym(entry) as u8;
                    }
                    out_pos += 1;
                    if out_pos >= block_end {
                        break;
                    }
                    entry = table.lookup(buf);
                    len = entry_len(entry);
                    buf <<= len;
                    count -= len;
                    if entry_sym(entry) < 256 {
                        if let Some(b) = output.get_mut(out_pos) {
                            *b = entry_sym(entry) as u8;
                        }
                        out_pos += 1;
                        continue;
                    }
                }
            }
            let header = entry_sym(entry) - 256;
            if header >= 256 {
                // Complete codes (the only ones accepted) have no invalid entries.
                return Err(err(bpos, buf, count, "bad decode table"));
            }
            // Top up for the offset bits (after three symbols, 11 bits may be left), only
            // when needed: the refill's load waits for the symbols' lengths, and the next
            // lookup for the refill.
            if count < 16 {
                let Some(bytes) = words.get(bpos..bpos.wrapping_add(8)) else {
                    let words_state = to_words(data, p, bpos, buf, count);
                    (bits, out_pos) = decode_match(words_state, output, out_pos, 256 + header)?;
                    continue 'segment;
                };
                let mut be = [0u8; 8];
                be.copy_from_slice(bytes);
                buf |= u64::from_be_bytes(be) >> count;
                bpos += ((63 - count) >> 3) as usize;
                count |= 56;
            }
            if header & 0xF == 0xF {
                // Extra length bytes, at the word-by-word position: one byte inline, the rest
                // (and positions needing one more word) out of line.
                let words_state = to_words(data, p, bpos, buf, count);
                let Some((mut w, length)) = one_length_byte(words_state) else {
                    (bits, out_pos) = decode_match(words_state, output, out_pos, 256 + header)?;
                    continue 'segment;
                };
                let log2_offset = (header >> 4) as u32;
                let offset = (1usize << log2_offset) | w.pop(log2_offset) as usize;
                if offset > out_pos {
                    return Err(w.err("match offset points before the start of the output"));
                }
                if length > output.len() - out_pos {
                    return Err(w.err("match runs past the end of the output"));
                }
                copy_match(output, out_pos, offset, length);
                out_pos += length;
                bits = w;
                continue 'segment;
            }
            let log2_offset = (header >> 4) as u32;
            let length = (header & 0xF) + MIN_MATCH;
            // Two shifts so that 0 bits gives 0.
            let offset = (1usize << log2_offset) | ((buf >> 1) >> (63 - log2_offset)) as usize;
            buf <<= log2_offset;
            count -= log2_offset;
            if offset > out_pos {
                let e = "match offset points before the start of the output";
                return Err(err(bpos, buf, count, e));
            }
            if length > output.len() - out_pos {
                let e = "match runs past the end of the output";
                return Err(err(bpos, buf, count, e));
            }
            copy_match(output, out_pos, offset, length);
            out_pos += length;
        }
        return Ok((to_words(data, p, bpos, buf, count), out_pos));
    }
    Ok((bits, out_pos))
}
