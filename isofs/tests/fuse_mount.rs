//! The differential test again, through a real FUSE mount (the same adapter the `isofs` CLI
//! uses): every fixture is mounted, walked with std::fs and compared with its oracle manifest.
//! Skipped (with a message) where FUSE is unavailable.

mod support;

use std::sync::Arc;

use common::backend::fuse::{FuseOptions, FuseSession};
use support::{compare, manifests, open, read_manifest, walk_dir};
use tests::{MountGuard, TempDir};

#[test]
fn every_fixture_matches_its_oracle_through_fuse() {
    if !tests::fuse_or_skip() {
        return;
    }
    let base = TempDir::new("isofs-fuse");
    let mut failures = Vec::new();
    let mut mounted = 0;
    for (i, (m, image, tree)) in manifests().into_iter().enumerate() {
        let fs = Arc::new(open(&image, Some(tree)).expect("opens"));
        let dir = base.mkdir(i.to_string());
        let opts = FuseOptions {
            fsname: image.display().to_string(),
            subtype: "isofs".into(),
            allow_other: false,
            threads: 2,
            files_ahead: true,
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
        // Should the walk panic, the guard unmounts (and the server thread ends).
        let mut fusermount = std::process::Command::new("fusermount3");
        fusermount.arg("-u").arg(&dir);
        let guard = MountGuard::adopt(&dir, fusermount);
        let ours = walk_dir(&dir);
        unmounter.unmount().expect("unmount");
        server.join().expect("server thread").expect("served");
        drop(guard);
        mounted += 1;
        let diffs = compare(&ours, &read_manifest(&m));
        if !diffs.is_empty() {
            failures.push(format!("{}:\n  {}", m.display(), diffs.join("\n  ")));
        }
    }
    eprintln!("{mounted} fixtures compared through FUSE");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
