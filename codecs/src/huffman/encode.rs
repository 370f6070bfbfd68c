//! Huffman code construction for the encoder: length-limited codeword lengths from symbol
//! frequencies, and their canonical codewords (LZX: [MS-PATCH] §2.4; XPRESS: [MS-XCA] 2.1).
//!
//! Lengths come from a plain Huffman tree (two-queue construction over the sorted
//! frequencies); when the tree is deeper than the limit, the length counts are adjusted until
//! the Kraft sum is exactly one again and the lengths are handed out to the symbols by
//! decreasing frequency. Codes are always complete: a single used symbol gets a partner of
//! the same length, since strict decoders reject incomplete codes. A code with no used symbol
//! is all zeros (an empty code, which decoders accept for trees that are never used).

/// Largest alphabet the encoders build codes for (LZX main tree: 656 symbols).
const MAX_SYMS: usize = 1024;

/// Fills `lens` with codeword lengths of at most `max_len` bits for `freqs` (at most 1024
/// symbols).
pub(crate) fn make_lengths(freqs: &[u32], max_len: u32, lens: &mut [u8]) {
    debug_assert_eq!(freqs.len(), lens.len());
    debug_assert!(freqs.len() <= MAX_SYMS);
    lens.fill(0);
    // Used symbols, by increasing frequency (then symbol): sort keys `freq << 16 | symbol`,
    // all distinct, so an unstable sort gives one order.
    let mut keys = [0u64; MAX_SYMS];
    let mut n = 0;
    for (s, &f) in freqs.iter().enumerate().take(MAX_SYMS) {
        if f != 0 {
            keys[n] = u64::from(f) << 16 | s as u64;
            n += 1;
        }
    }
    let keys = &mut keys[..n];
    match n {
        0 => return,
        1 => {
            let s = (keys[0] & 0xFFFF) as usize;
            lens[s] = 1;
            lens[if s == 0 { 1 } else { 0 }] = 1;
            return;
        }
        _ => {}
    }
    keys.sort_unstable();

    // Two-queue Huffman: leaves 0..n (sorted), internal nodes n..2n-1 created in order of
    // non-decreasing weight. parent[] links every node but the root to its parent.
    let mut weight = [0u64; 2 * MAX_SYMS];
    for (w, &k) in weight.iter_mut().zip(keys.iter()) {
        *w = k >> 16;
    }
    let mut parent = [0u16; 2 * MAX_SYMS];
    let (mut leaf, mut internal) = (0usize, n);
    for node in n..2 * n - 1 {
        let mut pick = || {
            if leaf < n && (internal >= node || weight[leaf] <= weight[internal]) {
                leaf += 1;
                leaf - 1
            } else {
                internal += 1;
                internal - 1
            }
        };
        let a = pick();
        let b = pick();
        weight[node] = weight[a] + weight[b];
        parent[a] = node as u16;
        parent[b] = node as u16;
    }
    // Depths: the root (last node) is 0; parents come after their children.
    let root = 2 * n - 2;
    let mut depth = [0u8; 2 * MAX_SYMS];
    for node in (0..root).rev() {
        depth[node] = depth[usize::from(parent[node])].saturating_add(1);
    }

    // Length counts, clamped to max_len, then repaired so the Kraft sum is exactly 1.
    let max = max_len as usize;
    let mut count = [0u32; 33];
    for &d in &depth[..n] {
        count[usize::from(d).min(max)] += 1;
    }
    let target = 1u64 << max;
    let mut total: u64 = (1..=max).map(|l| u64::from(count[l]) << (max - l)).sum();
    while total > target && count[max] != 0 {
        // Drop one leaf of maximal length and split a shorter leaf into two one level deeper.
        count[max] -= 1;
        if let Some(l) = (1..max).rev().find(|&l| count[l] != 0) {
            count[l] -= 1;
            count[l + 1] += 2;
        }
        total -= 1;
    }
    debug_assert_eq!(total, target);
    // Shortest lengths to the most frequent symbols.
    let mut it = keys.iter().rev();
    for (l, &c) in count.iter().enumerate().take(max + 1).skip(1) {
        for _ in 0..c {
            if let Some(&k) = it.next() {
                lens[(k & 0xFFFF) as usize] = l as u8;
            }
        }
    }
}

/// Canonical codewords for `lens` (shorter first, then by symbol), most significant bit first.
pub(crate) fn make_codes(lens: &[u8], codes: &mut [u32]) {
    let mut count = [0u32; 18];
    for &l in lens {
        count[l as usize] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; 18];
    let mut code = 0u32;
    for l in 1..=16 {
        code = (code + count[l - 1]) << 1;
        next[l] = code;
    }
    for (s, &l) in lens.iter().enumerate() {
        if l != 0 {
            codes[s] = next[l as usize];
            next[l as usize] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kraft(lens: &[u8], max: u32) -> u64 {
        lens.iter()
            .filter(|&&l| l != 0)
            .map(|&l| 1u64 << (max - u32::from(l)))
            .sum()
    }

    #[test]
    fn complete_and_limited() {
        // Fibonacci frequencies make a maximally deep tree.
        let mut freqs = vec![1u32, 1];
        while freqs.len() < 30 {
            let k = freqs.len();
            freqs.push(freqs[k - 1] + freqs[k - 2]);
        }
        let mut lens = vec![0u8; 30];
        for max in [7u32, 15, 16] {
            make_lengths(&freqs, max, &mut lens);
            assert!(lens.iter().all(|&l| (1..=max as u8).contains(&l)));
            assert_eq!(kraft(&lens, max), 1 << max, "complete for max {max}");
            // More frequent symbols never get longer codes.
            for i in 1..30 {
                assert!(lens[i] <= lens[i - 1]);
            }
        }
        make_lengths(&freqs[..8], 7, &mut lens[..8]);
        assert_eq!(kraft(&lens[..8], 7), 128);
    }

    #[test]
    fn degenerate_counts() {
        let mut lens = [9u8; 5];
        make_lengths(&[0; 5], 16, &mut lens);
        assert_eq!(lens, [0; 5]);
        make_lengths(&[0, 0, 7, 0, 0], 16, &mut lens);
        assert_eq!(lens, [1, 0, 1, 0, 0]);
        make_lengths(&[3, 0, 0, 0, 0], 16, &mut lens);
        assert_eq!(lens, [1, 1, 0, 0, 0]);
        make_lengths(&[5, 5, 5, 5, 0], 16, &mut lens);
        assert_eq!(lens, [2, 2, 2, 2, 0]);
    }

    #[test]
    fn canonical_codes() {
        let lens = [2u8, 1, 3, 3];
        let mut codes = [0u32; 4];
        make_codes(&lens, &mut codes);
        assert_eq!(codes, [0b10, 0b0, 0b110, 0b111]);
    }
}
