//! The differential test again, through a real FUSE mount (the same adapter the `isofs` CLI
//! uses): every fixture is mounted, walked with std::fs and compared with its oracle manifest.
//! Skipped (with a message) where FUSE is unavailable.

mod support;

use std::sync::Arc;

use common::backend::fuse::{FuseOptions, FuseSession};
use support::{compare, manifests, open, read_manifest, walk_dir};

#[test]
fn every_fixture_matches_its_oracle_through_fuse() {
    if !std::path::Path::new("/dev/fuse").exists() {
        support::skip_unless_ci("there is no /dev/fuse");
        return;
    }
    let base = std::env::temp_dir().join(format!("isofs-fuse-{}", std::process::id()));
    let mut failures = Vec::new();
    let mut mounted = 0;
    for (i, (m, image, tree)) in manifests().into_iter().enumerate() {
        let fs = Arc::new(open(&image, Some(tree)).expect("opens"));
        let dir = base.join(i.to_string());
        std::fs::create_dir_all(&dir).expect("mount point");
        let opts = FuseOptions {
            fsname: image.display().to_string(),
            subtype: "isofs".into(),
            allow_other: false,
            threads: 2,
        };
        let mut session = match FuseSession::mount(fs, &dir, &opts) {
            Ok(s) => s,
            Err(e) => {
                support::skip_unless_ci(&format!("FUSE cannot mount here: {e}"));
                return;
            }
        };
        let mut unmounter = session.unmounter();
        let server = std::thread::spawn(move || session.run());
        let ours = walk_dir(&dir);
        unmounter.unmount().expect("unmount");
        server.join().expect("server thread").expect("served");
        mounted += 1;
        let diffs = compare(&ours, &read_manifest(&m));
        if !diffs.is_empty() {
            failures.push(format!("{}:\n  {}", m.display(), diffs.join("\n  ")));
        }
    }
    std::fs::remove_dir_all(&base).ok();
    eprintln!("{mounted} fixtures compared through FUSE");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
