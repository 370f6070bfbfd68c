//! The LZX encoder for WIM chunks.
//!
//! The chunk is E8-translated ([`super::e8`]), then cut into blocks (one for a 32 KiB chunk).
//! For each block every position's matches are found once with a binary-tree match finder
//! ([`super::matchfind`]) and cached. A greedy pass over the cache gives first symbol
//! statistics; then a forward shortest-path parse over the block (every literal, every
//! match length of every cached match, every repeated-offset match, priced with the
//! Huffman lengths of the previous pass, with R0..R2 carried along the best path to each
//! position) is run twice, the second time with the statistics of the first. Matches of
//! `NICE_LEN` bytes or more are taken as found. The block is then written as a verbatim or
//! aligned-offset block, whichever is smaller ([MS-PATCH] §2.3.2.2, §2.3.2.3), or as an
//! uncompressed block (§2.3.2.1) if that is smaller still; its trees are sent as pretree-coded
//! deltas from the previous block's (§2.4).

use super::bitwrite::BitWriter;
use super::consts::*;
use super::e8;
use super::huffenc::{make_codes, make_lengths};
use super::matchfind::{extend, Match, MatchFinder};

/// Matches at least this long are taken without weighing alternatives.
const NICE_LEN: usize = 64;
/// Tree nodes visited per position by the match finder.
const SEARCH_DEPTH: u32 = 32;
/// Shortest-path passes per block (the first one priced from a greedy parse).
const OPTIMIZE_PASSES: usize = 2;
/// Block size for chunks larger than 32 KiB.
const LARGE_BLOCK: usize = 65536;
/// Cost of an infinite path.
const INF: u32 = u32::MAX;

/// Compresses one chunk for a WIM with chunk size `window_size`. Returns None when the result
/// would not be smaller than the input (the WIM then stores the chunk raw).
pub fn compress(input: &[u8], window_size: usize) -> Option<Vec<u8>> {
    let order = window_order(window_size)?;
    if input.is_empty() || input.len() > 1 << order {
        return None;
    }
    let mut data = input.to_vec();
    e8::encode(&mut data);
    let out = Encoder::new(&data, order).run();
    (out.len() < input.len()).then_some(out)
}

/// A parsed item: a literal (`len == 0`, `code` = the byte) or a match of `len` bytes whose
/// `code` is a repeated-offset index (0..=2) or a formatted offset (offset + 2, >= 3).
#[derive(Debug, Clone, Copy)]
struct Item {
    len: u32,
    code: u32,
}

/// Bit costs of the symbols of each tree.
#[derive(Debug)]
struct Costs {
    main: Vec<u32>,
    len: [u32; LEN_SYMS],
}

/// Symbol counts of a parse.
#[derive(Debug, Clone)]
struct Freqs {
    main: Vec<u32>,
    len: [u32; LEN_SYMS],
    aligned: [u32; ALIGNED_SYMS],
}

#[derive(Debug)]
struct Encoder<'a> {
    data: &'a [u8],
    order: u32,
    num_main: usize,
    /// Largest offset the window's position slots can code.
    max_offset: usize,
    mf: MatchFinder,
    /// Matches of the current block: those of block position i are
    /// `cache[cache_at[i]..cache_at[i + 1]]`.
    cache: Vec<Match>,
    cache_at: Vec<u32>,
    // Shortest-path arrays, indexed by block position.
    cost: Vec<u32>,
    from: Vec<u32>,
    step: Vec<Item>,
    reps_at: Vec<[u32; 3]>,
    // State carried from block to block.
    prev_main: Vec<u8>,
    prev_len: [u8; LEN_SYMS],
    reps: [u32; 3],
    bw: BitWriter,
}

impl<'a> Encoder<'a> {
    fn new(data: &'a [u8], order: u32) -> Self {
        let num_main = num_main_syms(order);
        Encoder {
            data,
            order,
            num_main,
            max_offset: (1usize << order) - 3,
            mf: MatchFinder::new(data.len(), NICE_LEN, SEARCH_DEPTH),
            cache: Vec::new(),
            cache_at: Vec::new(),
            cost: Vec::new(),
            from: Vec::new(),
            step: Vec::new(),
            reps_at: Vec::new(),
            prev_main: vec![0; num_main],
            prev_len: [0; LEN_SYMS],
            reps: [1; 3],
            bw: BitWriter::with_capacity(data.len() / 2 + 64),
        }
    }

