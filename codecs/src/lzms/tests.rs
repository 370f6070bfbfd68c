//! Unit tests: Huffman construction against a textbook priority-queue build, table decoding of
//! every codeword, input checks, and hostile inputs. The reference vectors are in
//! `tests/lzms_vectors.rs`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::decompress;
use super::huffman::AdaptiveCode;
use super::streams::Streams;
use super::tables::MAX_CODEWORD_LEN;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

/// Code lengths by the classic algorithm: a priority queue keyed by (weight, leaf before
/// internal node, order), lengths handed out longest first by increasing (frequency, symbol).
fn textbook_lengths(freqs: &[u32]) -> Vec<u8> {
    let n = freqs.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&s| (freqs[s], s));
    // Node ids: leaves 0..n in sorted order, internal nodes n.. in creation order.
    let mut heap = BinaryHeap::new();
    for (rank, &s) in order.iter().enumerate() {
        heap.push(Reverse((u64::from(freqs[s]), 0u8, rank)));
    }
    let mut parent = vec![usize::MAX; 2 * n - 1];
    let mut next = n;
    while heap.len() > 1 {
        let Reverse((w1, _, a)) = heap.pop().expect("two nodes");
        let Reverse((w2, _, b)) = heap.pop().expect("two nodes");
        parent[a] = next;
        parent[b] = next;
        heap.push(Reverse((w1 + w2, 1u8, next)));
        next += 1;
    }
    let mut depth_count = [0usize; 64];
    for leaf in 0..n {
        let mut d = 0;
        let mut x = leaf;
        while parent[x] != usize::MAX {
            x = parent[x];
            d += 1;
        }
        depth_count[d] += 1;
    }
    let mut lens = vec![0u8; n];
    let mut i = 0;
    for d in (1..64).rev() {
        for _ in 0..depth_count[d] {
            lens[order[i]] = d as u8;
            i += 1;
        }
    }
    lens
}

fn kraft_is_complete(lens: &[u8]) -> bool {
    let sum: u64 = lens.iter().map(|&l| 1u64 << (32 - u32::from(l))).sum();
    sum == 1 << 32
}

#[test]
fn huffman_lengths_match_the_textbook_algorithm() {
    let mut rng = Rng(7);
    let mut compared = 0;
    for &n in &[2usize, 3, 8, 54, 256, 799] {
        let mut code = AdaptiveCode::<10>::new(n, u32::MAX);
        assert_eq!(
            code.lens(),
            &textbook_lengths(&vec![1; n])[..],
            "n={n} flat"
        );
        for round in 0..30 {
            // Small frequencies (many ties) and skewed ones, as adaptation produces.
            let freqs: Vec<u32> = (0..n)
                .map(|_| match round % 3 {
                    0 => 1 + rng.next() % 4,
                    1 => 1 + (rng.next() % 64).pow(2) / 16,
                    _ => 1 + rng.next() % 2000,
                })
                .collect();
            code.rebuild_from(&freqs);
            let want = textbook_lengths(&freqs);
            if want.iter().any(|&l| usize::from(l) > MAX_CODEWORD_LEN) {
                continue; // the length limiter's domain, tested below
            }
            assert_eq!(code.lens(), &want[..], "n={n} round={round}");
            compared += 1;
        }
    }
    assert!(compared > 150, "only {compared} cases compared");
}

#[test]
fn overlong_codes_are_limited_to_15_bits() {
    // Fibonacci-like weights give a 20-deep tree; the limiter must keep a complete code.
    let mut freqs = vec![1u32, 1];
    while freqs.len() < 22 {
        let k = freqs.len();
        freqs.push(freqs[k - 1] + freqs[k - 2]);
    }
    let mut code = AdaptiveCode::<10>::new(freqs.len(), u32::MAX);
    code.rebuild_from(&freqs);
    assert!(code.lens().iter().all(|&l| (1..=15).contains(&l)));
    assert!(kraft_is_complete(code.lens()));
    assert_eq!(code.lens().iter().filter(|&&l| l == 15).count(), 8);
}

/// Packs `(value, bit count)` pairs into an LZMS backward stream: 16-bit units filled high bit
/// first, the first unit at the end of the buffer.
fn backward_stream(fields: &[(u32, u32)]) -> Vec<u8> {
    let mut units: Vec<u16> = Vec::new();
    let (mut acc, mut n) = (0u64, 0u32);
    for &(v, bits) in fields {
        acc = (acc << bits) | u64::from(v);
        n += bits;
        while n >= 16 {
            units.push((acc >> (n - 16)) as u16);
            n -= 16;
        }
    }
    if n > 0 {
        units.push((acc << (16 - n)) as u16);
    }
    units.iter().rev().flat_map(|u| u.to_le_bytes()).collect()
}

/// Canonical codewords for `lens`.
fn codewords(lens: &[u8]) -> Vec<u32> {
    let mut count = [0u32; 17];
    for &l in lens {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; 17];
    for l in 1..16 {
        next[l + 1] = (next[l] + count[l]) << 1;
    }
    lens.iter()
        .map(|&l| {
            let c = next[usize::from(l)];
            next[usize::from(l)] += 1;
            c
        })
        .collect()
}

