//! Tests of the row match finder (`row_finder`): its matches are real, come out by strictly
//! increasing length with the nearest offset for each, reach far repeats, and the
//! near-optimal parse with it round-trips at every size (the compressor uses it only for
//! chunks of 1 MiB and more).

use super::decompress;
use super::encode::compress_optimal_with;
use super::encode_tests::sample;
use super::match_finder::{match_len, LzFinder, Match};
use super::row_finder::RowFinder;

/// Every position searched: checks each match against the data, and returns them.
fn all_matches(data: &[u8], nice: usize) -> Vec<Vec<Match>> {
    let mut rf = RowFinder::new(data.len(), nice);
    let mut out = Vec::new();
    let mut all = Vec::new();
    for pos in 0..data.len() {
        rf.find(data, pos, 3, &mut out);
        let mut prev = 3;
        for m in &out {
            let (len, off) = (m.len as usize, m.offset as usize);
            assert!(len > prev, "lengths not increasing at {pos}: {out:?}");
            assert!(off >= 1 && off <= pos, "offset {off} at {pos}");
            let real = match_len(data, pos - off, pos, data.len() - pos);
            assert!(real >= len, "match at {pos} is {real} bytes, not {len}");
            prev = len;
        }
        all.push(out.clone());
    }
    all
}

/// All matches at `pos` by brute force: nearest first, each longer than all before.
fn brute_force(data: &[u8], pos: usize, nice: usize) -> Vec<Match> {
    let max = data.len() - pos;
    let mut best = 3;
    let mut out = Vec::new();
    for c in (0..pos).rev() {
        let len = match_len(data, c, pos, max);
        if len > best {
            best = len;
            out.push(Match {
                len: len as u32,
                offset: (pos - c) as u32,
            });
            if len >= nice || len == max {
                break;
            }
        }
    }
    out
}

#[test]
fn small_inputs_get_every_match() {
    // Words of a large vocabulary: few repeats per row, none evicted, so the rows see every
    // earlier position and must report what a full search does.
    let vocab: Vec<Vec<u8>> = (0..1000).map(|i| sample("random", 6, i)).collect();
    let picks = sample("random", 1400, 99);
    let mut data = Vec::new();
    for pair in picks.chunks(2) {
        data.extend_from_slice(&vocab[(usize::from(pair[0]) * 4 + usize::from(pair[1])) % 1000]);
    }
    data.truncate(4000);
    let all = all_matches(&data, 48);
    for (pos, found) in all.iter().enumerate() {
        assert_eq!(found, &brute_force(&data, pos, 48), "at {pos}");
    }
}

#[test]
fn matches_are_real_and_increasing() {
    for kind in ["text", "x86", "records", "mixed"] {
        all_matches(&sample(kind, 200_000, 7), 48);
    }
}

#[test]
fn finds_the_nearest_copy_and_far_repeats() {
    // Random bytes, a copy 3 bytes on (a 64 KiB offset), and a copy of the start far away.
    let block = sample("random", 65_536, 1);
    let mut data = block.clone();
    data.extend_from_slice(&block);
    data.extend(sample("random", 3 << 20, 2));
    data.extend_from_slice(&block[..1000]);
    let all = all_matches(&data, 48);
    for pos in [65_536usize, 70_000, 131_000] {
        let best = all[pos].last().copied();
        assert_eq!(
            best.map(|m| (m.offset, m.len >= 48)),
            Some((65_536, true)),
            "at {pos}: {:?}",
            all[pos]
        );
    }
    // Rows keep the newest positions only: the far copy (of the second block, the nearest)
    // is found through the 8-byte table,
    // which loses about half of them to collisions with 3 MiB of random positions.
    let far = data.len() - 1000;
    let found = (far..far + 100)
        .filter(|&p| {
            all[p]
                .last()
                .is_some_and(|m| m.offset as usize == far - 65_536 && m.len >= 48)
        })
        .count();
    assert!(found >= 20, "far repeat found at {found} of 100 positions");
}

#[test]
fn optimal_parse_with_rows_round_trips() {
    for kind in ["zeros", "random", "text", "x86", "records", "mixed"] {
        for (i, &n) in [1usize, 4, 5, 19, 4096, 65_537, 300_000].iter().enumerate() {
            let data = sample(kind, n, i as u64);
            for rows in [true, false] {
                if let Some(packed) = compress_optimal_with(&data, rows) {
                    let mut out = vec![0u8; n];
                    decompress(&packed, &mut out).expect("our output decodes");
                    assert!(out == data, "{kind} {n} rows={rows} differs");
                }
            }
        }
    }
}
