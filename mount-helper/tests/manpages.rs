//! The committed man pages (docs/man) are what the binaries generate from their clap
//! definitions. After changing an option, refresh them with
//! `cargo build --bins && target/debug/wimfs __man docs/man && target/debug/isofs __man docs/man`.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use support::*;

fn pages(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let e = e.expect("entry");
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).expect("read"))
        })
        .collect()
}

#[test]
fn committed_man_pages_are_current() {
    let scratch = TempDir::new("manpages");
    let dir = scratch.path();
    run(wimfs().arg("__man").arg(dir));
    run(isofs().arg("__man").arg(dir));
    let generated = pages(dir);
    let committed = pages(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/man"));
    for name in [
        "wimfs.1",
        "wimfs-mount.1",
        "mount.wimfs.8",
        "isofs.1",
        "mount.isofs.8",
    ] {
        assert!(generated.contains_key(name), "{name} not generated");
    }
    let stale: Vec<&String> = generated
        .keys()
        .chain(committed.keys())
        .filter(|n| generated.get(*n) != committed.get(*n))
        .collect();
    assert!(
        stale.is_empty(),
        "docs/man is stale for {stale:?}; regenerate it (see this file's header)"
    );
}
