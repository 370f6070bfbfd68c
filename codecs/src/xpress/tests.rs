//! Unit tests: hand-built streams for the decoder's edge cases, and round trips.

use super::encode::encode_items;
use super::item::{Item, Unpacked};
use super::{compress, compress_with, decompress, Effort, BLOCK_SIZE};

/// xorshift64*: deterministic test data without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, m: u64) -> usize {
        (self.next() % m) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn lit(b: u8) -> Item {
    Item::literal(b)
}
fn mat(length: u32, offset: u32) -> Item {
    Item::new_match(length, offset)
}

/// What `items` decode to, computed the slow obvious way.
pub(super) fn expand(items: &[Item]) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        match item.unpack() {
            Unpacked::Literal(b) => out.push(b),
            Unpacked::Match { length, offset } => {
                for _ in 0..length {
                    out.push(out[out.len() - offset as usize]);
                }
            }
        }
    }
    out
}

fn encode(items: &[Item]) -> Vec<u8> {
    encode_items(items, usize::MAX, true).expect("no limit")
}

fn decode(input: &[u8], len: usize) -> Result<Vec<u8>, crate::DecodeError> {
    let mut out = vec![0xAA; len];
    decompress(input, &mut out).map(|()| out)
}

/// Compresses `data` at both efforts, checks that each decodes to it, and returns the size at
/// `Effort::Normal` (None when incompressible at both).
fn roundtrip(data: &[u8]) -> Option<usize> {
    let fast = compress_with(data, Effort::Fast);
    if let Some(c) = &fast {
        assert!(c.len() < data.len());
        assert_eq!(decode(c, data.len()).expect("fast output decodes"), data);
    }
    let c = compress(data);
    assert_eq!(compress_with(data, Effort::Normal), c);
    let c = c?;
    assert!(c.len() < data.len());
    assert_eq!(decode(&c, data.len()).expect("own output decodes"), data);
    Some(c.len())
}

#[test]
fn empty_output_needs_nothing() {
    assert_eq!(decode(&[], 0), Ok(vec![]));
    assert_eq!(decode(&[0u8; 300], 0), Ok(vec![]));
    assert_eq!(compress(&[]), None);
}

#[test]
fn one_byte() {
    let enc = encode(&[lit(b'x')]);
    assert_eq!(decode(&enc, 1).expect("decodes"), b"x");
    assert_eq!(compress(b"x"), None, "cannot beat 1 byte");
    assert!(
        decode(&enc, 2).is_err(),
        "asks for more than the stream holds"
    );
}

#[test]
fn bad_code_length_tables() {
    let mut input = vec![0u8; 300];
    assert!(
        decode(&input, 1).is_err(),
        "all-zero table, non-empty output"
    );
    input[0] = 0x01; // symbol 0 has length 1, nothing else: incomplete
    assert!(decode(&input, 1).is_err());
    input[0] = 0x11;
    input[1] = 0x01; // three codewords of length 1: over-subscribed
    assert!(decode(&input, 1).is_err());
    assert!(decode(&input[..255], 1).is_err(), "table cut short");
}

#[test]
fn overlapping_matches_and_length_encodings() {
    let mut items = vec![lit(1), lit(2), lit(3)];
    for off in 1..=3 {
        for len in [3, 4, 17, 18, 19, 200, 272, 273, 274, 1000, 5000] {
            items.push(mat(len, off));
        }
    }
    items.extend([
        mat(3, 20_000),
        lit(9),
        mat(16, 16),
        mat(40, 17),
        mat(12, 9),
        mat(5, 8),
    ]);
    let expected = expand(&items);
    assert_eq!(
        decode(&encode(&items), expected.len()).expect("decodes"),
        expected
    );
}

#[test]
fn extra_length_bytes_in_the_bulk_of_a_block() {
    // Many matches with 1- and 3-byte extra lengths (odd counts: the following words start at
    // odd positions, then even again) among literals and short matches, so that the fast loop
    // switches between its word-swapped copies and its careful path many times.
    let mut rng = Rng(21);
    let mut items = vec![lit(0), lit(1), lit(2), lit(3)];
    for i in 0..800u32 {
        for _ in 0..rng.below(4) {
            items.push(lit(rng.next() as u8));
        }
        items.push(match i % 5 {
            0 => mat(18 + (i % 40), 1 + i % 4),
            1 => mat(272 + i % 20, 2),
            2 => mat(3 + i % 12, 1 + (i % 3)),
            3 => mat(19, 4),
            _ => mat(5, 1),
        });
    }
    let expected = expand(&items);
    assert!(expected.len() <= BLOCK_SIZE, "one block");
    assert_eq!(
        decode(&encode(&items), expected.len()).expect("decodes"),
        expected
    );
}

