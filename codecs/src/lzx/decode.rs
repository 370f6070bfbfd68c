//! The LZX decoder for WIM chunks.
//!
//! A chunk is one LZX stream ([MS-PATCH] §2.2) with no header: a sequence of blocks (§2.3),
//! each a 3-bit type and a size that is either the default 32768 (a set flag bit) or explicit,
//! 16 bits for a 32 KiB window and 24 bits for larger ones (wimlib's extension: WIMGAPI only
//! writes 32 KiB chunks). Verbatim and aligned-offset blocks carry their Huffman trees as
//! pretree-coded deltas against the previous block's lengths (§2.4; the lengths start at zero
//! for each chunk), then literals and matches (§2.5). Uncompressed blocks (§2.3.2.1) carry new
//! repeated offsets and raw bytes. The repeated offsets R0..R2 start at 1 for each chunk. At the
//! end the E8 translation is undone over the whole chunk ([`super::e8`]).
//!
//! Every length and offset is checked before use; a match may not reach before the start of
//! the chunk nor past the end of its block, and consuming bits past the end of the input is an
//! error. No input makes this code panic or loop without bound: every loop either writes
//! output (whose size is fixed) or consumes input.

use std::cell::RefCell;

use super::bitread::{swap_words, BitReader};
use super::consts::*;
use super::e8;
use super::pretree::{read_lens, PRE_TABLE_BITS};
use super::symbols::{block_loop, ALIGNED_TABLE_BITS, LEN_TABLE_BITS, MAIN_TABLE_BITS};
use crate::huffman::DecodeTable;
use crate::DecodeError;

/// Longest run a pretree symbol can write (symbol 18: 20 + 31), i.e. how far past the end of a
/// length array a run may spill.
const MAX_RUN: usize = 51;

/// Decodes one LZX chunk into `output`, which must be filled exactly. `output.len()` may be
/// any size up to 2 MiB; the window is derived from `window_size` (the WIM's chunk size).
///
/// Errors: `window_size` of 0 or above 2 MiB, `output` larger than the window (the window is
/// `window_size` rounded up to a power of two, at least 32 KiB), and any invalid or truncated
/// stream. An empty `output` always succeeds.
pub fn decompress(input: &[u8], output: &mut [u8], window_size: usize) -> Result<(), DecodeError> {
    let order = window_order(window_size).ok_or(DecodeError {
        input_pos: 0,
        reason: "LZX window size must be 1..=2 MiB",
    })?;
    if output.len() > 1 << order {
        return Err(DecodeError {
            input_pos: 0,
            reason: "LZX chunk larger than its window",
        });
    }
    if output.is_empty() {
        return Ok(());
    }
    DECODER.with(|d| match d.try_borrow_mut() {
        Ok(mut tables) => decode_with(&mut tables, input, order, output),
        Err(_) => decode_with(&mut Tables::new(), input, order, output),
    })
}

/// [`decompress`] with reusable state.
fn decode_with(
    t: &mut Tables,
    input: &[u8],
    order: u32,
    output: &mut [u8],
) -> Result<(), DecodeError> {
    let mut swapped = std::mem::take(&mut t.swapped);
    swap_words(input, &mut swapped);
    let result = Decoder::new(input, &swapped, order, t).run(output);
    t.swapped = swapped;
    result
}

thread_local! {
    /// Decode tables and length arrays, reused from chunk to chunk (reset for each).
    static DECODER: RefCell<Tables> = RefCell::new(Tables::new());
}

/// The state of one chunk's decoding.
struct Decoder<'a, 't> {
    br: BitReader<'a>,
    order: u32,
    num_main: usize,
    t: &'t mut Tables,
    /// Repeated offsets R0, R1, R2.
    r: [u32; 3],
}

/// The Huffman state that lives from block to block.
struct Tables {
    /// Main-tree lengths, with room for a pretree run to spill past the end (as the format's
    /// reference decoders allow; the spill lands on symbols of the second half or unused ones).
    main_lens: [u8; MAX_MAIN_SYMS + MAX_RUN],
    len_lens: [u8; LEN_SYMS + MAX_RUN],
    main: DecodeTable<MAIN_TABLE_BITS>,
    len: DecodeTable<LEN_TABLE_BITS>,
    aligned: DecodeTable<ALIGNED_TABLE_BITS>,
    pre: DecodeTable<PRE_TABLE_BITS>,
    /// The input with the bytes of each word swapped (see [`swap_words`]).
    swapped: Vec<u8>,
}

impl Tables {
    fn new() -> Self {
        Tables {
            main_lens: [0; MAX_MAIN_SYMS + MAX_RUN],
            len_lens: [0; LEN_SYMS + MAX_RUN],
            main: DecodeTable::new(),
            len: DecodeTable::new(),
            aligned: DecodeTable::new(),
            pre: DecodeTable::new(),
            swapped: Vec::new(),
        }
    }
}

impl<'a, 't> Decoder<'a, 't> {
    fn new(input: &'a [u8], swapped: &'a [u8], order: u32, t: &'t mut Tables) -> Self {
        // The previous lengths start at zero for every chunk.
        t.main_lens.fill(0);
        t.len_lens.fill(0);
        Decoder {
            br: BitReader::new(input, swapped),
            order,
            num_main: num_main_syms(order),
            t,
            r: [1; 3],
        }
    }

    fn err(&self, reason: &'static str) -> DecodeError {
        DecodeError {
            input_pos: self.br.input_pos(),
            reason,
        }
    }

