//! Decoder edge cases on hand-built streams.

use super::bitwrite::BitWriter;
use super::consts::*;
use super::decompress;

/// Canonical codewords for `lens`.
fn codes(lens: &[u8]) -> Vec<u32> {
    let mut out = vec![0; lens.len()];
    let mut code = 0u32;
    for len in 1..=16u8 {
        for (s, &l) in lens.iter().enumerate() {
            if l == len {
                out[s] = code;
                code += 1;
            }
        }
        code <<= 1;
    }
    out
}

/// Writes `new` lengths as deltas from `prev` with a flat pretree (every symbol 5 bits).
fn put_lens(bw: &mut BitWriter, prev: &[u8], new: &[u8]) {
    for _ in 0..PRETREE_SYMS {
        bw.put(5, 4);
    }
    for (p, n) in prev.iter().zip(new) {
        bw.put((u32::from(*p) + 17 - u32::from(*n)) % 17, 5);
    }
}

/// A 32 KiB-window verbatim block whose main code gives 4 bits to each of `used` symbols.
struct Block {
    main_lens: Vec<u8>,
    main_codes: Vec<u32>,
}

fn verbatim(bw: &mut BitWriter, size: u32, used: &[usize]) -> Block {
    bw.put(BLOCK_VERBATIM, 3);
    bw.put(0, 1);
    bw.put(size, 16);
    let mut main_lens = vec![0u8; num_main_syms(15)];
    for &s in used {
        main_lens[s] = 4;
    }
    put_lens(bw, &[0; 256], &main_lens[..256]);
    put_lens(bw, &vec![0; main_lens.len() - 256], &main_lens[256..]);
    put_lens(bw, &[0; LEN_SYMS], &[0; LEN_SYMS]);
    let main_codes = codes(&main_lens);
    Block {
        main_lens,
        main_codes,
    }
}

impl Block {
    fn sym(&self, bw: &mut BitWriter, s: usize) {
        assert_eq!(self.main_lens[s], 4);
        bw.put(self.main_codes[s], 4);
    }
}

/// Main symbol of a match with a primary length (2..=8) and a position slot.
fn match_sym(len: usize, slot: usize) -> usize {
    NUM_CHARS + slot * NUM_LEN_HEADERS + (len - MIN_MATCH)
}

fn decode(input: &[u8], n: usize) -> Result<Vec<u8>, &'static str> {
    let mut out = vec![0u8; n];
    decompress(input, &mut out, 32768)
        .map(|()| out)
        .map_err(|e| e.reason)
}

#[test]
fn empty_and_one_byte() {
    assert_eq!(decode(&[], 0), Ok(vec![]));
    assert!(decode(&[], 1).is_err());
    let mut bw = BitWriter::default();
    let b = verbatim(&mut bw, 1, &[b'x' as usize, b'y' as usize]);
    b.sym(&mut bw, b'x' as usize);
    assert_eq!(decode(&bw.finish(), 1), Ok(b"x".to_vec()));
}

#[test]
fn overlapping_matches_and_repeat_offsets() {
    let a = b'a' as usize;
    let b = b'b' as usize;
    let c = b'c' as usize;
    let r0_len8 = match_sym(8, 0);
    let slot4_len3 = match_sym(3, 4); // formatted offsets 4..=5: offsets 2..=3, 1 extra bit
    let mut bw = BitWriter::default();
    let blk = verbatim(&mut bw, 3 + 8 + 3 + 8, &[a, b, c, r0_len8, slot4_len3]);
    blk.sym(&mut bw, a);
    blk.sym(&mut bw, b);
    blk.sym(&mut bw, c);
    blk.sym(&mut bw, slot4_len3);
    bw.put(1, 1); // formatted 5: offset 3 ("abc")
    blk.sym(&mut bw, r0_len8); // R0 = 3, overlapping
    blk.sym(&mut bw, r0_len8);
    let out = decode(&bw.finish(), 22).expect("valid stream");
    assert_eq!(&out[..], b"abcabcabcabcabcabcabca");
}

