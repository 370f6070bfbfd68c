//! The fast loop's refills: the one before a match's offset bits is skipped when 16 bits are
//! still buffered, so a match whose offset bits need more than what three long codewords
//! left must still get its refill, wherever the refill boundaries fall.

use super::encode::encode_items;
use super::item::Item;
use super::tests::expand;
use super::{decompress, BLOCK_SIZE};

/// Literals 0..100 with geometric counts, so that the tree is deep and rare symbols get
/// codewords of 14..=15 bits, then groups of two rare literals and a rare match with 12..=15
/// offset bits, each group after 0..=3 common literals so that the group meets the refills at
/// every alignment (after none, the group fills one refill's three symbols).
fn long_codes_then_far_matches() -> Vec<Item> {
    let mut items = Vec::new();
    for sym in 0..100u8 {
        for _ in 0..(6000usize >> (sym / 4)).max(1) {
            items.push(Item::literal(sym));
        }
    }
    let mut out_len = items.len();
    let mut k = 0u32;
    // Few enough groups that their symbols stay rare.
    while out_len < BLOCK_SIZE - 200 && k < 120 {
        for j in 0..(k % 4) {
            items.push(Item::literal((j % 4) as u8));
        }
        let log2 = 12 + k % 4;
        let offset = (1u32 << log2) + (k * 977) % (1 << (log2 - 2));
        assert!(
            offset as usize <= out_len,
            "offset {offset} before the start"
        );
        items.push(Item::literal(100 + (2 * k % 150) as u8));
        items.push(Item::literal(101 + (2 * k % 150) as u8));
        items.push(Item::new_match(4 + k % 11, offset));
        out_len = expand(&items).len();
        k += 1;
    }
    items
}

#[test]
fn far_matches_after_long_codewords() {
    let items = long_codes_then_far_matches();
    assert!(items.len() > 40_000, "too few items");
    let expected = expand(&items);
    let enc = encode_items(&items, usize::MAX, true).expect("no limit");
    let mut out = vec![0u8; expected.len()];
    decompress(&enc, &mut out).expect("decodes");
    assert!(out == expected, "decoded bytes differ");
}