#[test]
fn max_length_and_max_offset() {
    // One literal and a match covering the rest of a 64 KiB chunk (length 65535: u16 form).
    let items = [lit(7), mat(65535, 1)];
    let enc = encode(&items);
    assert_eq!(
        decode(&enc, BLOCK_SIZE).expect("decodes"),
        vec![7u8; BLOCK_SIZE]
    );
    // Offset 65535, the largest expressible.
    let mut rng = Rng(5);
    let mut items: Vec<Item> = rng.bytes(65535).into_iter().map(lit).collect();
    items.push(mat(1000, 65535));
    let expected = expand(&items);
    assert_eq!(
        decode(&encode(&items), expected.len()).expect("decodes"),
        expected
    );
    // The 32-bit length form from newer revisions of MS-XCA 2.2.4.
    let items = [lit(3), mat(70_000, 1)];
    let enc = encode(&items);
    assert_eq!(decode(&enc, 70_001).expect("decodes"), vec![3u8; 70_001]);
}

#[test]
fn offset_before_start_or_match_past_end() {
    let enc = encode(&[lit(1), mat(3, 2)]);
    assert!(decode(&enc, 4).is_err(), "offset 2 at position 1");
    let enc = encode(&[lit(1), mat(10, 1)]);
    assert!(
        decode(&enc, 5).is_err(),
        "match longer than the remaining output"
    );
    assert_eq!(decode(&enc, 11).expect("decodes"), vec![1u8; 11]);
}

#[test]
fn truncated_input_never_yields_wrong_data() {
    let mut rng = Rng(9);
    let mut data = Vec::new();
    while data.len() < 20_000 {
        let n = 1 + rng.below(6);
        let word = rng.bytes(n);
        for _ in 0..=rng.next() % 40 {
            data.extend_from_slice(&word);
        }
        let n = rng.below(30);
        data.extend(rng.bytes(n));
    }
    let enc = compress(&data).expect("compressible");
    let mut errors = 0;
    for cut in 0..enc.len() {
        match decode(&enc[..cut], data.len()) {
            Ok(out) => assert_eq!(out, data, "cut at {cut}"),
            Err(_) => errors += 1,
        }
    }
    assert!(
        errors >= enc.len() - 6,
        "only the final words may be droppable"
    );
}

#[test]
fn garbage_never_panics() {
    let mut rng = Rng(77);
    let valid = compress(&b"hello hello hello hello world world world ".repeat(50)).expect("ok");
    for round in 0..3000 {
        let len = (rng.next() % 2000) as usize;
        let mut input = if round % 2 == 0 {
            rng.bytes(len)
        } else {
            // A valid table with a corrupted bit stream.
            let mut v = valid.clone();
            for _ in 0..=rng.next() % 8 {
                let i = (rng.next() as usize) % v.len();
                v[i] = rng.next() as u8;
            }
            v
        };
        if round % 5 == 0 {
            input.truncate(len.min(input.len()));
        }
        let out_len = (rng.next() % 70_000) as usize;
        let _ = decode(&input, out_len);
    }
}

#[test]
fn two_blocks() {
    // Outputs longer than 64 KiB change tables every 65536 bytes; the next table follows the
    // words the decoder has loaded (exactly the end of a literal-only block here).
    let mut rng = Rng(3);
    let a = rng.bytes(BLOCK_SIZE);
    let b = b"second block".repeat(10);
    let items_a: Vec<Item> = a.iter().map(|&x| lit(x)).collect();
    let mut stream = encode_items(&items_a, usize::MAX, false).expect("no limit");
    let items_b: Vec<Item> = b.iter().map(|&x| lit(x)).collect();
    stream.extend(encode(&items_b));
    let out = decode(&stream, a.len() + b.len()).expect("decodes");
    assert_eq!(&out[..a.len()], &a[..]);
    assert_eq!(&out[a.len()..], &b[..]);
}

