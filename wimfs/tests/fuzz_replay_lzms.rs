//! Replays every input kept under `tests/fuzz_regressions/lzms_decompress/` through the same
//! logic as the `lzms_decompress` fuzz target (first three bytes: output size modulo 1 MiB + 1;
//! the rest: the chunk): each must decode or fail with a DecodeError, never panic or hang, and
//! a successful decode must not depend on the output buffer's previous contents.
//!
//! Kept inputs: `corpus-*` are a sample of the corpus of a 4-minute run seeded with the
//! reference vectors (`RUSTC_BOOTSTRAP=1 cargo fuzz run lzms_decompress`), which found no
//! crash; `edge-*` are hand-made (all-ones and all-zeros chunks for a 1 MiB output, a 2-byte
//! output whose offset code has a single symbol, an odd-length chunk). Add crashing inputs
//! here as `crash-*`.

use std::path::Path;

use wimfs::compress::lzms::decompress;

fn replay(data: &[u8]) -> Option<bool> {
    let (size, input) = data.split_first_chunk::<3>()?;
    let size = (usize::from(size[0]) | usize::from(size[1]) << 8 | usize::from(size[2]) << 16)
        % ((1 << 20) + 1);
    let mut out = vec![0u8; size];
    let ok = decompress(input, &mut out).is_ok();
    if ok {
        let mut again = vec![0xFFu8; size];
        assert!(decompress(input, &mut again).is_ok());
        assert_eq!(out, again);
    }
    Some(ok)
}

#[test]
fn every_kept_input_is_handled() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions/lzms_decompress");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("regression dir exists") {
        let path = entry.expect("dir entry").path();
        let bytes = std::fs::read(&path).expect("readable");
        let outcome = replay(&bytes);
        println!("{}: {outcome:?}", path.display());
        count += 1;
    }
    assert!(count >= 8, "expected the kept inputs, found {count}");
}
