//! `lzms::decompress_with_progress` decodes exactly what `decompress` does and reports, about
//! every `PROGRESS_STEP` bytes, positions that only move forward: the item pass over the
//! output with the unread input shrinking from both ends, then the x86 filter pass.

use wimcodecs::lzms;
use wimcodecs::progress::{Progress, PROGRESS_STEP};

/// ~5 MiB of text with repeats near and far, and bytes the x86 filter translates.
fn sample() -> Vec<u8> {
    let mut v = Vec::new();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut n = 0u32;
    while v.len() < 5 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        match x % 4 {
            0 => v.extend_from_slice(format!("entry {n} value {}\n", x % 1000).as_bytes()),
            1 => v.extend_from_slice(&[0xE8, x as u8, (x >> 8) as u8, 0, 0, 0x48, 0x8D, 0x05]),
            2 if v.len() > 300_000 => {
                let from = (x as usize >> 8) % (v.len() - 200);
                let piece = v[from..from + 200].to_vec();
                v.extend_from_slice(&piece);
            }
            _ => v.extend_from_slice(&x.to_le_bytes()),
        }
        n += 1;
    }
    v
}

#[test]
fn progress_reports_move_forward_and_the_output_is_unchanged() {
    let data = sample();
    let packed = lzms::compress_fast(&data).expect("compressible");
    let mut plain = vec![0u8; data.len()];
    lzms::decompress(&packed, &mut plain).expect("decode");
    assert!(plain == data, "plain decode differs");

    let mut reports: Vec<Progress> = Vec::new();
    let mut out = vec![0u8; data.len()];
    lzms::decompress_with_progress(&packed, &mut out, &mut |p| reports.push(p))
        .expect("decode with progress");
    assert!(out == data, "decode with progress differs");

    let (items, filter): (Vec<_>, Vec<_>) = reports.iter().partition(|p| !p.final_pass);
    let want = data.len() / PROGRESS_STEP;
    assert!(items.len() >= want, "{} item reports", items.len());
    assert!(filter.len() >= want, "{} filter reports", filter.len());
    for pass in [&items, &filter] {
        for w in pass.windows(2) {
            assert!(w[0].output <= w[1].output, "output went back: {w:?}");
            assert!(w[1].output - w[0].output <= 2 * PROGRESS_STEP + (64 << 10));
        }
        assert_eq!(pass.last().map(|p| p.output), Some(data.len()));
    }
    for w in items.windows(2) {
        let (a, b) = (&w[0].input_unread, &w[1].input_unread);
        assert!(
            b.is_empty() || (a.start <= b.start && b.end <= a.end),
            "unread input grew: {a:?} -> {b:?}"
        );
        assert!(a.end <= packed.len());
    }
}
