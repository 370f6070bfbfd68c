//! Differential test: every `IMAGE.TREE.manifest` under tests/fixtures was written by an
//! independent tool (pycdlib, xorriso, 7z; see make-fixtures.sh); our tree, walked through the
//! `Vfs` trait, must match it: paths, kinds, sizes, bytes (SHA-1), symlink targets, modes.

mod support;

use support::{compare, manifests, open, read_manifest, walk};

#[test]
fn every_fixture_matches_its_oracle() {
    let mut failures = Vec::new();
    let mut entries = 0usize;
    let all = manifests();
    assert!(
        all.len() >= 15,
        "expected the committed manifests, found {}",
        all.len()
    );
    for (m, image, tree) in &all {
        let name = m.display();
        let oracle = read_manifest(m);
        let fs = match open(image, Some(*tree)) {
            Ok(fs) => fs,
            Err(e) => {
                failures.push(format!("{name}: cannot open: {e}"));
                continue;
            }
        };
        let ours = walk(&fs);
        entries += oracle.len();
        let diffs = compare(&ours, &oracle);
        if !diffs.is_empty() {
            failures.push(format!("{name}:\n  {}", diffs.join("\n  ")));
        }
    }
    eprintln!("{} manifests, {entries} oracle entries compared", all.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
