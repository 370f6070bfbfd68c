//! The parse ([`super::parse`]) on a block built to need its special ways: records that
//! differ from an earlier one in one byte (gap ways), interleaved tables (R1 and R2), and a
//! long repeat (positions inside a match of `nice` bytes have no cached matches). The items
//! must rebuild the block when decoded as the decoder would.

use super::encode::MatchCache;
use super::items::{apply, Item};
use super::matchfind::MatchFinder;
use super::parse::{parse, Block, Costs, Search};
use super::stats::{costs_from, lazy};

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
