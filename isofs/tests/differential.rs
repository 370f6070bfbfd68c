//! Differential test: every `IMAGE.TREE.manifest` under tests/fixtures was written by an
//! independent tool (pycdlib, xorriso, 7z; see make-fixtures.sh); our tree, walked through the
//! `Vfs` trait, must match it: paths, kinds, sizes, bytes (SHA-1), symlink targets, modes.

mod support;

use std::path::PathBuf;

use support::{compare, fixtures, open, read_manifest, walk};

/// UDF is the next increment.
const UDF_READY: bool = true;

fn manifests() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [fixtures(), fixtures().join("libarchive")] {
        for e in std::fs::read_dir(&dir).expect("fixtures dir") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "manifest") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

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
    for m in &all {
        let name = m.file_name().and_then(|n| n.to_str()).expect("utf-8 name");
        let mut parts = name.rsplitn(3, '.');
        let (_, tree, image) = (parts.next(), parts.next(), parts.next());
        let (Some(tree), Some(image)) = (tree, image) else {
            panic!("bad manifest name {name}");
        };
        let image = m.with_file_name(image);
        let tree = tree.parse().expect("tree name");
        if tree == isofs::TreeKind::Udf && !UDF_READY {
            continue;
        }
        let oracle = read_manifest(m);
        let fs = match open(&image, Some(tree)) {
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
