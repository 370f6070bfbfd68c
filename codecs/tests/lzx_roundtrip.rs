//! LZX encoder round trips through our decoder (the fuzz harness's check), on degenerate,
//! full-chunk, large-window and random inputs; giving up on data that must shrink fails.

use wimcodecs::lzx::compress;

/// Compresses, checks the size contract, decodes and compares (the fuzz harness's check).
/// `None` when the encoder gave up (stores the chunk raw).
fn roundtrip(data: &[u8], window: usize) -> Option<usize> {
    wimcodecs::harness::lzx_roundtrip_window(data, window)
}

/// Like [`roundtrip`] for data the encoder must be able to shrink: giving up fails the test.
fn must_compress(data: &[u8], window: usize) -> usize {
    roundtrip(data, window).unwrap_or_else(|| {
        panic!(
            "the encoder gave up on {} compressible bytes (window {window})",
            data.len()
        )
    })
}

fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// Text-like data: words from a small vocabulary.
fn wordy(n: usize, seed: u64) -> Vec<u8> {
    let mut s = seed;
    let words: Vec<Vec<u8>> = (0..300)
        .map(|_| {
            let len = 2 + xorshift(&mut s) % 8;
            (0..len)
                .map(|_| b'a' + (xorshift(&mut s) % 26) as u8)
                .collect()
        })
        .collect();
    let mut v = Vec::with_capacity(n + 16);
    while v.len() < n {
        v.extend_from_slice(&words[(xorshift(&mut s) % 300) as usize]);
        v.push(if xorshift(&mut s).is_multiple_of(12) {
            b'\n'
        } else {
            b' '
        });
    }
    v.truncate(n);
    v
}

/// x86-like code: many E8 calls with relative targets to a few functions.
fn x86ish(n: usize, seed: u64) -> Vec<u8> {
    let mut s = seed;
    let funcs: Vec<i32> = (0..40)
        .map(|_| (xorshift(&mut s) % n as u64) as i32)
        .collect();
    let mut v = Vec::with_capacity(n + 16);
    while v.len() < n {
        match xorshift(&mut s) % 4 {
            0 => {
                let target = funcs[(xorshift(&mut s) % 40) as usize];
                let rel = target - (v.len() as i32 + 5);
                v.push(0xE8);
                v.extend_from_slice(&rel.to_le_bytes());
            }
            1 => v.extend_from_slice(&[0x48, 0x89, 0xc7]),
            2 => v.extend_from_slice(&[0x8b, 0x45, (xorshift(&mut s) % 16) as u8 * 8]),
            _ => v.push((xorshift(&mut s) % 256) as u8),
        }
    }
    v.truncate(n);
    v
}

#[test]
fn roundtrip_small_and_degenerate() {
    assert_eq!(compress(&[], 32768), None);
    assert_eq!(roundtrip(&[7], 32768), None);
    assert_eq!(roundtrip(b"ab", 32768), None);
    for n in [3usize, 10, 11, 12, 100, 1000] {
        roundtrip(&vec![0u8; n], 32768);
        roundtrip(&vec![0xE8u8; n], 32768);
        roundtrip(&wordy(n, n as u64), 32768);
    }
    for n in [100usize, 1000] {
        must_compress(&vec![0u8; n], 32768);
        must_compress(&vec![0xE8u8; n], 32768);
    }
    must_compress(&wordy(1000, 1000), 32768);
    // Too large for the window, or an invalid window: stored raw.
    assert_eq!(compress(&vec![0u8; 32769], 32768), None);
    assert_eq!(compress(&[0u8; 100], 0), None);
    assert_eq!(compress(&[0u8; 100], (2 << 20) + 1), None);
}

#[test]
fn roundtrip_full_chunks() {
    let zeros = vec![0u8; 32768];
    assert!(must_compress(&zeros, 32768) < 100);
    let text = wordy(32768, 1);
    let t = must_compress(&text, 32768);
    assert!(t < 32768 / 2, "text compresses ({t})");
    must_compress(&x86ish(32768, 2), 32768);
    let mut seed = 99u64;
    let random: Vec<u8> = (0..32768).map(|_| xorshift(&mut seed) as u8).collect();
    assert_eq!(roundtrip(&random, 32768), None, "random data is stored raw");
    // Repetitive with a long period and a few changes.
    let mut rep: Vec<u8> = (0..32768u32)
        .map(|i| (i % 1000) as u8 ^ (i / 7000) as u8)
        .collect();
    rep[5000] = 1;
    must_compress(&rep, 32768);
}

#[test]
fn roundtrip_large_windows() {
    for window in [65536usize, 1 << 20, 2 << 20] {
        let text = wordy(window, 3);
        must_compress(&text, window);
        must_compress(&x86ish(window.min(300_000), 4), window);
    }
    // 2 MiB chunk mixing text, random bytes (uncompressed blocks) and zeros.
    let mut seed = 5u64;
    let mut mixed = wordy(700_000, 6);
    mixed.extend((0..700_000).map(|_| xorshift(&mut seed) as u8));
    mixed.extend(vec![0u8; 2 * 1024 * 1024 - mixed.len()]);
    must_compress(&mixed, 2 << 20);
    // Odd sizes and a window larger than the data.
    must_compress(&wordy(100_001, 7), 2 << 20);
}

#[test]
fn roundtrip_random_inputs() {
    let mut seed = 0xfeed_beefu64;
    for round in 0..60 {
        let n = (xorshift(&mut seed) % 5000) as usize + 1;
        let kind = round % 4;
        let data: Vec<u8> = match kind {
            0 => (0..n).map(|_| xorshift(&mut seed) as u8).collect(),
            1 => (0..n).map(|_| (xorshift(&mut seed) % 3) as u8).collect(),
            2 => x86ish(n, round as u64),
            _ => wordy(n, round as u64),
        };
        let window = [32768usize, 65536, 2 << 20][round % 3];
        if kind != 0 && n >= 1000 {
            must_compress(&data, window);
        } else {
            roundtrip(&data, window);
        }
    }
}