    fn run(mut self) -> Vec<u8> {
        let block = if self.order == MIN_WINDOW_ORDER {
            DEFAULT_BLOCK_SIZE
        } else {
            LARGE_BLOCK
        };
        let mut start = 0;
        let mut items = Vec::new();
        while start < self.data.len() {
            let end = (start + block).min(self.data.len());
            self.collect_matches(start, end);
            let reps_in = self.reps;
            let mut freqs = self.greedy(start, end, &mut items);
            for _ in 0..OPTIMIZE_PASSES {
                let costs = self.costs_from(&freqs);
                self.parse(start, end, &costs, reps_in, &mut items);
                freqs = self.count(&items);
            }
            self.write_block(start, end, &items, &freqs, reps_in);
            start = end;
        }
        self.bw.finish()
    }

    /// Finds and caches the matches of every position of `start..end`. After a match of
    /// `NICE_LEN` or more, the positions it covers are only inserted.
    fn collect_matches(&mut self, start: usize, end: usize) {
        self.cache.clear();
        self.cache_at.clear();
        let n = self.data.len();
        let mut p = start;
        while p < end {
            self.cache_at.push(self.cache.len() as u32);
            let first = self.cache.len();
            let tree_max = (n - p).min(MAX_MATCH);
            let max_offset = self.max_offset.min(p);
            self.mf
                .find(self.data, p, tree_max, max_offset, &mut self.cache);
            // Matches may not cross the block end: clip, keeping lengths increasing.
            let limit = (end - p) as u32;
            let mut keep = first;
            let mut last = 0;
            for k in first..self.cache.len() {
                let m = self.cache[k];
                let len = m.len.min(limit);
                if len > last {
                    self.cache[keep] = Match {
                        len,
                        offset: m.offset,
                    };
                    keep += 1;
                    last = len;
                }
            }
            self.cache.truncate(keep);
            let longest = last as usize;
            if longest >= NICE_LEN {
                for q in p + 1..p + longest {
                    self.cache_at.push(self.cache.len() as u32);
                    self.mf.skip(self.data, q, (n - q).min(MAX_MATCH));
                }
                p += longest;
            } else {
                p += 1;
            }
        }
        self.cache_at.push(self.cache.len() as u32);
    }

    fn matches_at(&self, i: usize) -> &[Match] {
        &self.cache[self.cache_at[i] as usize..self.cache_at[i + 1] as usize]
    }

    /// Length of the match at `p` with `offset`, up to `max`.
    #[inline]
    fn rep_len(&self, p: usize, offset: u32, max: usize) -> usize {
        let off = offset as usize;
        if off == 0 || off > p || max < MIN_MATCH {
            return 0;
        }
        extend(self.data, p - off, p, 0, max)
    }

    /// A greedy parse of the block for first statistics.
    fn greedy(&self, start: usize, end: usize, items: &mut Vec<Item>) -> Freqs {
        items.clear();
        let mut reps = self.reps;
        let mut i = 0;
        while start + i < end {
            let p = start + i;
            let max = (end - p).min(MAX_MATCH);
            let r0 = self.rep_len(p, reps[0], max);
            let best = self.matches_at(i).last().copied();
            let item = match best {
                Some(m) if m.len as usize > r0 + 1 && m.len >= 3 => Item {
                    len: m.len,
                    code: m.offset + 2,
                },
                _ if r0 >= 2 => Item {
                    len: r0 as u32,
                    code: 0,
                },
                _ => Item {
                    len: 0,
                    code: u32::from(self.data[p]),
                },
            };
            apply(&mut reps, item);
            i += item.len.max(1) as usize;
            items.push(item);
        }
        self.count(items)
    }

