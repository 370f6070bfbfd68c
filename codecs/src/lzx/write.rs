//! Writing one block: choosing verbatim, aligned-offset or uncompressed ([MS-PATCH] §2.3.2),
//! sending the trees as pretree-coded deltas from the previous block's lengths (§2.4), then
//! the literals and matches (§2.5).

use super::bitwrite::BitWriter;
use super::consts::*;
use super::items::{apply, match_symbols, Freqs, Item};
use super::parse::Block;
use crate::huffman::encode::{make_codes, make_lengths};

/// Tree lengths and repeated offsets carried from block to block within a chunk.
#[derive(Debug)]
pub(super) struct BlockState {
    /// Window order (decides the width of explicit block sizes).
    pub(super) order: u32,
    pub(super) prev_main: Vec<u8>,
    pub(super) prev_len: [u8; LEN_SYMS],
    pub(super) reps: [u32; 3],
}

/// How a block would be written: its trees, and its exact size compressed and stored raw.
#[derive(Debug)]
pub(super) struct Plan {
    pub(super) main_lens: Vec<u8>,
    pub(super) len_lens: [u8; LEN_SYMS],
    aligned_lens: [u8; ALIGNED_SYMS],
    parts: [PretreeCoded; 3],
    size_bits: u64,
    use_aligned: bool,
    /// Size as a verbatim or aligned-offset block, in bits.
    pub(super) compressed_bits: u64,
    /// Size as an uncompressed block, in bits.
    pub(super) raw_bits: u64,
}

impl Plan {
    /// The smaller of the two sizes, in bits.
    pub(super) fn bits(&self) -> u64 {
        self.compressed_bits.min(self.raw_bits)
    }
}

/// Plans a block of `n` bytes with statistics `f`, after the trees of `prev_main` and
/// `prev_len`.
pub(super) fn plan(
    order: u32,
    prev_main: &[u8],
    prev_len: &[u8; LEN_SYMS],
    n: usize,
    f: &Freqs,
) -> Plan {
    let mut main_lens = vec![0u8; prev_main.len()];
    make_lengths(&f.main, MAX_CODE_LEN, &mut main_lens);
    let mut len_lens = [0u8; LEN_SYMS];
    make_lengths(&f.len, MAX_CODE_LEN, &mut len_lens);
    let mut aligned_lens = [0u8; ALIGNED_SYMS];
    make_lengths(&f.aligned, MAX_ALIGNED_LEN, &mut aligned_lens);

    let parts = [
        pretree_code(&prev_main[..NUM_CHARS], &main_lens[..NUM_CHARS]),
        pretree_code(&prev_main[NUM_CHARS..], &main_lens[NUM_CHARS..]),
        pretree_code(prev_len, &len_lens),
    ];
    let size_bits = if n == DEFAULT_BLOCK_SIZE {
        1
    } else if order == MIN_WINDOW_ORDER {
        17
    } else {
        25
    };

    // Exact sizes of the candidate encodings, in bits.
    let mut symbols = 0u64;
    for (s, &c) in f.main.iter().enumerate() {
        let mut bits = u64::from(main_lens[s]);
        if s >= NUM_CHARS {
            let slot = (s - NUM_CHARS) / NUM_LEN_HEADERS;
            bits += u64::from(EXTRA_BITS[slot]);
        }
        symbols += u64::from(c) * bits;
    }
    for (s, &c) in f.len.iter().enumerate() {
        symbols += u64::from(c) * u64::from(len_lens[s]);
    }
    let mut aligned_saving: i64 = 0;
    for (s, &c) in f.aligned.iter().enumerate() {
        aligned_saving += i64::from(c) * (i64::from(ALIGNED_BITS) - i64::from(aligned_lens[s]));
    }
    let header = 3 + size_bits;
    let verbatim_bits = header + parts.iter().map(|p| p.bits).sum::<u64>() + symbols;
    let aligned_tree_bits = 3 * ALIGNED_SYMS as i64;
    let use_aligned = f.aligned.iter().any(|&c| c != 0) && aligned_saving > aligned_tree_bits;
    let compressed_bits = if use_aligned {
        verbatim_bits - (aligned_saving - aligned_tree_bits) as u64
    } else {
        verbatim_bits
    };
    // Uncompressed: header, 1..=16 padding bits, R0..R2, the bytes, a padding byte if odd.
    let raw_bits = header + 16 + 96 + 8 * (n as u64 + (n as u64 & 1));
    Plan {
        main_lens,
        len_lens,
        aligned_lens,
        parts,
        size_bits,
        use_aligned,
        compressed_bits,
        raw_bits,
    }
}

