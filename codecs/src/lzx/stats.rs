//! First symbol statistics of a block and the prices the shortest-path parse
//! ([`super::parse`]) takes from them: a lazy parse over the cached matches (the longest match
//! at a position, unless the next position has a longer one), its symbol counts, and bit
//! prices from the Huffman lengths those counts would get ([MS-PATCH] §2.4: codes of at most
//! 16 bits, aligned-offset blocks pricing the low 3 offset bits by their own tree).

use super::consts::*;
use super::items::{apply, match_symbols, Freqs, Item};
use super::matchfind::extend;
use super::parse::{Block, Costs};
use crate::huffman::encode::make_lengths;

/// Bit prices of main-tree and length-tree symbols that the first parse did not use. Below
/// their probable Huffman lengths, so that the parse tries them: measured on /usr/bin and
/// /usr/libexec chunks (`examples/compress_bench.rs`), 10 gives 0.5% smaller output than 14;
/// with the fractional prices (6 MB of each corpus) 9 and 11 are 0.05-0.08% smaller than 10
/// and 12, and 8 or 11 for the main symbols larger.
const UNSEEN_MAIN_PRICE: u32 = 9;
const UNSEEN_LEN_PRICE: u32 = 11;
/// Prices are in 1/`S` bits: a symbol seen in the statistics costs its information content,
/// log2(total / count), rounded to 1/16 bit and clamped to 1..=16 bits, instead of its
/// Huffman code length (measured: 0.03-0.05% smaller output at the same speed).
const S: u32 = 16;

/// A lazy parse of the block, for first statistics: the longest match (a repeated offset
/// when it is about as long), unless the next position has a better one.
pub(super) fn lazy(
    b: &Block<'_>,
    reps_in: [u32; 3],
    num_main: usize,
    items: &mut Vec<Item>,
) -> Freqs {
    items.clear();
    let mut reps = reps_in;
    let mut i = 0;
    let n = b.end - b.start;
    // The item at `i`, when the previous step already looked at it (after a literal the
    // repeated offsets are the same).
    let mut known = None;
    while i < n {
        let item = known.take().unwrap_or_else(|| longest_at(b, i, reps));
        let score = |it: Item| if it.code < 3 { it.len + 1 } else { it.len };
        if !item.is_literal() && (item.len as usize) < LAZY_LEN && i + 1 < n {
            let next = longest_at(b, i + 1, reps);
            if score(next) > score(item) {
                items.push(Item::literal(b.data[b.start + i]));
                i += 1;
                known = Some(next);
                continue;
            }
        }
        apply(&mut reps, item);
        i += item.len.max(1) as usize;
        items.push(item);
    }
    let mut f = count(items, num_main);
    // The shortest-path parse takes more repeated-offset matches than the lazy one (27% more
    // on the corpora of docs/benchmarks.md, and 12% fewer literals): their main symbols
    // weighted 1.6 times price them closer to what the parse will use. Measured: 0.01% / 0.04%
    // smaller at one pass (12 MB of each corpus), and on 32 MB of each a second pass needed on
    // half as many blocks for the same size (docs/benchmarks.md, session 9).
    for c in &mut f.main[NUM_CHARS..NUM_CHARS + 3 * NUM_LEN_HEADERS] {
        *c = (16 * *c + 5) / 10;
    }
    f
}

/// A match at least this long is taken by the first parse without looking one byte further.
const LAZY_LEN: usize = 32;

/// The longest match at block position `i` (the longest repeated offset when about as long:
/// up to two bytes shorter), or the literal. Weighing R1 and R2 too (the parse uses them)
/// gave 0.05% / 0.12% smaller output on the two corpora of docs/benchmarks.md (6 MB of
/// each); a margin of one byte instead of two was as small on the first, 0.01% larger on the
/// second; none 0.06% / 0.11% larger.
#[inline(always)]
fn longest_at(b: &Block<'_>, i: usize, reps: [u32; 3]) -> Item {
    let p = b.start + i;
    let max = (b.end - p).min(MAX_MATCH);
    let (mut r, mut k) = (0, 0);
    for (j, &off) in reps.iter().enumerate() {
        let off = off as usize;
        if off <= p && max >= MIN_MATCH {
            let len = extend(b.data, p - off, p, 0, max);
            if len > r {
                (r, k) = (len, j as u32);
            }
        }
    }
    let best = b.cache[b.cache_at[i] as usize..b.cache_at[i + 1] as usize]
        .last()
        .copied();
    match best {
        Some(m) if m.len >= 3 && m.len as usize > r + 2 => Item::new(m.len, m.offset + 2),
        _ if r >= MIN_MATCH => Item::new(r as u32, k),
        _ => Item::literal(b.data[p]),
    }
}