    /// Symbol statistics of a parse.
    fn count(&self, items: &[Item]) -> Freqs {
        let mut f = Freqs {
            main: vec![0; self.num_main],
            len: [0; LEN_SYMS],
            aligned: [0; ALIGNED_SYMS],
        };
        for it in items {
            if it.len == 0 {
                f.main[it.code as usize] += 1;
                continue;
            }
            let (sym, len_sym, slot) = match_symbols(it);
            f.main[sym] += 1;
            if let Some(l) = len_sym {
                f.len[l] += 1;
            }
            if it.code >= 3 && EXTRA_BITS[slot] >= ALIGNED_BITS as u8 {
                f.aligned[(it.code & 7) as usize] += 1;
            }
        }
        f
    }

    /// Bit costs from statistics: the Huffman lengths, and a pessimistic price for symbols
    /// not seen yet so that the next parse may still use them.
    fn costs_from(&self, f: &Freqs) -> Costs {
        let mut main_lens = vec![0u8; self.num_main];
        make_lengths(&f.main, MAX_CODE_LEN, &mut main_lens);
        let mut len_lens = [0u8; LEN_SYMS];
        make_lengths(&f.len, MAX_CODE_LEN, &mut len_lens);
        let price = |l: u8, unseen: u32| if l == 0 { unseen } else { u32::from(l) };
        Costs {
            main: main_lens.iter().map(|&l| price(l, 14)).collect(),
            len: len_lens.map(|l| price(l, 12)),
        }
    }

    /// Shortest-path parse of `start..end` under `costs`, starting with repeated offsets
    /// `reps_in`; leaves the items in `items`.
    fn parse(
        &mut self,
        start: usize,
        end: usize,
        costs: &Costs,
        reps_in: [u32; 3],
        items: &mut Vec<Item>,
    ) {
        let n = end - start;
        items.clear();
        self.cost.clear();
        self.cost.resize(n + 1, INF);
        self.from.resize(n + 1, 0);
        self.step.resize(n + 1, Item { len: 0, code: 0 });
        self.reps_at.resize(n + 1, [1; 3]);
        let mut seg = 0usize;
        self.cost[0] = 0;
        self.reps_at[0] = reps_in;
        let mut i = 0usize;
        while i < n {
            if i > seg {
                let mut r = self.reps_at[self.from[i] as usize];
                apply(&mut r, self.step[i]);
                self.reps_at[i] = r;
            }
            let base = self.cost[i];
            let reps = self.reps_at[i];
            let p = start + i;
            let max = (end - p).min(MAX_MATCH);

            let mut rep_lens = [0usize; 3];
            for k in 0..3 {
                if (k >= 1 && reps[k] == reps[0]) || (k == 2 && reps[2] == reps[1]) {
                    continue;
                }
                rep_lens[k] = self.rep_len(p, reps[k], max);
            }
            let (best_rep, best_rep_len) = (0..3)
                .map(|k| (k, rep_lens[k]))
                .max_by_key(|&(k, l)| (l, 3 - k))
                .unwrap_or((0, 0));
            let longest_match = self.matches_at(i).last().map_or(0, |m| m.len as usize);

            // A long match: close the current stretch and take it.
            if best_rep_len >= NICE_LEN || longest_match >= NICE_LEN {
                let item = if best_rep_len + 2 >= longest_match {
                    Item {
                        len: best_rep_len as u32,
                        code: best_rep as u32,
                    }
                } else {
                    let m = self
                        .matches_at(i)
                        .last()
                        .copied()
                        .unwrap_or(Match { len: 0, offset: 0 });
                    Item {
                        len: m.len,
                        code: m.offset + 2,
                    }
                };
                self.backtrack(seg, i, items);
                items.push(item);
                let mut r = reps;
                apply(&mut r, item);
                i += item.len as usize;
                seg = i;
                self.cost[i] = 0;
                self.reps_at[i] = r;
                continue;
            }

            // Literal.
            let lit = u32::from(self.data[p]);
            relax(
                &mut self.cost,
                &mut self.from,
                &mut self.step,
                i,
                i + 1,
                base + costs.main[lit as usize],
                Item { len: 0, code: lit },
            );
            // Repeated offsets.
            for (k, &rl) in rep_lens.iter().enumerate() {
                for l in MIN_MATCH..=rl {
                    let c = base + match_cost(costs, k, 0, l);
                    relax(
                        &mut self.cost,
                        &mut self.from,
                        &mut self.step,
                        i,
                        i + l,
                        c,
                        Item {
                            len: l as u32,
                            code: k as u32,
                        },
                    );
                }
            }
            // Explicit offsets: each length once, with the closest match reaching it.
            let mut l = MIN_MATCH + 1;
            let lo = self.cache_at[i] as usize;
            let hi = self.cache_at[i + 1] as usize;
            for k in lo..hi {
                let m = self.cache[k];
                if reps.contains(&m.offset) {
                    l = l.max(m.len as usize + 1);
                    continue;
                }
                let f = m.offset + 2;
                let slot = slot_of(f);
                let extra = u32::from(EXTRA_BITS[slot]);
                while l <= m.len as usize {
                    let c = base + match_cost(costs, slot, extra, l);
                    relax(
                        &mut self.cost,
                        &mut self.from,
                        &mut self.step,
                        i,
                        i + l,
                        c,
                        Item {
                            len: l as u32,
                            code: f,
                        },
                    );
                    l += 1;
                }
            }
            i += 1;
        }
        self.backtrack(seg, n, items);
    }