#[test]
fn roundtrips() {
    let mut rng = Rng(1);
    assert_eq!(
        roundtrip(&rng.bytes(40_000)),
        None,
        "random data is incompressible"
    );
    assert_eq!(roundtrip(&[0u8; 100]), None, "the table alone is 256 bytes");
    for len in [1000, 32_768, 65_536] {
        assert!(roundtrip(&vec![0u8; len]).expect("zeros compress") < 300);
    }
    let text = b"The quick brown fox jumps over the lazy dog. 0123456789\n".repeat(1200);
    for len in [32_768, 65_536] {
        roundtrip(&text[..len]).expect("text compresses");
    }
    // Skewed bytes: Huffman-only gains, long codes.
    let skew: Vec<u8> = (0..BLOCK_SIZE)
        .map(|_| (rng.next() % 64).trailing_zeros() as u8)
        .collect();
    roundtrip(&skew).expect("skewed compresses");
    // Fibonacci-like frequencies push the unlimited Huffman code past 15 bits.
    let mut fib = Vec::new();
    let (mut x, mut y) = (1usize, 1usize);
    for sym in 0..24u8 {
        fib.extend(std::iter::repeat_n(sym, x));
        (x, y) = (y, x + y);
        if fib.len() > 60_000 {
            break;
        }
    }
    fib.truncate(BLOCK_SIZE);
    let mut shuffled = fib.clone();
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, rng.next() as usize % (i + 1));
    }
    roundtrip(&shuffled).expect("compresses");
    // Random mixtures of runs and repeats, many sizes.
    for len in [2usize, 3, 5, 17, 100, 4097, 20_000, 65_535, 65_536] {
        let mut d = Vec::with_capacity(len);
        while d.len() < len {
            match rng.next() % 3 {
                0 => {
                    let n = rng.below(8);
                    d.extend(rng.bytes(n));
                }
                1 => d.extend(std::iter::repeat_n(
                    rng.next() as u8,
                    (rng.next() % 300) as usize,
                )),
                _ if d.len() > 4 => {
                    let start = rng.next() as usize % d.len();
                    let n = (rng.next() % 500) as usize;
                    for i in 0..n {
                        d.push(d[start + i % (d.len() - start).max(1)]);
                    }
                }
                _ => {}
            }
        }
        d.truncate(len);
        roundtrip(&d);
    }
}

#[test]
fn all_512_symbols_with_many_long_codes() {
    // Geometric literal counts and every match header once: most codewords end up 13..15 bits
    // long, filling as many second-level decode tables as 512 symbols allow.
    let mut rng = Rng(11);
    let mut items = Vec::new();
    for sym in 0..=255u8 {
        for _ in 0..(40_000usize >> (sym / 12)).max(1) {
            items.push(lit(sym));
        }
    }
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i as u64 + 1));
    }
    items.truncate(40_000);
    for header in 0..256u32 {
        let (log2, class) = (header >> 4, header & 0xF);
        items.push(mat(3 + class + if class == 15 { 5 } else { 0 }, 1 << log2));
    }
    let expected = expand(&items);
    assert_eq!(
        decode(&encode(&items), expected.len()).expect("decodes"),
        expected
    );
}

/// The compressor's tables live on from chunk to chunk (positions numbered on, cleared only
/// when the u16 entries run out): a chunk must come out the same whatever came before it on
/// the thread, even when earlier chunks share its content (stale entries would then match).
#[test]
fn output_does_not_depend_on_earlier_chunks() {
    let mut rng = Rng(0x5EED);
    let words: Vec<Vec<u8>> = (0..200)
        .map(|_| {
            let n = 3 + rng.below(9);
            rng.bytes(n)
        })
        .collect();
    let mut chunk = |n: usize| {
        let mut c = Vec::with_capacity(n + 12);
        while c.len() < n {
            c.extend_from_slice(&words[rng.below(words.len() as u64)]);
        }
        c.truncate(n);
        c
    };
    // Sizes that pack several chunks between clears, and full 64 KiB ones that force them.
    let sizes = [
        30_000, 100, 32_768, 5_000, 32_768, 65_536, 17, 40_000, 65_536, 20_000,
    ];
    let chunks: Vec<Vec<u8>> = sizes.iter().map(|&n| chunk(n)).collect();
    let fresh: Vec<Option<Vec<u8>>> = chunks
        .iter()
        .map(|c| {
            let c = c.clone();
            std::thread::spawn(move || compress(&c))
                .join()
                .expect("no panic")
        })
        .collect();
    for _ in 0..2 {
        for (c, f) in chunks.iter().zip(&fresh) {
            // The fast effort shares the thread's tables: it must leave no trace either.
            if let Some(fast) = compress_with(c, Effort::Fast) {
                assert_eq!(decode(&fast, c.len()).expect("decodes"), *c);
            }
            let ours = compress(c);
            assert_eq!(ours, *f, "chunk of {} bytes", c.len());
            if let Some(ours) = ours {
                assert_eq!(decode(&ours, c.len()).expect("decodes"), *c);
            }
        }
    }
}