/// Writes block `b` whose parse is `items`, planned as `plan`, which began with repeated
/// offsets `reps_in`: uncompressed when that is smaller and `allow_raw` (a block whose
/// successor was parsed from the repeated offsets its items leave must stay compressed: an
/// uncompressed block leaves those it began with).
pub(super) fn write_block(
    bw: &mut BitWriter,
    st: &mut BlockState,
    b: &Block<'_>,
    items: &[Item],
    plan: Plan,
    reps_in: [u32; 3],
    allow_raw: bool,
) {
    let (data, start, end) = (b.data, b.start, b.end);
    let n = end - start;
    let num_main = st.prev_main.len();
    let Plan {
        main_lens,
        len_lens,
        aligned_lens,
        parts,
        size_bits,
        use_aligned,
        compressed_bits,
        raw_bits,
    } = plan;
    if allow_raw && raw_bits < compressed_bits {
        bw.put(BLOCK_UNCOMPRESSED, 3);
        put_block_size(bw, n, size_bits);
        bw.align_for_bytes();
        for r in reps_in {
            bw.put_bytes(&r.to_le_bytes());
        }
        bw.put_bytes(&data[start..end]);
        if n & 1 == 1 {
            bw.put_bytes(&[0]);
        }
        // The trees stay as they were; the decoder takes R0..R2 from the header.
        st.reps = reps_in;
        return;
    }

    bw.put(
        if use_aligned {
            BLOCK_ALIGNED
        } else {
            BLOCK_VERBATIM
        },
        3,
    );
    put_block_size(bw, n, size_bits);
    if use_aligned {
        for &l in &aligned_lens {
            bw.put(u32::from(l), 3);
        }
    }
    for part in &parts {
        part.write(bw);
    }

    let mut main_codes = vec![0u32; num_main];
    make_codes(&main_lens, &mut main_codes);
    let mut len_codes = [0u32; LEN_SYMS];
    make_codes(&len_lens, &mut len_codes);
    let mut aligned_codes = [0u32; ALIGNED_SYMS];
    make_codes(&aligned_lens, &mut aligned_codes);
    let mut reps = reps_in;
    for &it in items {
        apply(&mut reps, it);
        if it.is_literal() {
            let s = it.code as usize;
            bw.put(main_codes[s], u32::from(main_lens[s]));
            continue;
        }
        let (sym, len_sym, slot) = match_symbols(it);
        bw.put(main_codes[sym], u32::from(main_lens[sym]));
        if let Some(l) = len_sym {
            bw.put(len_codes[l], u32::from(len_lens[l]));
        }
        if it.code >= 3 {
            let extra = u32::from(EXTRA_BITS[slot]);
            let v = it.code - SLOT_BASE[slot];
            if use_aligned && extra >= ALIGNED_BITS {
                bw.put(v >> ALIGNED_BITS, extra - ALIGNED_BITS);
                let a = (v & 7) as usize;
                bw.put(aligned_codes[a], u32::from(aligned_lens[a]));
            } else {
                bw.put(v, extra);
            }
        }
    }
    st.prev_main = main_lens;
    st.prev_len = len_lens;
    st.reps = reps;
}

/// The block size field: the "default size" flag, or the size in 16 or 24 bits.
fn put_block_size(bw: &mut BitWriter, n: usize, size_bits: u64) {
    if size_bits == 1 {
        bw.put(1, 1);
    } else {
        bw.put(0, 1);
        bw.put(n as u32, (size_bits - 1) as u32);
    }
}

/// A length array coded with its pretree: (symbol, extra bit count, extra value) items.
#[derive(Debug)]
struct PretreeCoded {
    items: Vec<(u8, u8, u8)>,
    lens: [u8; PRETREE_SYMS],
    bits: u64,
}

impl PretreeCoded {
    fn write(&self, bw: &mut BitWriter) {
        let mut codes = [0u32; PRETREE_SYMS];
        make_codes(&self.lens, &mut codes);
        for &l in &self.lens {
            bw.put(u32::from(l), 4);
        }
        for &(s, nbits, v) in &self.items {
            bw.put(codes[s as usize], u32::from(self.lens[s as usize]));
            bw.put(u32::from(v), u32::from(nbits));
        }
    }
}

/// Codes `new` as deltas from `prev` (§2.4): symbols 0..=16 are (prev - new) mod 17, 17 and
/// 18 are runs of 4..=19 and 20..=51 zeros, 19 is a run of 4 or 5 equal lengths followed by
/// the delta symbol of the first one.
fn pretree_code(prev: &[u8], new: &[u8]) -> PretreeCoded {
    let delta = |i: usize| ((u32::from(prev[i]) + 17 - u32::from(new[i])) % 17) as u8;
    let mut items = Vec::new();
    let mut i = 0;
    while i < new.len() {
        let v = new[i];
        let run = new[i..].iter().take_while(|&&x| x == v).count();
        if v == 0 && run >= 20 {
            let r = run.min(51);
            items.push((18, 5, (r - 20) as u8));
            i += r;
        } else if v == 0 && run >= 4 {
            let r = run.min(19);
            items.push((17, 4, (r - 4) as u8));
            i += r;
        } else if v != 0 && run >= 4 {
            let r = run.min(5);
            items.push((19, 1, (r - 4) as u8));
            items.push((delta(i), 0, 0));
            i += r;
        } else {
            items.push((delta(i), 0, 0));
            i += 1;
        }
    }
    let mut freqs = [0u32; PRETREE_SYMS];
    for &(s, _, _) in &items {
        freqs[s as usize] += 1;
    }
    let mut lens = [0u8; PRETREE_SYMS];
    make_lengths(&freqs, MAX_PRE_LEN, &mut lens);
    let bits = 4 * PRETREE_SYMS as u64
        + items
            .iter()
            .map(|&(s, nb, _)| u64::from(lens[s as usize]) + u64::from(nb))
            .sum::<u64>();
    PretreeCoded { items, lens, bits }
}
