//! Encoder tests: round trips through our decoder on varied data, the encoder's Huffman
//! lengths against the decoder's, and the range coder alone. (Round trips through wimlib's
//! decoder are in `tests/lzms_wimlib.rs`.)

use super::huffman::AdaptiveCode;
use super::huffman_encode::AdaptiveHuffman;
use super::{compress, compress_fast, compress_with_effort, decompress, Effort};

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

/// Test data of `n` bytes of the given kind.
pub(super) fn sample(kind: &str, n: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut v = Vec::with_capacity(n + 16);
    match kind {
        "zeros" => v.resize(n, 0),
        "random" => v.extend((0..n).map(|_| rng.next() as u8)),
        "text" => {
            let words = [
                "the ", "chunk ", "offset ", "of ", "LZMS ", "range ", "coder\n", "and ",
                "Huffman ", "matches ", "delta ", "window ", "x86 ", "filter, ", "a ", "is ",
            ];
            while v.len() < n {
                let w = words[(rng.next() % 16) as usize];
                v.extend_from_slice(w.as_bytes());
            }
        }
        "x86" => {
            // Instruction-like bytes with calls and RIP-relative operands to repeated targets.
            while v.len() < n {
                let r = rng.next();
                let t = (r >> 8) & 0x3F;
                match r % 8 {
                    0 | 1 => v.extend_from_slice(&[0xE8, t as u8, 0x10, 0, 0]),
                    2 => v.extend_from_slice(&[0xE9, t as u8, 0xFF, 0xFF, 0xFF]),
                    3 => v.extend_from_slice(&[0x48, 0x8D, 0x05, t as u8, 0x20, 0, 0]),
                    4 => v.extend_from_slice(&[0xFF, 0x15, t as u8, 0x30, 0, 0]),
                    5 => v.extend_from_slice(&[0x48, 0x8B, 0x0D, t as u8, 0x40, 0, 0]),
                    _ => v.extend_from_slice(&[0x89, 0x45, (r >> 16) as u8, 0x8B, 0x4D]),
                }
            }
        }
        "records" => {
            // Fixed-size records whose fields count up: what delta matches are for.
            let mut k = 0u32;
            while v.len() < n {
                v.extend_from_slice(&k.to_le_bytes());
                v.extend_from_slice(&(k.wrapping_mul(3)).to_le_bytes());
                v.extend_from_slice(&[0x11, 0x22, (rng.next() % 3) as u8, 0x44]);
                k += 1;
            }
        }
        "mixed" => {
            for (i, kind) in ["text", "random", "zeros", "x86", "text", "records"]
                .iter()
                .cycle()
                .enumerate()
            {
                if v.len() >= n {
                    break;
                }
                let part = (n / 5).max(1).min(n - v.len());
                v.extend(sample(kind, part, seed + i as u64));
            }
        }
        _ => panic!("unknown kind {kind}"),
    }
    v.truncate(n);
    v
}

/// Compresses `data` every way (fast, light, normal) and checks that our decoder gives it
/// back; returns the compressed size (of [`compress`]).
pub(super) fn roundtrip(data: &[u8]) -> Option<usize> {
    for packed in [
        compress_fast(data),
        compress_with_effort(data, Effort::Light),
    ]
    .iter()
    .flatten()
    {
        check(data, packed);
    }
    let packed = compress(data);
    if let Some(packed) = &packed {
        check(data, packed);
    }
    packed.map(|p| p.len())
}

fn check(data: &[u8], packed: &[u8]) {
    assert!(packed.len() < data.len());
    assert!(packed.len().is_multiple_of(2) && packed.len() >= 4);
    let mut out = vec![0xA5u8; data.len()];
    if let Err(e) = decompress(packed, &mut out) {
        panic!("our output of {} bytes does not decode: {e}", data.len());
    }
    assert!(out == data, "round trip of {} bytes differs", data.len());
}

