//! XPRESS and LZX both store their bit streams as 16-bit little-endian words read from the most
//! significant bit down ([MS-XCA] 2.2.4; [MS-PATCH] §2.2). With the two bytes of every word
//! swapped, such a stream becomes plain big-endian bytes read most significant bit first, which
//! a decoder can load 8 bytes at a time with a single big-endian load.

/// Writes `src` with the bytes of each 16-bit word swapped to `dst` (of the same even length).
pub(crate) fn swap_pairs(src: &[u8], dst: &mut [u8]) {
    debug_assert!(src.len() == dst.len() && src.len().is_multiple_of(2));
    let (mut d8, mut s8) = (dst.chunks_exact_mut(8), src.chunks_exact(8));
    for (d, s) in (&mut d8).zip(&mut s8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(s);
        let v = u64::from_le_bytes(w);
        let v = ((v >> 8) & 0x00FF_00FF_00FF_00FF) | ((v & 0x00FF_00FF_00FF_00FF) << 8);
        d.copy_from_slice(&v.to_le_bytes());
    }
    for (d, s) in d8
        .into_remainder()
        .chunks_exact_mut(2)
        .zip(s8.remainder().chunks_exact(2))
    {
        d.copy_from_slice(&[s[1], s[0]]);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn swaps_every_pair() {
        for n in [0usize, 2, 8, 10, 16, 30] {
            let src: Vec<u8> = (0..n as u8).collect();
            let mut dst = vec![0u8; n];
            super::swap_pairs(&src, &mut dst);
            let want: Vec<u8> = src.chunks(2).flat_map(|w| [w[1], w[0]]).collect();
            assert_eq!(dst, want);
        }
    }
}
