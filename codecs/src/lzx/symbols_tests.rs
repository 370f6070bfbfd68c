//! The symbol loop's edges, through our encoder: literals and matches that end exactly at the
//! end of the chunk (the three-literal stretch, then the one-symbol tail), every short offset
//! (the copies of `crate::lzcopy::copy_inline`), and truncated input (refills past the end).

use super::{compress, decompress};

/// xorshift64*: deterministic test data without a dependency.
fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut s = seed;
    move || {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        s.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Random bytes with runs that repeat the last `period` (1..=20) bytes for 2..=40 bytes, the
/// last run reaching the end.
fn runs(size: usize, seed: u64) -> Vec<u8> {
    let mut next = rng(seed);
    let mut v: Vec<u8> = Vec::with_capacity(size);
    while v.len() < size {
        for _ in 0..(next() % 6) {
            v.push(next() as u8);
        }
        let period = 1 + (next() % 20) as usize;
        let len = 2 + (next() % 39) as usize;
        for _ in 0..len {
            let b = v.len().checked_sub(period).map_or(b'x', |i| v[i]);
            v.push(b);
        }
    }
    v.truncate(size);
    v
}

fn roundtrip(data: &[u8]) {
    let Some(c) = compress(data, 32768) else {
        return;
    };
    let mut out = vec![0xA5; data.len()];
    decompress(&c, &mut out, 32768).expect("own output decodes");
    assert_eq!(out, data, "size {}", data.len());
}

#[test]
fn matches_and_literals_up_to_the_end_of_the_chunk() {
    let sizes = [
        1usize, 2, 3, 4, 5, 16, 17, 31, 32, 33, 34, 47, 48, 49, 100, 4095,
    ];
    let big = [32766usize, 32767, 32768];
    for (k, &size) in sizes.iter().chain(&big).enumerate() {
        for seed in 1..=4u64 {
            roundtrip(&runs(size, seed * 100 + k as u64));
            // The same ending in one repeated byte (offset 1 up to the last byte).
            let mut d = runs(size, seed);
            let tail = size.min(40);
            d[size - tail..].fill(7);
            roundtrip(&d);
        }
    }
}

#[test]
fn every_short_offset_and_length() {
    let mut data = Vec::new();
    let mut next = rng(99);
    for period in 1..=33usize {
        for len in 2..=40usize {
            for _ in 0..period {
                data.push(next() as u8);
            }
            for _ in 0..len {
                data.push(data[data.len() - period]);
            }
        }
    }
    for chunk in data.chunks(32768) {
        roundtrip(chunk);
    }
}

#[test]
fn truncated_input_gives_an_error_or_the_right_bytes() {
    let data = runs(3000, 5);
    let c = compress(&data, 32768).expect("compressible");
    for cut in 0..c.len() {
        let mut out = vec![0u8; data.len()];
        if decompress(&c[..cut], &mut out, 32768).is_ok() {
            // Only trailing padding may be missing.
            assert_eq!(out, data, "cut at {cut} of {}", c.len());
        }
    }
}