    /// Appends the items of the best path from `seg` to `to`.
    fn backtrack(&self, seg: usize, to: usize, items: &mut Vec<Item>) {
        let first = items.len();
        let mut j = to;
        while j > seg {
            items.push(self.step[j]);
            j = self.from[j] as usize;
        }
        items[first..].reverse();
    }

    /// Writes the block `start..end` whose parse is `items` with statistics `f`.
    fn write_block(
        &mut self,
        start: usize,
        end: usize,
        items: &[Item],
        f: &Freqs,
        reps_in: [u32; 3],
    ) {
        let n = end - start;
        let mut main_lens = vec![0u8; self.num_main];
        make_lengths(&f.main, MAX_CODE_LEN, &mut main_lens);
        let mut len_lens = [0u8; LEN_SYMS];
        make_lengths(&f.len, MAX_CODE_LEN, &mut len_lens);
        let mut aligned_lens = [0u8; ALIGNED_SYMS];
        make_lengths(&f.aligned, MAX_ALIGNED_LEN, &mut aligned_lens);

        let main_part1 = lens_items(&self.prev_main[..NUM_CHARS], &main_lens[..NUM_CHARS]);
        let main_part2 = lens_items(&self.prev_main[NUM_CHARS..], &main_lens[NUM_CHARS..]);
        let len_part = lens_items(&self.prev_len, &len_lens);
        let size_bits = if n == DEFAULT_BLOCK_SIZE {
            1
        } else if self.order == MIN_WINDOW_ORDER {
            17
        } else {
            25
        };
        let trees = main_part1.bits + main_part2.bits + len_part.bits;
        let mut symbols = 0u64;
        let mut aligned_saving: i64 = 0;
        for (s, &c) in f.main.iter().enumerate() {
            symbols += u64::from(c) * u64::from(main_lens[s]);
            if s >= NUM_CHARS {
                let slot = (s - NUM_CHARS) / NUM_LEN_HEADERS;
                symbols += u64::from(c) * u64::from(EXTRA_BITS.get(slot).copied().unwrap_or(0));
            }
        }
        for (s, &c) in f.len.iter().enumerate() {
            symbols += u64::from(c) * u64::from(len_lens[s]);
        }
        for (s, &c) in f.aligned.iter().enumerate() {
            aligned_saving += i64::from(c) * (i64::from(ALIGNED_BITS) - i64::from(aligned_lens[s]));
        }
        let verbatim_bits = 3 + size_bits + trees + symbols;
        let use_aligned = f.aligned.iter().any(|&c| c != 0) && aligned_saving > 24;
        let compressed_bits = if use_aligned {
            verbatim_bits + 24 - aligned_saving as u64
        } else {
            verbatim_bits
        };
        // Uncompressed: header, 1..16 padding bits, R0..R2, the bytes, a padding byte.
        let raw_bits = 3 + size_bits + 16 + 96 + 8 * (n as u64 + (n as u64 & 1));
        if raw_bits < compressed_bits {
            self.write_uncompressed(start, end, size_bits, reps_in);
            return;
        }

        let bw = &mut self.bw;
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
        main_part1.write(bw);
        main_part2.write(bw);
        len_part.write(bw);

        let mut main_codes = vec![0u32; self.num_main];
        make_codes(&main_lens, &mut main_codes);
        let mut len_codes = [0u32; LEN_SYMS];
        make_codes(&len_lens, &mut len_codes);
        let mut aligned_codes = [0u32; ALIGNED_SYMS];
        make_codes(&aligned_lens, &mut aligned_codes);
        for it in items {
            if it.len == 0 {
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
        self.prev_main = main_lens;
        self.prev_len = len_lens;
        let mut r = reps_in;
        for &it in items {
            apply(&mut r, it);
        }
        self.reps = r;
    }

    fn write_uncompressed(&mut self, start: usize, end: usize, size_bits: u64, reps_in: [u32; 3]) {
        let bw = &mut self.bw;
        bw.put(BLOCK_UNCOMPRESSED, 3);
        put_block_size(bw, end - start, size_bits);
        bw.align_for_bytes();
        for r in reps_in {
            bw.put_bytes(&r.to_le_bytes());
        }
        bw.put_bytes(&self.data[start..end]);
        if (end - start) & 1 == 1 {
            bw.put_bytes(&[0]);
        }
        self.reps = reps_in;
    }
}

/// Records a cheaper way to reach `j` from `i`.
#[inline(always)]
fn relax(
    cost: &mut [u32],
    from: &mut [u32],
    step: &mut [Item],
    i: usize,
    j: usize,
    c: u32,
    item: Item,
) {
    if c < cost[j] {
        cost[j] = c;
        from[j] = i as u32;
        step[j] = item;
    }
}

/// Cost of a match of `len` bytes through position slot `slot` with `extra` verbatim bits.
#[inline(always)]
fn match_cost(costs: &Costs, slot: usize, extra: u32, len: usize) -> u32 {
    let header = (len - MIN_MATCH).min(NUM_PRIMARY_LENS);
    let mut c = costs.main[NUM_CHARS + slot * NUM_LEN_HEADERS + header] + extra;
    if header == NUM_PRIMARY_LENS {
        c += costs.len[len - MIN_MATCH - NUM_PRIMARY_LENS];
    }
    c
}

/// Main symbol, length symbol and position slot of a match item.
#[inline]
fn match_symbols(it: &Item) -> (usize, Option<usize>, usize) {
    let slot = if it.code < 3 {
        it.code as usize
    } else {
        slot_of(it.code)
    };
    let header = (it.len as usize - MIN_MATCH).min(NUM_PRIMARY_LENS);
    let len_sym =
        (header == NUM_PRIMARY_LENS).then(|| it.len as usize - MIN_MATCH - NUM_PRIMARY_LENS);
    (NUM_CHARS + slot * NUM_LEN_HEADERS + header, len_sym, slot)
}

/// Position slot of a formatted offset (>= 3).
#[inline]
fn slot_of(f: u32) -> usize {
    if f < 4 {
        f as usize
    } else if f < SLOT_BASE[36] {
        let msb = 31 - f.leading_zeros();
        (2 * msb + ((f >> (msb - 1)) & 1)) as usize
    } else {
        36 + ((f - SLOT_BASE[36]) >> 17) as usize
    }
}

/// Updates the repeated offsets as the decoder does for `item`.
#[inline]
fn apply(reps: &mut [u32; 3], item: Item) {
    if item.len == 0 {
        return;
    }
    if item.code < 3 {
        reps.swap(0, item.code as usize);
    } else {
        *reps = [item.code - 2, reps[0], reps[1]];
    }
}

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
fn lens_items(prev: &[u8], new: &[u8]) -> PretreeCoded {
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
            items.push((17, 4, (run.min(19) - 4) as u8));
            i += run.min(19);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_of_matches_the_table() {
        for slot in 3..MAX_SLOTS {
            let lo = SLOT_BASE[slot];
            let hi = SLOT_BASE[slot + 1] - 1;
            assert_eq!(slot_of(lo), slot, "base of slot {slot}");
            assert_eq!(slot_of(hi), slot, "end of slot {slot}");
        }
    }
}