#[test]
fn run_of_one_byte() {
    let z = 0usize;
    let r0_len8 = match_sym(8, 0);
    let mut bw = BitWriter::default();
    let blk = verbatim(&mut bw, 1 + 8 * 40, &[z, r0_len8]);
    blk.sym(&mut bw, z);
    for _ in 0..40 {
        blk.sym(&mut bw, r0_len8);
    }
    assert_eq!(decode(&bw.finish(), 321), Ok(vec![0; 321]));
}

#[test]
fn match_before_start_is_rejected() {
    let r0 = match_sym(2, 0);
    let mut bw = BitWriter::default();
    let blk = verbatim(&mut bw, 2, &[r0, 1]);
    blk.sym(&mut bw, r0);
    assert_eq!(
        decode(&bw.finish(), 2),
        Err("LZX match starts before the start of the chunk")
    );
    // Offset 3 after two literals.
    let slot4 = match_sym(2, 4);
    let mut bw = BitWriter::default();
    let blk = verbatim(&mut bw, 4, &[slot4, 1]);
    blk.sym(&mut bw, 1);
    blk.sym(&mut bw, 1);
    blk.sym(&mut bw, slot4);
    bw.put(1, 1);
    assert!(decode(&bw.finish(), 4).is_err());
}

#[test]
fn match_past_block_end_is_rejected() {
    let r0_len8 = match_sym(8, 0);
    let mut bw = BitWriter::default();
    let blk = verbatim(&mut bw, 5, &[r0_len8, 7]);
    blk.sym(&mut bw, 7);
    blk.sym(&mut bw, r0_len8);
    assert_eq!(
        decode(&bw.finish(), 5),
        Err("LZX match extends past the end of its block")
    );
}

#[test]
fn bad_block_types_and_sizes() {
    for t in [0u32, 4, 5, 6, 7] {
        let mut bw = BitWriter::default();
        bw.put(t, 3);
        bw.put(1, 1);
        bw.put(0, 16);
        assert_eq!(
            decode(&bw.finish(), 10),
            Err("invalid LZX block type"),
            "type {t}"
        );
    }
    // Block larger than the chunk.
    let mut bw = BitWriter::default();
    bw.put(BLOCK_VERBATIM, 3);
    bw.put(0, 1);
    bw.put(11, 16);
    assert_eq!(
        decode(&bw.finish(), 10),
        Err("LZX block extends past the end of the chunk")
    );
}

#[test]
fn invalid_parameters() {
    let mut out = [0u8; 10];
    assert!(decompress(&[], &mut out, 0).is_err());
    assert!(decompress(&[], &mut out, (2 << 20) + 1).is_err());
    let mut big = vec![0u8; 32769];
    assert_eq!(
        decompress(&[], &mut big, 32768).map_err(|e| e.reason),
        Err("LZX chunk larger than its window")
    );
}

#[test]
fn truncated_stream_is_rejected() {
    let a = b'a' as usize;
    let mut bw = BitWriter::default();
    let blk = verbatim(&mut bw, 200, &[a, b'b' as usize]);
    for _ in 0..200 {
        blk.sym(&mut bw, a);
    }
    let full = bw.finish();
    assert_eq!(decode(&full, 200), Ok(vec![b'a'; 200]));
    for cut in 0..full.len() - 1 {
        assert!(decode(&full[..cut], 200).is_err(), "cut at {cut}");
    }
}

/// Uncompressed block: explicit R0..R2, odd size and its padding byte; then a verbatim block
/// that uses R1 from the uncompressed block's header.
#[test]
fn uncompressed_block_then_repeat_offset() {
    let mut bw = BitWriter::default();
    bw.put(BLOCK_UNCOMPRESSED, 3);
    bw.put(0, 1);
    bw.put(5, 16);
    bw.align_for_bytes();
    for r in [7u32, 3, 1] {
        bw.put_bytes(&r.to_le_bytes());
    }
    bw.put_bytes(b"hello");
    bw.put_bytes(&[0]); // odd size: one padding byte
    let r1_len3 = match_sym(3, 1);
    let blk = verbatim(&mut bw, 3, &[r1_len3, 1]);
    blk.sym(&mut bw, r1_len3); // R1 = 3: "llo"
    let out = decode(&bw.finish(), 8).expect("valid stream");
    assert_eq!(&out[..], b"hellollo");
}

