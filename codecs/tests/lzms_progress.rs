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

/// A chunk of literals only (random bytes of 7 bits: no matches) is reported on too: the
/// literal loop stops at each report.
#[test]
fn a_chunk_without_matches_is_reported_on() {
    let mut x = 0x1234_5678_9abc_def1u64;
    let data: Vec<u8> = (0..3 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8 & 0x7F
        })
        .collect();
    let packed = lzms::compress_fast(&data).expect("7-bit bytes compress");
    let mut out = vec![0u8; data.len()];
    let mut items = 0;
    lzms::decompress_with_progress(&packed, &mut out, &mut |p| {
        if !p.final_pass && p.output < data.len() {
            items += 1;
        }
    })
    .expect("decode");
    assert!(out == data, "decoded bytes differ");
    assert!(items >= data.len() / PROGRESS_STEP - 1, "{items} reports");
}

/// Lines drawn from a small pool (long runs of matches, no literal between them) and no byte
/// the x86 filter looks at: both passes are still reported on every step or so.
#[test]
fn long_match_runs_and_a_filter_pass_without_candidates_are_reported_on() {
    let mut x = 0x0bad_cafe_f00d_1234u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let pool: Vec<String> = (0..300)
        .map(|i| format!("{i:04} kernel driver service {}\n", next() % 1000))
        .collect();
    let mut data = Vec::new();
    while data.len() < 4 << 20 {
        data.extend_from_slice(pool[(next() % 300) as usize].as_bytes());
    }
    let packed = lzms::compress_fast(&data).expect("compressible");
    let mut out = vec![0u8; data.len()];
    let mut reports: Vec<Progress> = Vec::new();
    lzms::decompress_with_progress(&packed, &mut out, &mut |p| reports.push(p)).expect("decode");
    assert!(out == data, "decoded bytes differ");
    for pass in [false, true] {
        let at: Vec<usize> = reports
            .iter()
            .filter(|p| p.final_pass == pass)
            .map(|p| p.output)
            .collect();
        let widest = at
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or(usize::MAX);
        assert!(
            at.len() >= data.len() / PROGRESS_STEP && widest <= 2 * PROGRESS_STEP + (64 << 10),
            "final pass {pass}: {} reports, {widest} bytes apart at most",
            at.len()
        );
    }
}
