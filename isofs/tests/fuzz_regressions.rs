//! Replays every input kept under tests/fuzz_regressions/<target>/ through the harness entry
//! point of that fuzz target: each must finish without a panic, quickly.

use std::path::Path;
use std::time::{Duration, Instant};

/// A fuzz target's entry point.
type Target = fn(&[u8]);

#[test]
fn replay_fuzz_regressions() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let targets: [(&str, Target); 3] = [
        ("image", isofs::harness::image),
        ("structures", isofs::harness::structures),
        ("zisofs", isofs::harness::zisofs),
    ];
    let mut replayed = 0;
    for (dir, run) in targets {
        let Ok(entries) = std::fs::read_dir(base.join(dir)) else {
            continue;
        };
        for e in entries {
            let path = e.expect("entry").path();
            let data = std::fs::read(&path).expect("readable input");
            let start = Instant::now();
            run(&data);
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{} took {:?}",
                path.display(),
                start.elapsed()
            );
            replayed += 1;
        }
    }
    eprintln!("{replayed} fuzz regression inputs replayed");
    assert!(replayed >= 4);
}