/// When the bits before an uncompressed block's byte stream already end on a word boundary,
/// a whole padding word follows.
#[test]
fn uncompressed_block_on_word_boundary_skips_a_whole_word() {
    let (a, b, c) = (b'a' as usize, b'b' as usize, b'c' as usize);
    let slot4_len2 = match_sym(2, 4);
    let mut bw = BitWriter::default();
    // Header and trees: 20 + 3 * 80 + (256 + 240 + 249) * 5 = 3985 bits; 3 literals of 4 bits
    // and 3 matches of 4 + 1 bits bring it to 4012; the 20-bit header of the uncompressed
    // block ends at 4032, a multiple of 16.
    let blk = verbatim(&mut bw, 9, &[a, b, c, slot4_len2]);
    for s in [a, b, c] {
        blk.sym(&mut bw, s);
    }
    for _ in 0..3 {
        blk.sym(&mut bw, slot4_len2);
        bw.put(0, 1); // offset 2
    }
    bw.put(BLOCK_UNCOMPRESSED, 3);
    bw.put(0, 1);
    bw.put(3, 16);
    let before = bw.len();
    bw.align_for_bytes();
    assert_eq!(
        bw.len(),
        before + 2,
        "the test stream must be word-aligned here"
    );
    for r in [1u32, 1, 1] {
        bw.put_bytes(&r.to_le_bytes());
    }
    bw.put_bytes(b"xyz\0");
    let stream = bw.finish();
    assert_eq!(decode(&stream, 12), Ok(b"abcbcbcbcxyz".to_vec()));
    // Without the padding word the header and bytes are misread.
    let mut short = stream[..4032 / 8].to_vec();
    short.extend_from_slice(&stream[4032 / 8 + 2..]);
    assert!(decode(&short, 12).is_err());

    // A zero repeated offset is invalid.
    let mut bw = BitWriter::default();
    bw.put(BLOCK_UNCOMPRESSED, 3);
    bw.put(0, 1);
    bw.put(4, 16);
    bw.align_for_bytes();
    let mut stream = bw.finish();
    stream.extend_from_slice(&[0; 12]);
    stream.extend_from_slice(b"abcd");
    assert_eq!(
        decode(&stream, 4),
        Err("LZX uncompressed block has a zero repeated offset")
    );
    // Truncated byte stream.
    assert_eq!(
        decode(&stream[..stream.len() - 1], 4),
        Err("LZX uncompressed block truncated")
    );
}

#[test]
fn e8_translation_is_undone_on_uncompressed_blocks() {
    let mut chunk = vec![0x90u8; 64];
    chunk[10] = 0xE8;
    chunk[11..15].copy_from_slice(&0x1000i32.to_le_bytes()); // absolute 0x1000 at position 10
    let mut bw = BitWriter::default();
    bw.put(BLOCK_UNCOMPRESSED, 3);
    bw.put(0, 1);
    bw.put(64, 16);
    bw.align_for_bytes();
    for r in [1u32, 1, 1] {
        bw.put_bytes(&r.to_le_bytes());
    }
    bw.put_bytes(&chunk);
    let out = decode(&bw.finish(), 64).expect("valid");
    assert_eq!(&out[11..15], &(0x1000i32 - 10).to_le_bytes());
}

#[test]
fn random_garbage_never_panics() {
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..3000 {
        let len = (next() % 600) as usize;
        let mut input: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if round % 3 == 0 && input.len() > 1 {
            // Plausible verbatim header: type 1, default size.
            input[1] = 0x30 | (input[1] & 0x0f);
        }
        let out_len = (next() % 40000) as usize;
        let window = [32768usize, 65536, 1 << 21][round % 3];
        let mut out = vec![0u8; out_len.min(window)];
        let _ = decompress(&input, &mut out, window);
    }
}