/// Symbol statistics of a parse.
pub(super) fn count(items: &[Item], num_main: usize) -> Freqs {
    let mut f = Freqs {
        main: vec![0; num_main],
        len: [0; LEN_SYMS],
        aligned: [0; ALIGNED_SYMS],
    };
    for &it in items {
        add(&mut f, it);
    }
    f
}

/// Counts the symbols of one item into `f`.
#[inline(always)]
pub(super) fn add(f: &mut Freqs, it: Item) {
    if it.is_literal() {
        f.main[it.code as usize] += 1;
        return;
    }
    let (sym, len_sym, slot) = match_symbols(it);
    f.main[sym] += 1;
    if let Some(l) = len_sym {
        f.len[l] += 1;
    }
    if it.code >= 3 && u32::from(EXTRA_BITS[slot]) >= ALIGNED_BITS {
        f.aligned[(it.code & 7) as usize] += 1;
    }
}

/// Prices from statistics, in 1/[`S`] bits: each seen main and length symbol its information
/// content, the aligned symbols their Huffman lengths, and a price for symbols not seen yet so
/// that the next parse may still use them.
pub(super) fn costs_from(f: &Freqs, costs: &mut Costs) {
    let mut main = [0u8; MAX_MAIN_SYMS];
    let main = &mut main[..f.main.len()];
    make_lengths(&f.main, MAX_CODE_LEN, main);
    let mut len = [0u8; LEN_SYMS];
    make_lengths(&f.len, MAX_CODE_LEN, &mut len);
    let price = |l: u8, unseen: u32| if l == 0 { unseen } else { u32::from(l) };
    let (um, ul) = (UNSEEN_MAIN_PRICE, UNSEEN_LEN_PRICE);
    let mt: u32 = f.main.iter().sum();
    let lt: u32 = f.len.iter().sum();
    let ent = |c: u32, t: u32, l: u8, unseen: u32| -> u32 {
        if l == 0 || c == 0 {
            unseen * S
        } else {
            let e = (f64::from(t) / f64::from(c)).log2() * f64::from(S);
            (e.round() as u32).clamp(S, 16 * S)
        }
    };
    for ((c, &l), &n) in costs.lit.iter_mut().zip(&main[..NUM_CHARS]).zip(&f.main) {
        *c = ent(n, mt, l, um);
    }
    let mut len_part = [0u32; MAX_MATCH + 1];
    for (k, &l) in len.iter().enumerate() {
        len_part[MIN_MATCH + NUM_PRIMARY_LENS + k] = ent(f.len[k], lt, l, ul);
    }
    let slots = (f.main.len() - NUM_CHARS) / NUM_LEN_HEADERS;
    for (slot, mc) in costs.matches.iter_mut().enumerate().take(slots) {
        let first = NUM_CHARS + slot * NUM_LEN_HEADERS;
        // The slot's header prices (with its verbatim offset bits) once, not per length.
        let mut head = [0u32; NUM_LEN_HEADERS];
        for (k, hp) in head.iter_mut().enumerate() {
            *hp = ent(f.main[first + k], mt, main[first + k], um) + verbatim_bits(slot) * S;
        }
        for l in MIN_MATCH..=MAX_MATCH {
            let price = head[(l - MIN_MATCH).min(NUM_PRIMARY_LENS)] + len_part[l];
            mc[l] = u64::from(price) << 32 | l as u64;
        }
    }
    // Aligned offsets: priced by the aligned tree when it would pay for itself.
    let mut aligned = [0u8; ALIGNED_SYMS];
    make_lengths(&f.aligned, MAX_ALIGNED_LEN, &mut aligned);
    let saving: i64 = f
        .aligned
        .iter()
        .zip(&aligned)
        .map(|(&c, &l)| i64::from(c) * (i64::from(ALIGNED_BITS) - i64::from(l)))
        .sum();
    let use_aligned = saving > 3 * ALIGNED_SYMS as i64;
    for (slot, low) in costs.low.iter_mut().enumerate().take(MAX_SLOTS) {
        for (c, &l) in low.iter_mut().zip(&aligned) {
            *c = if u32::from(EXTRA_BITS[slot]) < ALIGNED_BITS {
                0
            } else if use_aligned {
                price(l, MAX_ALIGNED_LEN) * S
            } else {
                ALIGNED_BITS * S
            };
        }
    }
}