    fn run(&mut self, out: &mut [u8]) -> Result<(), DecodeError> {
        let mut pos = 0usize;
        // E8 bytes can only appear if some block could emit the literal 0xE8 (matches copy
        // earlier output); skipping the scan otherwise is an exact shortcut.
        let mut may_have_e8 = false;
        while pos < out.len() {
            let block_type = self.br.read_bits(3);
            let block_size = if self.br.read_bits(1) == 1 {
                DEFAULT_BLOCK_SIZE
            } else {
                let mut size = self.br.read_bits(16);
                if self.order >= 16 {
                    size = (size << 8) | self.br.read_bits(8);
                }
                size as usize
            };
            if !(BLOCK_VERBATIM..=BLOCK_UNCOMPRESSED).contains(&block_type) {
                return Err(self.err("invalid LZX block type"));
            }
            if block_size > out.len() - pos {
                return Err(self.err("LZX block extends past the end of the chunk"));
            }
            let end = pos + block_size;
            match block_type {
                BLOCK_VERBATIM | BLOCK_ALIGNED => {
                    let aligned = block_type == BLOCK_ALIGNED;
                    self.read_trees(aligned)?;
                    if aligned {
                        self.decode_block::<true>(out, pos, end)?;
                    } else {
                        self.decode_block::<false>(out, pos, end)?;
                    }
                    may_have_e8 |= self.t.main_lens[0xE8] != 0;
                }
                BLOCK_UNCOMPRESSED => {
                    self.copy_uncompressed(&mut out[pos..end])?;
                    may_have_e8 = true;
                }
                _ => return Err(self.err("invalid LZX block type")),
            }
            if self.br.overrun() {
                return Err(self.err("LZX input ends before the chunk is complete"));
            }
            pos = end;
        }
        if may_have_e8 {
            e8::decode(out);
        }
        Ok(())
    }

    /// Reads the trees of a verbatim or aligned block header (§2.3.2.2, §2.3.2.3): the aligned
    /// tree first (3-bit lengths), then the main tree in two pretree-coded parts, then the
    /// length tree.
    fn read_trees(&mut self, aligned: bool) -> Result<(), DecodeError> {
        if aligned {
            let mut lens = [0u8; ALIGNED_SYMS];
            for l in &mut lens {
                *l = self.br.read_bits(3) as u8;
            }
            let r = self.t.aligned.build(&lens, MAX_ALIGNED_LEN);
            r.map_err(|e| self.err(e))?;
        }
        read_lens(
            &mut self.br,
            &mut self.t.pre,
            &mut self.t.main_lens,
            0,
            NUM_CHARS,
        )?;
        let rest = self.num_main - NUM_CHARS;
        read_lens(
            &mut self.br,
            &mut self.t.pre,
            &mut self.t.main_lens,
            NUM_CHARS,
            rest,
        )?;
        let r = self
            .t
            .main
            .build(&self.t.main_lens[..self.num_main], MAX_CODE_LEN);
        r.map_err(|e| self.err(e))?;
        read_lens(
            &mut self.br,
            &mut self.t.pre,
            &mut self.t.len_lens,
            0,
            LEN_SYMS,
        )?;
        let r = self.t.len.build(&self.t.len_lens[..LEN_SYMS], MAX_CODE_LEN);
        r.map(|_| ()).map_err(|e| self.err(e))
    }

    /// Decodes the literals and matches of a verbatim (`ALIGNED = false`) or aligned-offset
    /// block into `out[pos..end]` (§2.5). The bit reader and repeated offsets are worked on as
    /// local copies so that they live in registers.
    fn decode_block<const ALIGNED: bool>(
        &mut self,
        out: &mut [u8],
        pos: usize,
        end: usize,
    ) -> Result<(), DecodeError> {
        let mut br = self.br.clone();
        let mut r = self.r;
        let tables = (&self.t.main, &self.t.len, &self.t.aligned);
        let res = block_loop::<ALIGNED>(&mut br, tables, &mut r, self.num_main, out, pos, end);
        self.br = br;
        self.r = r;
        res.map_err(|reason| self.err(reason))
    }

    /// Copies an uncompressed block (§2.3.2.1): alignment padding, R0..R2 as little-endian u32,
    /// the bytes, and one padding byte if their count is odd.
    fn copy_uncompressed(&mut self, out: &mut [u8]) -> Result<(), DecodeError> {
        const TRUNCATED: &str = "LZX uncompressed block truncated";
        let start = self.br.align_to_bytes().ok_or(self.err(TRUNCATED))?;
        let data = self.br.data();
        let body = start.checked_add(12).ok_or(self.err(TRUNCATED))?;
        let after = body.checked_add(out.len()).ok_or(self.err(TRUNCATED))?;
        let (Some(header), Some(bytes)) = (data.get(start..body), data.get(body..after)) else {
            return Err(DecodeError {
                input_pos: start.min(data.len()),
                reason: TRUNCATED,
            });
        };
        for (k, r) in self.r.iter_mut().enumerate() {
            let b = &header[4 * k..4 * k + 4];
            *r = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        if self.r.contains(&0) {
            return Err(DecodeError {
                input_pos: start,
                reason: "LZX uncompressed block has a zero repeated offset",
            });
        }
        out.copy_from_slice(bytes);
        // The padding byte may be missing at the very end of the input.
        let next = (after + (out.len() & 1)).min(data.len());
        self.br.restart_at(next);
        Ok(())
    }
}
