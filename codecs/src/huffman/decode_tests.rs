//! Decode tables against canonical codes computed the slow way.

use super::*;

/// Canonical (code, len) per symbol.
fn canonical(lens: &[u8]) -> Vec<(u64, u32)> {
    let mut out = vec![(0, 0); lens.len()];
    let mut code = 0u64;
    for len in 1..=16u32 {
        for (s, &l) in lens.iter().enumerate() {
            if u32::from(l) == len {
                out[s] = (code, len);
                code += 1;
            }
        }
        code <<= 1;
    }
    out
}

/// Every symbol's codeword, followed by arbitrary bits, decodes to it with its length.
fn check<const TB: u32>(lens: &[u8]) {
    let mut t = DecodeTable::<TB>::new();
    t.build(lens, 16).expect("valid code");
    for (sym, (code, len)) in canonical(lens).into_iter().enumerate() {
        if len == 0 {
            continue;
        }
        for tail in [0u64, u64::MAX >> len, 0x5555_5555_5555_5555 >> len] {
            let e = t.lookup(code << (64 - len) | tail);
            assert_eq!((entry_sym(e), entry_len(e)), (sym, len), "TB {TB}");
        }
    }
}

fn check_all(lens: &[u8]) {
    check::<4>(lens);
    check::<6>(lens);
    check::<8>(lens);
    check::<11>(lens);
}

#[test]
fn decodes_short_and_long_codes() {
    // A complete code with lengths 1..=16 (two of length 16).
    let mut lens: Vec<u8> = (1..=16).collect();
    lens.push(16);
    check_all(&lens);
    check_all(&[8u8; 256]);
    // 2 of length 2, 64 of length 8, 128 of length 9 (complete).
    let mut lens = vec![2u8, 2];
    lens.extend(vec![8u8; 64]);
    lens.extend(vec![9u8; 128]);
    check_all(&lens);
    // Symbols out of length order.
    check_all(&[3, 1, 3, 4, 4, 4, 5, 6, 6, 0, 0]);
}

#[test]
fn reuse_leaves_nothing_of_an_earlier_code() {
    let mut t = DecodeTable::<6>::new();
    let mut long: Vec<u8> = (1..=16).collect();
    long.push(16);
    t.build(&long, 16).expect("valid");
    // Now an incomplete code: only "0" is a codeword.
    assert_eq!(t.build(&[0, 1, 0], 16), Ok(false));
    assert_eq!(entry_sym(t.lookup(0)), 1);
    for bits in [1u64 << 63, u64::MAX, 0xC000_0000_0000_0000] {
        assert_eq!(t.lookup(bits), INVALID, "{bits:x} is no codeword");
    }
}

#[test]
fn incomplete_and_empty_codes() {
    let mut t = DecodeTable::<6>::new();
    assert_eq!(t.build(&[0; 20], 15), Ok(false), "empty code is allowed");
    assert_eq!(t.lookup(0), INVALID);
    assert_eq!(t.lookup(u64::MAX), INVALID);
    // Incomplete code with long codewords still decodes them; the gap does not.
    let mut lens = vec![0u8; 300];
    lens[0] = 1;
    lens[7] = 14;
    lens[299] = 16;
    assert_eq!(t.build(&lens, 16), Ok(false));
    check::<8>(&lens);
    assert_eq!(t.lookup(u64::MAX), INVALID);
    assert_eq!(t.build(&[1, 1], 16), Ok(true));
}

#[test]
fn oversubscribed_and_out_of_range_are_rejected() {
    let mut t = DecodeTable::<6>::new();
    assert!(t.build(&[1, 1, 1], 15).is_err());
    assert!(t.build(&[9; 513], 16).is_err());
    assert_eq!(t.build(&[9; 512], 16), Ok(true));
    assert!(t.build(&[2, 2, 2, 2, 3], 15).is_err());
    assert!(t.build(&[16, 1], 15).is_err(), "longer than max_len");
    assert!(t.build(&[1; 1025], 16).is_err(), "alphabet too large");
}
