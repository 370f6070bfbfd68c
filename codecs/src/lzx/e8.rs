//! E8 (x86 CALL) translation, WIM flavour ([MS-PATCH] §2.7 "Preprocessing: E8 call
//! translation", with the WIM differences documented by wimlib).
//!
//! Before compression, the 32-bit operand after each `E8` byte is turned from a relative into
//! an absolute target, which makes repeated calls to one function repeat byte-for-byte; the
//! decoder undoes it. In a WIM the translation is always on (there is no header bit), the
//! "file size" is always [`E8_FILE_SIZE`], positions count from the start of the chunk (every
//! chunk is a separate LZX stream), and it covers the whole chunk whatever its size. An `E8`
//! is only considered when it starts before the last 10 bytes, and the 4 bytes after every
//! considered `E8` are skipped whether or not they were translated, so both sides see the same
//! `E8` positions.

use super::consts::E8_FILE_SIZE;

/// Undoes the translation on a decoded chunk.
pub(super) fn decode(data: &mut [u8]) {
    filter(data, |abs, pos| {
        if abs >= 0 {
            (abs < E8_FILE_SIZE).then(|| abs.wrapping_sub(pos))
        } else {
            (abs >= -pos).then(|| abs.wrapping_add(E8_FILE_SIZE))
        }
    });
}

/// Applies the translation to a chunk before compressing it.
pub(super) fn encode(data: &mut [u8]) {
    filter(data, |rel, pos| {
        if rel >= -pos && rel < E8_FILE_SIZE {
            Some(if rel < E8_FILE_SIZE - pos {
                rel.wrapping_add(pos)
            } else {
                rel.wrapping_sub(E8_FILE_SIZE)
            })
        } else {
            None
        }
    });
}

fn filter(data: &mut [u8], f: impl Fn(i32, i32) -> Option<i32>) {
    if data.len() <= 10 {
        return;
    }
    let limit = data.len() - 10;
    let mut i = 0;
    while i < limit {
        match find_e8(&data[i..limit]) {
            Some(k) => i += k,
            None => break,
        }
        let operand = [data[i + 1], data[i + 2], data[i + 3], data[i + 4]];
        // Chunks are at most 2 MiB, so the position fits an i32.
        let pos = i32::try_from(i).unwrap_or(i32::MAX);
        if let Some(v) = f(i32::from_le_bytes(operand), pos) {
            data[i + 1..i + 5].copy_from_slice(&v.to_le_bytes());
        }
        i += 5;
    }
}

/// Index of the first 0xE8 byte, eight bytes at a time.
#[inline]
fn find_e8(hay: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const PATTERN: u64 = 0xE8E8_E8E8_E8E8_E8E8;
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w) ^ PATTERN;
        // The lowest flagged byte is exactly the first zero byte of x.
        let t = x.wrapping_sub(ONES) & !x & HIGHS;
        if t != 0 {
            return Some(base + (t.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == 0xE8)
        .map(|k| base + k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_e8_matches_naive_search() {
        let mut v = vec![0u8; 40];
        for p in 0..40 {
            v.fill(0x17);
            v[p] = 0xE8;
            if p + 3 < 40 {
                v[p + 3] = 0xE8;
            }
            assert_eq!(find_e8(&v), Some(p));
            assert_eq!(find_e8(&v[..p]), None);
        }
        // Bytes that differ from E8 by one bit must not match.
        let w = [0xE9u8, 0x68, 0xE0, 0xF8, 0xC8, 0xEA, 0x01, 0x00, 0xE8];
        assert_eq!(find_e8(&w), Some(8));
    }

    #[test]
    fn translation_examples() {
        // A call at position 20 to relative +0x100 becomes absolute 0x114.
        let mut d = vec![0u8; 40];
        d[20] = 0xE8;
        d[21..25].copy_from_slice(&0x100i32.to_le_bytes());
        let orig = d.clone();
        encode(&mut d);
        assert_eq!(&d[21..25], &0x114i32.to_le_bytes());
        decode(&mut d);
        assert_eq!(d, orig);
        // Not considered in the last 10 bytes.
        let mut d = vec![0u8; 20];
        d[10] = 0xE8;
        d[11] = 5;
        let orig = d.clone();
        encode(&mut d);
        assert_eq!(d, orig);
        d[9] = 0xE8;
        encode(&mut d);
        assert_ne!(d, orig);
    }

    #[test]
    fn roundtrip_on_every_pattern_near_edges() {
        // Operands around the translation boundaries, at several positions.
        let vals = [
            0i32,
            1,
            -1,
            -20,
            -21,
            E8_FILE_SIZE - 1,
            E8_FILE_SIZE,
            E8_FILE_SIZE - 25,
            i32::MIN,
            i32::MAX,
        ];
        for &v in &vals {
            for pos in 0..30 {
                let mut d = vec![0xE8u8; 60];
                d[pos + 1..pos + 5].copy_from_slice(&v.to_le_bytes());
                let orig = d.clone();
                encode(&mut d);
                decode(&mut d);
                assert_eq!(d, orig, "value {v} at {pos}");
            }
        }
    }
}