#[test]
fn decode_tables_decode_every_codeword() {
    let mut rng = Rng(11);
    for &(n, tb) in &[
        (2usize, 7u32),
        (8, 7),
        (54, 9),
        (256, 10),
        (799, 10),
        (799, 6),
    ] {
        for round in 0..5 {
            let freqs: Vec<u32> = (0..n)
                .map(|i| match round {
                    0 => 1,
                    // Steep: forces long codewords into second-level tables.
                    1 => 1 + (3000 >> (i % 13)),
                    _ => 1 + rng.next() % 300,
                })
                .collect();
            let ok = match tb {
                6 => decodes_its_codewords::<6>(n, &freqs, round),
                7 => decodes_its_codewords::<7>(n, &freqs, round),
                9 => decodes_its_codewords::<9>(n, &freqs, round),
                _ => decodes_its_codewords::<10>(n, &freqs, round),
            };
            assert!(ok, "n={n} tb={tb} round={round}");
        }
    }
}

/// Builds the code of `freqs` with a `TB`-bit table and decodes a stream of its codewords.
fn decodes_its_codewords<const TB: u32>(n: usize, freqs: &[u32], round: usize) -> bool {
    let mut code = AdaptiveCode::<TB>::new(n, u32::MAX);
    code.rebuild_from(freqs);
    let lens = code.lens().to_vec();
    let words = codewords(&lens);
    let syms: Vec<usize> = (0..3 * n).map(|k| (k * 7 + round) % n).collect();
    let fields: Vec<(u32, u32)> = syms
        .iter()
        .map(|&s| (words[s], u32::from(lens[s])))
        .collect();
    let stream = backward_stream(&fields);
    let mut bits = Streams::new(&stream);
    syms.iter().all(|&s| code.decode(&mut bits) == Some(s)) && !bits.overrun()
}

#[test]
fn reset_restores_the_initial_code() {
    let stream = backward_stream(&[(0b1010_1010, 8); 40]);
    let decode_all = |code: &mut AdaptiveCode<7>| {
        let mut bits = Streams::new(&stream);
        (0..40).map(|_| code.decode(&mut bits)).collect::<Vec<_>>()
    };
    let mut fresh = AdaptiveCode::<7>::new(256, 16);
    let want = decode_all(&mut fresh);
    // Adapted (rebuilt twice), then reset to the same and to another alphabet and back.
    let mut code = AdaptiveCode::<7>::new(256, 16);
    decode_all(&mut code);
    for n in [256, 54, 256] {
        code.reset(n);
    }
    assert_eq!(decode_all(&mut code), want);
}

#[test]
fn single_symbol_code_decodes_zero_and_rejects_one() {
    let mut code = AdaptiveCode::<10>::new(1, u32::MAX);
    let stream = backward_stream(&[(0, 1), (1, 1)]);
    let mut bits = Streams::new(&stream);
    assert_eq!(code.decode(&mut bits), Some(0));
    assert_eq!(code.decode(&mut bits), None);
    let mut empty = AdaptiveCode::<10>::new(0, u32::MAX);
    assert_eq!(empty.decode(&mut bits), None);
}

#[test]
fn backward_stream_reads_units_from_the_end() {
    let data = [0x34, 0x12, 0x78, 0x56]; // units 0x1234, 0x5678; 0x5678 is read first
    let mut bits = Streams::new(&data);
    assert_eq!(bits.read_bits(4), 0x5);
    assert_eq!(bits.read_bits(16), 0x6781);
    assert_eq!(bits.read_bits(12), 0x234);
    assert!(!bits.overrun());
    assert_eq!(bits.read_bits(3), 0);
    assert!(bits.overrun());
}

#[test]
fn input_checks() {
    let mut out = [0u8; 10];
    assert!(decompress(&[], &mut []).is_ok());
    assert!(decompress(&[1, 2, 3], &mut []).is_ok());
    assert!(decompress(&[], &mut out).is_err());
    assert!(decompress(&[0, 0], &mut out).is_err());
    assert!(decompress(&[0, 0, 0, 0, 0], &mut out).is_err());
    // All-zero input: literals from an all-zero bit stream until the stream runs out.
    assert!(decompress(&[0; 4], &mut out).is_err());
    assert!(decompress(&[0; 64], &mut vec![0u8; 1 << 20]).is_err());
}

#[test]
fn garbage_never_panics() {
    let mut rng = Rng(99);
    for round in 0..3000 {
        let len = 4 + 2 * (rng.next() as usize % 200);
        let input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let out_len = match round % 4 {
            0 => 1 + rng.next() as usize % 4,
            1 => 1 + rng.next() as usize % 64,
            2 => 1 + rng.next() as usize % 4096,
            _ => 1 + rng.next() as usize % 200_000,
        };
        let mut out = vec![0u8; out_len];
        let _ = decompress(&input, &mut out);
    }
}