#[test]
fn round_trips_of_varied_data() {
    let sizes = [
        1usize, 2, 3, 7, 17, 18, 19, 100, 1001, 4096, 65536, 65537, 131_072,
    ];
    for kind in ["zeros", "random", "text", "x86", "records", "mixed"] {
        for (i, &n) in sizes.iter().enumerate() {
            let data = sample(kind, n, i as u64);
            let size = roundtrip(&data);
            match kind {
                "random" => assert!(n < 1000 || size.is_none(), "random {n} compressed"),
                "zeros" | "text" | "records" if n >= 4096 => {
                    assert!(size.is_some_and(|s| s < n / 2), "{kind} {n}: {size:?}")
                }
                "x86" if n >= 4096 => assert!(size.is_some(), "{kind} {n}: {size:?}"),
                _ => {}
            }
        }
    }
    assert_eq!(compress(&[]), None);
}

#[test]
fn round_trips_of_several_mebibytes() {
    for kind in ["mixed", "x86", "zeros"] {
        let data = sample(kind, 5 * 1024 * 1024 + 3, 42);
        assert!(roundtrip(&data).is_some(), "{kind} did not compress");
    }
}

/// Calls (`opcode` E8) to a few targets from everywhere, as relative operands.
fn calls(opcode: u8) -> Vec<u8> {
    let mut data = Vec::new();
    let mut rng = Rng(5);
    while data.len() < 60_000 {
        let pos = data.len() as u32;
        let target = 0x4000 + (rng.next() % 4) * 0x100;
        data.push(opcode);
        data.extend_from_slice(&target.wrapping_sub(pos).to_le_bytes());
        data.extend_from_slice(&[0x90, 0x90, (rng.next() % 4) as u8]);
    }
    data
}

#[test]
fn x86_filter_is_applied() {
    // Filtered, the operands become absolute and repeat; the same bytes behind another opcode
    // are not filtered and compress much worse. (Compared with the lazy parse, which has no
    // delta matches: those would also find the operands' regular steps.)
    let (e8, e7) = (calls(0xE8), calls(0xE7));
    roundtrip(&e8).expect("compresses");
    roundtrip(&e7).expect("compresses");
    let filtered = compress_fast(&e8).expect("compresses").len();
    let plain = compress_fast(&e7).expect("compresses").len();
    assert!(
        filtered * 3 < plain * 2,
        "with E8: {filtered}, without: {plain}"
    );
}

#[test]
fn huffman_lengths_match_the_decoder() {
    let mut rng = Rng(11);
    for &n in &[2usize, 3, 8, 54, 256, 799] {
        let mut enc = AdaptiveHuffman::new(n, u32::MAX);
        let mut dec = AdaptiveCode::<10>::new(n, u32::MAX);
        assert_eq!(enc.lens(), dec.lens(), "n={n} flat");
        for round in 0..60 {
            let freqs: Vec<u32> = (0..n)
                .map(|k| match round % 4 {
                    0 => 1 + rng.next() % 4,
                    1 => 1 + (rng.next() % 64).pow(2) / 16,
                    2 => 1 + rng.next() % 2000,
                    // Powers of two: deeper than 15 bits, so the limiter is exercised (the
                    // decoder clamps frequencies above 2^22, which adaptation never reaches).
                    _ => 1 + (1u32 << (k % 20)) + rng.next() % 3,
                })
                .collect();
            enc.rebuild_from(&freqs);
            dec.rebuild_from(&freqs);
            assert_eq!(enc.lens(), dec.lens(), "n={n} round={round}");
        }
    }
}

/// The delta finder's table is reused from chunk to chunk on a thread: a chunk compressed after
/// others on the same thread must come out as on a thread of its own (stale entries from an
/// earlier chunk would change the matches, or point past the chunk).
#[test]
fn reused_finder_tables_do_not_change_the_output() {
    let chunk = sample("records", 131_072, 7);
    for effort in [Effort::Normal, Effort::Light] {
        let alone = std::thread::scope(|s| {
            s.spawn(|| compress_with_effort(&chunk, effort))
                .join()
                .expect("thread")
        });
        let after_others = std::thread::scope(|s| {
            s.spawn(|| {
                for seed in 1..4 {
                    let _ = compress_with_effort(&sample("records", 131_072, seed), effort);
                }
                let _ = compress_with_effort(&sample("mixed", 40_000, 9), effort);
                compress_with_effort(&chunk, effort)
            })
            .join()
            .expect("thread")
        });
        assert!(alone.is_some(), "records compress");
        assert!(
            alone == after_others,
            "{effort:?}: output depends on earlier chunks"
        );
    }
}
