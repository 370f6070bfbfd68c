//! Replays every input kept under `tests/fuzz_regressions/wim_open/` (crashes found by the
//! `wim_open` fuzz target, plus wimlib's hostile test WIMs) through the same entry point:
//! each must be answered with an error or a walk, never a panic or hang.

use std::path::Path;
use std::sync::Arc;

use common::io::ReadAt;

#[test]
fn every_kept_input_is_handled() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions/wim_open");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("regression dir exists") {
        let path = entry.expect("dir entry").path();
        let bytes = std::fs::read(&path).expect("readable");
        let source: Arc<dyn ReadAt> = Arc::new(bytes);
        let result = wimfs::walk::walk_all(source, 64 << 20);
        println!(
            "{}: {:?}",
            path.display(),
            result.as_ref().map(|s| s.entries)
        );
        count += 1;
    }
    assert!(count >= 8, "expected the kept inputs, found {count}");
}

#[test]
fn truncations_and_bit_flips_of_a_real_wim_never_panic() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/sample.wim");
    let original = std::fs::read(&sample).expect("sample WIM");
    let step = (original.len() / 97).max(1);
    for cut in (0..original.len()).step_by(step) {
        let source: Arc<dyn ReadAt> = Arc::new(original[..cut].to_vec());
        assert!(
            wimfs::walk::walk_all(source, 1 << 20).is_err(),
            "truncated at {cut} must fail to open"
        );
    }
    for pos in (0..original.len()).step_by(step / 3 + 1) {
        let mut bytes = original.clone();
        bytes[pos] ^= 0x5a;
        let source: Arc<dyn ReadAt> = Arc::new(bytes);
        let _ = wimfs::walk::walk_all(source, 1 << 20);
    }
}
