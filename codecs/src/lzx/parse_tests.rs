//! The parse ([`super::parse`]) on a block built to need its special ways: records that
//! differ from an earlier one in one byte (gap ways), interleaved tables (R1 and R2), and a
//! long repeat (positions inside a match of `nice` bytes have no cached matches). The items
//! must rebuild the block when decoded as the decoder would. And block splitting
//! ([`super::split`]) on a chunk of two kinds of data.

use super::encode::MatchCache;
use super::items::{apply, Item};
use super::matchfind::MatchFinder;
use super::parse::{parse, Block, Costs, Search};
use super::stats::{costs_from, lazy};
use super::{compress, decompress};

/// Records of 24 bytes copied from one of the four before with one byte changed (gap ways), two
/// interleaved tables (repeated offsets other than R0), and a long repeat (positions
/// without cached matches).
fn block_data() -> Vec<u8> {
    let mut seed = 5u32;
    let mut rnd = || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        (seed >> 16) as u8
    };
    let mut v: Vec<u8> = (0..96).map(|_| rnd()).collect();
    for _ in 0..900 {
        // A copy of one of the last four records with one byte changed.
        let back = 24 * (1 + usize::from(rnd() % 4));
        let mut rec = v[v.len() - back..v.len() - back + 24].to_vec();
        rec[usize::from(rnd()) % 24] = rnd();
        v.extend_from_slice(&rec);
    }
    let a: Vec<u8> = (0..40).map(|_| rnd()).collect();
    let b: Vec<u8> = (0..56).map(|_| rnd()).collect();
    for k in 0..100 {
        v.extend_from_slice(&a[k % 7..k % 7 + 9]);
        v.push(rnd());
        v.extend_from_slice(&b[k % 11..k % 11 + 13]);
        v.push(rnd());
    }
    v.extend_from_within(1000..3000);
    v.extend((0..500).map(|_| rnd()));
    assert!(v.len() <= 32768, "one block of a 32 KiB window");
    v
}

/// Parses `data` as one block the way the driver does and returns the items and how
/// many gap ways the best path takes.
fn parse_block(data: &[u8], nice: usize) -> (Vec<Item>, usize) {
    let mut mf = MatchFinder::new(data, nice, 32);
    let mut cache = MatchCache::default();
    cache.collect(&mut mf, data, 0, data.len(), nice, data.len());
    let b = Block {
        data,
        start: 0,
        end: data.len(),
        cache: &cache.matches,
        cache_at: &cache.at,
    };
    let mut items = Vec::new();
    let freqs = lazy(&b, [1; 3], 496, &mut items);
    let mut costs = Costs::default();
    costs_from(&freqs, &mut costs);
    let mut search = Search::default();
    parse(&b, &costs, [1; 3], &mut search, &mut items);
    let gaps = search.gap_ways(data.len());
    (items, gaps)
}

#[test]
fn the_items_rebuild_the_block_with_gap_ways_and_repeated_offsets() {
    let data = block_data();
    let (items, gap_ways) = parse_block(&data, 64);
    // Decode the items as the decoder would (repeated offsets included).
    let mut out = Vec::new();
    let mut reps = [1u32; 3];
    let mut r12 = 0;
    for (k, &it) in items.iter().enumerate() {
        apply(&mut reps, it);
        if it.is_literal() {
            out.push(it.code as u8);
            continue;
        }
        let off = reps[0] as usize;
        assert!(off <= out.len(), "item {k}: offset {off} before the start");
        for _ in 0..it.len {
            out.push(out[out.len() - off]);
        }
        r12 += usize::from(it.code == 1 || it.code == 2);
    }
    assert_eq!(out.len(), data.len());
    assert!(out == data, "the parse's items do not rebuild the block");
    assert!(
        gap_ways >= 3,
        "the best path takes only {gap_ways} gap ways"
    );
    assert!(r12 >= 50, "only {r12} R1/R2 matches");
}

/// 16 KiB of text-like words, then 16 KiB of records of small binary values: two blocks
/// code them smaller than one.
fn two_kinds() -> Vec<u8> {
    let mut seed = 9u32;
    let mut rnd = move || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        seed >> 16
    };
    let words: Vec<Vec<u8>> = (0..200)
        .map(|_| {
            (0..2 + rnd() % 7)
                .map(|_| b'a' + (rnd() % 26) as u8)
                .collect()
        })
        .collect();
    let mut v = Vec::new();
    while v.len() < 16384 {
        v.extend_from_slice(&words[(rnd() % 200) as usize]);
        v.push(b' ');
    }
    v.truncate(16384);
    while v.len() < 32768 {
        v.extend_from_slice(&[0x80 | (rnd() % 16) as u8, 0, (rnd() % 4) as u8, 0xff]);
    }
    v
}

#[test]
fn a_chunk_of_two_kinds_is_written_as_two_blocks() {
    let data = two_kinds();
    let packed = compress(&data, 32768).expect("compressible");
    // The first block's header: 3 bits of type, then the "default size" flag, which is
    // clear when the block is shorter than the 32 KiB chunk.
    let word = u16::from_le_bytes([packed[0], packed[1]]);
    assert_ne!(word >> 13, 3, "the first block is not compressed");
    assert_eq!((word >> 12) & 1, 0, "the chunk was written as one block");
    let mut out = vec![0u8; data.len()];
    decompress(&packed, &mut out, 32768).expect("our decoder accepts the blocks");
    assert!(out == data, "the two blocks decode to other bytes");
}