/// Extra offset bits of a position slot written verbatim: all of them, less the 3 low ones
/// in slots that have at least 3 (priced by `Costs::low`).
fn verbatim_bits(slot: usize) -> u32 {
    let bits = u32::from(EXTRA_BITS[slot]);
    if bits >= ALIGNED_BITS {
        bits - ALIGNED_BITS
    } else {
        bits
    }
}

/// Bits by which the prices of `prior` (the statistics a parse was priced with) overcharge
/// the symbols `seen` of that parse, against their own information content: how far the
/// parse's statistics moved from those it was priced with, so how much a further pass
/// priced from `seen` may gain. Symbols `prior` did not have are priced as `costs_from`
/// prices them.
pub(super) fn mismatch(seen: &Freqs, prior: &Freqs) -> f64 {
    let part = |seen: &[u32], prior: &[u32], unseen: u32| {
        let t1: u32 = seen.iter().sum();
        let t0: u32 = prior.iter().sum();
        let (t1, t0) = (f64::from(t1.max(1)), f64::from(t0.max(1)));
        let mut bits = 0.0;
        for (&c, &c0) in seen.iter().zip(prior) {
            if c == 0 {
                continue;
            }
            let c = f64::from(c);
            let own = (t1 / c).log2();
            let priced = if c0 == 0 {
                f64::from(unseen)
            } else {
                (t0 / f64::from(c0)).log2()
            };
            bits += c * (priced - own);
        }
        bits
    };
    part(&seen.main, &prior.main, UNSEEN_MAIN_PRICE) + part(&seen.len, &prior.len, UNSEEN_LEN_PRICE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn freqs(main: &[(usize, u32)], len: &[(usize, u32)]) -> Freqs {
        let mut f = Freqs {
            main: vec![0; 496],
            len: [0; LEN_SYMS],
            aligned: [0; ALIGNED_SYMS],
        };
        for &(s, c) in main {
            f.main[s] = c;
        }
        for &(s, c) in len {
            f.len[s] = c;
        }
        f
    }

    #[test]
    fn mismatch_measures_how_far_statistics_moved() {
        let a = freqs(&[(0, 100), (1, 100), (300, 50)], &[(0, 10)]);
        assert!(mismatch(&a, &a).abs() < 1e-9, "same statistics: no gain");
        // Symbol 0 got rarer and 1 more common (of 250 main symbols both times): each was
        // priced log2(250 / 100) bits, against its own log2(250 / 50) and log2(250 / 150).
        let b = freqs(&[(0, 50), (1, 150), (300, 50)], &[(0, 10)]);
        let p = 2.5f64.log2();
        let expected = 50.0 * (p - 5f64.log2()) + 150.0 * (p - (250.0f64 / 150.0).log2());
        assert!((mismatch(&b, &a) - expected).abs() < 1e-6);
        assert!(expected > 37.0, "{expected}");
        // A symbol the prior never saw is priced as `costs_from` prices it.
        let c = freqs(&[(0, 100), (1, 100), (300, 50), (301, 1)], &[(0, 10)]);
        let m = mismatch(&c, &a);
        let old = 200.0 * (2.5f64.log2() - 2.51f64.log2()) + 50.0 * (5f64.log2() - 5.02f64.log2());
        let expected = old + f64::from(UNSEEN_MAIN_PRICE) - 251f64.log2();
        assert!((m - expected).abs() < 1e-6, "{m} {expected}");
    }
}
