//! Differential tests: every image of every generated WIM fixture, as `wimlib-imagex apply`
//! extracts it, against the same image mounted by the mounter under test (our `wimfs` by
//! default; `WIMFS_DIFF_MOUNTER=wimlib` for wimlib's own FUSE mount, to validate the harness).
//!
//! Compared: random-access preads (chunk boundaries, end of file, several threads; before
//! anything is read sequentially, so the filesystem and not the page cache answers), readdir's
//! d_type/d_ino against lstat, then the set of paths, types, file sizes, file contents, symlink targets (with the
//! apply/mount directory replaced by a placeholder), hard-link groups, file nlink and mtimes
//! (to the nanosecond); modes and owners for the `--unix-data` fixtures; symlink st_size ==
//! target length (not for wimlib's mount, which reports 0). Xattrs: named data streams
//! (`user.NAME`) as wimlib's mount `--streams-interface=xattr` shows them (`apply` on Linux drops
//! named streams), plus for `--unix-data` captures the Linux xattrs as `apply --unix-data`
//! restores them (wimlib's own mount does not show those, so with `WIMFS_DIFF_MOUNTER=wimlib`
//! they are left out of the reference).
//!
//! Run: `cargo build -p mount-helper && cargo test -p tests --test wim_differential`.

use std::time::Duration;

use tests::reads::compare_random_reads;
use tests::tree::{walk, walk_with_timeout, WalkOptions};
use tests::{
    apply_and_walk, compare, format_report, require_tools, wim_fixture, wim_fixtures,
    CompareOptions, Manifest, MountOptions, Mounter, WimFixture,
};

const WALK_TIMEOUT: Duration = Duration::from_secs(300);

/// Adds the xattrs of `extra` to those of `into`, path by path.
fn merge_xattrs(into: &mut Manifest, extra: &Manifest) {
    for (path, e) in &extra.entries {
        let (Some(into_e), Some(Ok(more))) = (into.entries.get_mut(path), &e.xattrs) else {
            continue;
        };
        if let Some(Ok(have)) = &mut into_e.xattrs {
            for (k, v) in more {
                have.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
}

/// Differences for one image, each line prefixed with the image.
fn diff_image(fx: &WimFixture, image: u32, mounter: &Mounter) -> Vec<String> {
    let mut diffs = Vec::new();
    let (_applied, expected) = apply_and_walk(&fx.path, image, &fx.apply_args);

    let mount_opts = MountOptions {
        unix_data: fx.unix_data(),
        ..MountOptions::default()
    };
    let mount = match mounter.mount(&fx.path, image, &mount_opts) {
        Ok(m) => m,
        Err(failure) => return vec![format!("{} failed to mount it: {failure}", mounter.name())],
    };
    // Random access first, on the fresh mount: once the walk has read everything sequentially,
    // the kernel's page cache would answer instead of the filesystem.
    diffs.extend(compare_random_reads(&expected, mount.path(), 4, 2000));
    let walk_opts = WalkOptions {
        // wimlib's mount answers readdir with d_ino 0xffffffff.
        check_dirents: !mounter.is_wimlib(),
        ..WalkOptions::default()
    };
    let actual = match walk_with_timeout(mount.path(), &walk_opts, WALK_TIMEOUT, || {
        mount.kill_daemon();
    }) {
        Ok(m) => m,
        Err(e) => return vec![e],
    };
    let opts = CompareOptions {
        modes: fx.unix_data(),
        owners: fx.unix_data(),
        symlink_size: !mounter.is_wimlib(),
        mtime: true,
        ..CompareOptions::default()
    };
    diffs.extend(compare(&expected, &actual, &opts));

    // Xattrs: named data streams as wimlib's mount shows them (user.NAME), plus, for --unix-data
    // captures, the Linux xattrs as `apply --unix-data` restores them (wimlib's mount does not
    // show those; ours does, under their own names).
    let reference = Mounter::Wimlib
        .mount(&fx.path, image, &mount_opts)
        .unwrap_or_else(|f| panic!("wimlib's mount (the xattr reference) failed: {f}"));
    let xattr_walk = WalkOptions {
        content: false,
        xattrs: true,
        check_dirents: false,
        ..WalkOptions::default()
    };
    let mut ref_xattrs = walk_with_timeout(reference.path(), &xattr_walk, WALK_TIMEOUT, || {
        reference.kill_daemon();
    })
    .unwrap_or_else(|e| panic!("walking wimlib's mount: {e}"));
    if fx.unix_data() && !mounter.is_wimlib() {
        let applied_xattrs = walk(&expected.root, &xattr_walk);
        merge_xattrs(&mut ref_xattrs, &applied_xattrs);
    }
    diffs.extend(
        compare(&ref_xattrs, &actual, &CompareOptions::xattrs_only())
            .into_iter()
            .map(|d| format!("xattrs vs wimlib's mount: {d}")),
    );
    if let Err(e) = reference.unmount() {
        diffs.push(format!("unmounting wimlib's mount: {e}"));
    }
    if let Err(e) = mount.unmount() {
        diffs.push(format!("unmount: {e}"));
    }
    let (files, dirs, links, other) = expected.counts();
    eprintln!(
        "{} image {image}: {files} files, {dirs} dirs, {links} symlinks, {other} other, {} hard-link \
         groups; {} difference(s) with {}",
        fx.name,
        expected.hard_link_groups().len(),
        diffs.len(),
        mounter.name()
    );
    diffs
        .into_iter()
        .map(|d| format!("image {image}: {d}"))
        .collect()
}

fn check_fixture(name: &str) {
    require_tools(&["wimlib-imagex", "fusermount3"]);
    let fx = wim_fixture(name);
    let mounter = Mounter::from_env();
    let mut diffs = Vec::new();
    for image in 1..=fx.images {
        diffs.extend(diff_image(fx, image, &mounter));
    }
    assert!(
        diffs.is_empty(),
        "{}",
        format_report(
            &format!(
                "{} ({}) mounted by {} differs from wimlib-imagex apply",
                fx.name,
                fx.note,
                mounter.name()
            ),
            &diffs
        )
    );
}

macro_rules! fixture_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                check_fixture($name);
            }
        )*
        const COVERED: &[&str] = &[$($name),*];
    };
}

fixture_tests! {
    none => "none.wim",
    xpress => "xpress.wim",
    xpress_64k => "xpress-64k.wim",
    lzx => "lzx.wim",
    lzx_2m => "lzx-2m.wim",
    many_files_in_one_directory => "many.wim",
    multi_image => "multi.wim",
    unix_data => "unix-data.wim",
    linux_xattrs => "linux-xattrs.wim",
    named_data_streams => "streams.wim",
    empty_image => "empty-image.wim",
    small_xpress => "small-xpress.wim",
    small_lzx => "small-lzx.wim",
    small_none => "small-none.wim",
}

/// A fixture added to the script without a test here would silently go untested.
#[test]
fn every_fixture_has_a_test() {
    let missing: Vec<&str> = wim_fixtures()
        .iter()
        .map(|f| f.name.as_str())
        .filter(|n| !COVERED.contains(n))
        .collect();
    assert!(
        missing.is_empty(),
        "fixtures without a differential test: {missing:?}"
    );
}
