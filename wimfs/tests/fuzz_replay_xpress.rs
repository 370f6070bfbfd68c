//! Replays every input kept under `tests/fuzz_regressions/xpress_decompress/` through the same
//! checks as the `xpress_decompress` fuzz target (first two bytes: little-endian output size;
//! the rest: the compressed chunk). Crash reproducers found by `cargo fuzz run
//! xpress_decompress` go there (named `crash-*`); `seed-*` files are fuzzer-made inputs that
//! reach the decoder's error paths (bad tables, truncated streams, bad matches).

use std::path::Path;

use wimfs::compress::xpress::decompress;

fn replay(data: &[u8]) {
    let Some((size, input)) = data.split_first_chunk::<2>() else {
        return;
    };
    let size = usize::from(u16::from_le_bytes(*size));
    let mut out = vec![0u8; size];
    if decompress(input, &mut out).is_ok() {
        let mut again = vec![0xFFu8; size];
        assert!(decompress(input, &mut again).is_ok());
        assert_eq!(out, again);
    }
}

#[test]
fn replay_xpress_decompress_regressions() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions/xpress_decompress");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("regression dir") {
        let path = entry.expect("dir entry").path();
        let data = std::fs::read(&path).expect("read regression input");
        replay(&data);
        // Every truncation of it too: the cheapest extra hostile inputs there are.
        for cut in (0..data.len()).step_by(7) {
            replay(&data[..cut]);
        }
        n += 1;
    }
    assert!(n > 0, "no inputs in {}", dir.display());
}
