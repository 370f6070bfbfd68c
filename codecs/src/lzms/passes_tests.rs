//! The decoder's two ways of writing the output — in one pass (chunks up to 1 MiB) and in
//! blocks of items then sequences (`emit`, larger chunks) — on the same chunks: the same bytes
//! from good chunks, the same errors from damaged and garbage ones, never a panic.

use super::decode::decompress_in;
use super::encode::compress_fast;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Text with repeats near and far (LZ matches of every kind), 16-bit samples (delta matches),
/// and bytes the x86 filter translates.
fn sample(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut v: Vec<u8> = Vec::with_capacity(n + 300);
    while v.len() < n {
        let x = rng.next();
        match x % 5 {
            0 => v.extend_from_slice(format!("line {} of {}\n", x % 977, x % 13).as_bytes()),
            1 => v.extend_from_slice(&[0xE8, x as u8, (x >> 8) as u8, 0, 0, 0x48, 0x8D]),
            2 if v.len() > 4096 => {
                // A repeat from anywhere before, far ones included.
                let from = (x as usize >> 8) % (v.len() - 300);
                let len = 3 + (x as usize >> 40) % 250;
                let piece = v[from..from + len].to_vec();
                v.extend_from_slice(&piece);
            }
            3 => {
                // A ramp of 16-bit samples.
                let step = (x >> 16) as u16 % 7;
                let mut s = (x >> 32) as u16;
                for _ in 0..(x >> 48) % 64 {
                    v.extend_from_slice(&s.to_le_bytes());
                    s = s.wrapping_add(step);
                }
            }
            _ => v.push((x >> 24) as u8),
        }
    }
    v.truncate(n);
    v
}

#[test]
fn both_ways_decode_good_chunks_alike() {
    for (n, seed) in [(5000, 2), (100_000, 3), ((1 << 20) + 3, 4), (3 << 20, 5)] {
        let data = sample(n, seed);
        let packed = compress_fast(&data).expect("compressible");
        for direct in [true, false] {
            let mut out = vec![0u8; n];
            decompress_in(&packed, &mut out, direct).expect("decodes");
            assert!(out == data, "{n} bytes, direct {direct}: output differs");
        }
    }
}

#[test]
fn both_ways_fail_alike_on_damaged_chunks() {
    let mut rng = Rng(0x5eed);
    let data = sample(2 << 20, 6);
    let packed = compress_fast(&data).expect("compressible");
    let n = packed.len();
    let decode = |input: &[u8], size: usize, direct: bool| {
        let mut out = vec![0u8; size];
        decompress_in(input, &mut out, direct).map(|()| out)
    };
    let mut inputs: Vec<(Vec<u8>, usize)> = Vec::new();
    for cut in [n / 4, n / 2, n - 2] {
        inputs.push((packed[..cut & !1].to_vec(), data.len()));
        inputs.push((packed[n - (cut & !1)..].to_vec(), data.len()));
    }
    for _ in 0..30 {
        let mut damaged = packed.clone();
        for _ in 0..1 + rng.next() % 4 {
            let bit = (rng.next() % (8 * n as u64)) as usize;
            damaged[bit / 8] ^= 1 << (bit % 8);
        }
        inputs.push((damaged, data.len()));
    }
    for size in [1, 4096, data.len() / 2, data.len() + 1, 2 * data.len()] {
        inputs.push((packed.clone(), size));
    }
    for (input, size) in &inputs {
        let (one, two) = (decode(input, *size, true), decode(input, *size, false));
        match (&one, &two) {
            (Ok(a), Ok(b)) => assert!(a == b, "{size} bytes: outputs differ"),
            (Err(a), Err(b)) => assert_eq!(a, b),
            _ => panic!("{size} bytes: {:?} against {:?}", one.err(), two.err()),
        }
    }
}

#[test]
fn garbage_fails_alike_in_large_chunks() {
    let mut rng = Rng(0xbad);
    for round in 0..150 {
        let len = 4 + 2 * (rng.next() as usize % 2000);
        let input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let size = match round % 3 {
            0 => 1 + rng.next() as usize % 70_000,
            _ => (1 << 20) + rng.next() as usize % (2 << 20),
        };
        let mut a = vec![0u8; size];
        let mut b = vec![0u8; size];
        let one = decompress_in(&input, &mut a, true);
        let two = decompress_in(&input, &mut b, false);
        assert_eq!(one, two, "round {round}");
        if one.is_ok() {
            assert!(a == b, "round {round}: outputs differ");
        }
    }
}
