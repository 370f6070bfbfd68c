//! Cutting a parsed block in two when two blocks, each with its own Huffman trees, are
//! smaller than one ([MS-PATCH] §2.3: a chunk may hold any number of blocks; the second
//! block's trees are sent as deltas from the first's, and the repeated offsets carry over).
//!
//! Machine code next to tables or text in one 32 KiB chunk codes better with two sets of
//! trees. wimlib ends blocks where its running statistics change (at least 6,500 bytes
//! apart); here the parse of the whole block is cut after the fact: the cut is chosen among
//! the item boundaries nearest to every [`STEP`] bytes by the entropy of the two halves'
//! symbol counts, then kept only when the exact sizes of the two blocks (trees included) are
//! below that of the one block (docs/benchmarks.md, "LZX, session 6").

use std::sync::OnceLock;

use super::consts::*;
use super::items::{Freqs, Item};
use super::stats::add;

/// Distance between the candidate cuts, and the smallest half. Measured on 6 MB of each
/// corpus with the best cut by exact size: every 4096 bytes gave 0.27% / 0.16% smaller
/// output, every 2048 bytes 0.02% / 0.05% more than that at twice the work. Since the
/// candidates' counts come with the statistics' counting pass ([`count_at_cuts`]), twice the
/// candidates cost little: on 32 MB of each corpus (session 9) every 2048 bytes gave 0.020% /
/// 0.021% smaller output than every 4096 at the same speed, every 1024 bytes 0.014% / 0.016%
/// more (spent on fewer second passes, `encode.rs`).
pub(super) const STEP: usize = 1024;

/// Entropy (in bits) the two halves must save over the whole before their exact sizes are
/// worked out: splitting any block lowers the entropy of its counts by a few hundred bits
/// (fewer items per symbol), and working out the exact sizes of two blocks costs about 2%
/// of the time. Measured on 6 MB of each corpus: 2000 bits finds all but 0.01% of what
/// checking every block finds, at half the cost; 3500 loses 0.08% / 0.10%. Session 9 (32 MB
/// of each, cuts every 1 KiB): 1000 bits 0.014% / 0.015% smaller than 2000, spent on fewer
/// second passes (`encode.rs`).
const MIN_SAVING: f64 = 1000.0;

/// The candidate cuts of a parse: the index of the item at each, and the symbol counts of
/// the items before it.
pub(super) type Cuts = Vec<(usize, Freqs)>;

/// Symbol counts of `items` (a parse of `n` bytes), with those before each candidate cut (the
/// first item boundary at or past every [`STEP`] bytes, leaving at least [`STEP`]) in `cuts`:
/// one counting pass for the statistics and the cut.
pub(super) fn count_at_cuts(items: &[Item], n: usize, num_main: usize, cuts: &mut Cuts) -> Freqs {
    cuts.clear();
    let mut f = Freqs {
        main: vec![0; num_main],
        len: [0; LEN_SYMS],
        aligned: [0; ALIGNED_SYMS],
    };
    if n < 2 * STEP {
        for &it in items {
            add(&mut f, it);
        }
        return f;
    }
    let mut pos = 0;
    let mut next_cut = STEP;
    for (idx, &it) in items.iter().enumerate() {
        if pos >= next_cut && n - pos >= STEP {
            cuts.push((idx, f.clone()));
            next_cut = pos + STEP;
        }
        pos += it.len.max(1) as usize;
        add(&mut f, it);
    }
    f
}

/// Where to cut a parse whose statistics are `whole` and candidate cuts `cuts`
/// ([`count_at_cuts`]) in two, if anywhere: the item index and the statistics of the first
/// half, when the halves' entropy is at least [`MIN_SAVING`] below the whole's. The caller
/// checks the exact sizes.
pub(super) fn choose_cut(cuts: &mut Cuts, whole: &Freqs) -> Option<(usize, Freqs)> {
    let bits = |f: &Freqs| entropy(f.main.iter().chain(&f.len).copied());
    let mut best = (bits(whole) - MIN_SAVING, None);
    for (k, (_, first)) in cuts.iter().enumerate() {
        let second = entropy(
            whole
                .main
                .iter()
                .zip(&first.main)
                .chain(whole.len.iter().zip(&first.len))
                .map(|(&all, &a)| all - a),
        );
        let halves = bits(first) + second;
        if halves < best.0 {
            best = (halves, Some(k));
        }
    }
    best.1.map(|k| cuts.swap_remove(k))
}

/// `whole - first`, symbol by symbol.
pub(super) fn rest(whole: &Freqs, first: &Freqs) -> Freqs {
    Freqs {
        main: whole
            .main
            .iter()
            .zip(&first.main)
            .map(|(&a, &b)| a - b)
            .collect(),
        len: std::array::from_fn(|k| whole.len[k] - first.len[k]),
        aligned: std::array::from_fn(|k| whole.aligned[k] - first.aligned[k]),
    }
}

/// Bits of coding `counts` at their information content: `T log2 T - sum(c log2 c)`.
fn entropy(counts: impl Iterator<Item = u32>) -> f64 {
    let table = C_LOG2_C.get_or_init(|| {
        let mut t = vec![0.0f32; TABLE];
        for (c, v) in t.iter_mut().enumerate().skip(2) {
            let c = c as f64;
            *v = (c * c.log2()) as f32;
        }
        t
    });
    let mut total = 0u64;
    let mut sum = 0.0f64;
    for c in counts {
        sum += match table.get(c as usize) {
            Some(&v) => f64::from(v),
            None => f64::from(c) * f64::from(c).log2(),
        };
        total += u64::from(c);
    }
    let t = total as f64;
    if total == 0 {
        0.0
    } else {
        t * t.log2() - sum
    }
}

/// `c log2 c` for the counts below [`TABLE`] (most of them: a 32 KiB block has at most
/// 32768 items), computed once.
static C_LOG2_C: OnceLock<Vec<f32>> = OnceLock::new();
const TABLE: usize = 4096;
