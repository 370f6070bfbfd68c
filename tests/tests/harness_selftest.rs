//! Tests of the test harness itself: the comparator must see every kind of difference, and the
//! reference tools (wimlib's apply and mount) must agree with each other where the differential
//! tests rely on them. None of this needs our binaries.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tests::reads::compare_random_reads;
use tests::tree::{walk, walk_with_timeout, WalkOptions};
use tests::{
    apply_and_walk, compare, format_report, require_tools, run, wim_fixture, CompareOptions,
    MountOptions, Mounter, TempDir,
};

fn write(path: &Path, data: &[u8]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create parent dirs");
    }
    fs::write(path, data).expect("write a test file");
}

fn setxattr(path: &Path, name: &str, value: &[u8]) {
    let out = run(
        Command::new("setfattr")
            .arg("-n")
            .arg(name)
            .arg("-v")
            .arg(format!(
                "0x{}",
                value.iter().map(|b| format!("{b:02x}")).collect::<String>()
            ))
            .arg(path),
        Duration::from_secs(10),
    );
    out.expect_success("setfattr");
}

/// Builds the shared part of both synthetic trees.
fn base_tree(root: &Path) {
    write(&root.join("same"), b"same content");
    write(&root.join("content-differs"), b"aaaa");
    write(&root.join("size-differs"), b"short");
    write(&root.join("only-in-expected"), b"x");
    write(&root.join("gone-dir/a"), b"a");
    write(&root.join("gone-dir/sub/b"), b"b");
    write(&root.join("type-changes"), b"file");
    symlink("target-one", root.join("link")).expect("symlink");
    write(&root.join("links/x"), b"linked");
    fs::hard_link(root.join("links/x"), root.join("links/y")).expect("hard link");
    fs::hard_link(root.join("links/x"), root.join("links/z")).expect("hard link");
    write(&root.join("mode"), b"m");
    fs::set_permissions(root.join("mode"), fs::Permissions::from_mode(0o600)).expect("chmod");
    write(&root.join("xattr"), b"x");
    setxattr(&root.join("xattr"), "user.kept", b"v");
    setxattr(&root.join("xattr"), "user.changed", b"old");
    setxattr(&root.join("xattr"), "user.dropped", b"d");
}

#[test]
fn comparator_reports_every_kind_of_difference() {
    require_tools(&["setfattr"]);
    let dir = TempDir::new("selftest");
    let (e, a) = (dir.path().join("expected"), dir.path().join("actual"));
    base_tree(&e);
    base_tree(&a);
    // Now make `actual` differ in one way per path.
    write(&a.join("content-differs"), b"bbbb");
    write(&a.join("size-differs"), b"longer!");
    fs::remove_file(a.join("only-in-expected")).expect("rm");
    write(&a.join("only-in-actual"), b"y");
    fs::remove_dir_all(a.join("gone-dir")).expect("rm -r");
    fs::remove_file(a.join("type-changes")).expect("rm");
    fs::create_dir(a.join("type-changes")).expect("mkdir");
    fs::remove_file(a.join("link")).expect("rm");
    symlink("target-two", a.join("link")).expect("symlink");
    fs::remove_file(a.join("links/z")).expect("rm");
    write(&a.join("links/z"), b"linked"); // same bytes, no longer a hard link
    fs::set_permissions(a.join("mode"), fs::Permissions::from_mode(0o644)).expect("chmod");
    setxattr(&a.join("xattr"), "user.changed", b"new");
    let out = run(
        Command::new("setfattr")
            .args(["-x", "user.dropped"])
            .arg(a.join("xattr")),
        Duration::from_secs(10),
    );
    out.expect_success("setfattr -x");
    setxattr(&a.join("xattr"), "user.added", b"+");

    let opts = WalkOptions::default();
    let (me, ma) = (walk(&e, &opts), walk(&a, &opts));
    let diffs = compare(
        &me,
        &ma,
        &CompareOptions {
            modes: true,
            xattrs: true,
            ..CompareOptions::default()
        },
    );
    let report = format_report("synthetic trees", &diffs);
    let expect = [
        "/content-differs: content: expected 4 bytes",
        "/size-differs: size: expected 5, got 7",
        "/only-in-expected: file missing",
        "/only-in-actual: file unexpected",
        "/gone-dir: directory missing, with 3 entries below it",
        "/type-changes: type: expected file, got directory",
        "/link: symlink target: expected \"target-one\", got \"target-two\"",
        "hard-link group {/links/x, /links/y, /links/z} expected; got: /links/x is linked with \
         {/links/x, /links/y}",
        "/links/z is not a hard link",
        "/links/x: nlink: expected 3, got 2",
        "/mode: mode: expected 0600, got 0644",
        "/xattr: xattr \"user.changed\": expected \"old\", got \"new\"",
        "/xattr: xattr \"user.dropped\" missing",
        "/xattr: unexpected xattr \"user.added\" = \"+\"",
    ];
    let mut missing = Vec::new();
    for want in expect {
        if !diffs.iter().any(|d| d.contains(want)) {
            missing.push(want);
        }
    }
    assert!(
        missing.is_empty(),
        "the comparator missed {missing:?}\n{report}"
    );
    // Nothing reported about the paths that are the same.
    assert!(
        !diffs.iter().any(|d| d.starts_with("/same")),
        "false positive:\n{report}"
    );
    // Random reads see the same content and size differences.
    let reads = compare_random_reads(&me, &a, 2, 100);
    let report = format_report("random reads", &reads);
    for want in [
        "/content-differs: pread(1 at 0): wrong bytes from offset 0",
        "/size-differs: pread(4113 at 0) returned 7 bytes, expected 5",
    ] {
        assert!(
            reads.iter().any(|d| d.contains(want)),
            "missed {want:?}\n{report}"
        );
    }
    assert!(
        !reads.iter().any(|d| d.starts_with("/same")),
        "false positive:\n{report}"
    );

    // And a tree compared with itself has no differences.
    let again = walk(&e, &opts);
    let none = compare(&me, &again, &CompareOptions::default());
    assert!(none.is_empty(), "{}", format_report("self-compare", &none));
}

#[test]
fn different_images_of_one_wim_differ() {
    require_tools(&["wimlib-imagex"]);
    let fx = wim_fixture("multi.wim");
    let (_d1, one) = apply_and_walk(&fx.path, 1, &[]);
    let (_d2, two) = apply_and_walk(&fx.path, 2, &[]);
    let diffs = compare(&one, &two, &CompareOptions::default());
    let report = format_report("multi.wim image 1 vs image 2", &diffs);
    for want in [
        "/version.txt: content",
        "/Users/Public/readme.txt: file missing",
        "/Windows/System32/new-in-update.txt: file unexpected",
    ] {
        assert!(
            diffs.iter().any(|d| d.contains(want)),
            "missed {want:?}\n{report}"
        );
    }
}

#[test]
fn unix_data_modes_and_owners_are_compared() {
    require_tools(&["wimlib-imagex"]);
    let fx = wim_fixture("unix-data.wim");
    let (_d1, with) = apply_and_walk(&fx.path, 1, &fx.apply_args);
    let (_d2, without) = apply_and_walk(&fx.path, 1, &[]);
    let diffs = compare(
        &with,
        &without,
        &CompareOptions {
            modes: true,
            owners: true,
            ..CompareOptions::default()
        },
    );
    let report = format_report("unix-data.wim with vs without --unix-data", &diffs);
    for want in [
        "/private-dir/secret: mode: expected 0600",
        "/sticky-tmp: mode: expected 1777",
        "/setgid-dir: mode: expected 2755",
        "/user-dir/owned-by-1000: owner: expected 1000:1000, got 0:0",
    ] {
        assert!(
            diffs.iter().any(|d| d.contains(want)),
            "missed {want:?}\n{report}"
        );
    }
}

/// The reference tools agree with each other on a fixture with every content kind (the basis
/// of the differential tests), with the same options those tests use for wimlib's mount.
#[test]
fn wimlib_mount_agrees_with_wimlib_apply() {
    require_tools(&["wimlib-imagex", "fusermount3"]);
    for name in ["lzx.wim", "unix-data.wim"] {
        let fx = wim_fixture(name);
        let (_d, expected) = apply_and_walk(&fx.path, 1, &fx.apply_args);
        let mount = Mounter::Wimlib
            .mount(
                &fx.path,
                1,
                &MountOptions {
                    unix_data: fx.unix_data(),
                    ..MountOptions::default()
                },
            )
            .unwrap_or_else(|f| panic!("wimlib mount of {name}: {f}"));
        let walk_opts = WalkOptions {
            check_dirents: false, // wimlib's mount answers readdir with d_ino 0xffffffff
            ..WalkOptions::default()
        };
        assert!(
            compare_random_reads(&expected, mount.path(), 4, 100).is_empty(),
            "random reads through wimlib's mount differ"
        );
        let actual = walk_with_timeout(mount.path(), &walk_opts, Duration::from_secs(120), || {
            mount.kill_daemon();
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let diffs = compare(
            &expected,
            &actual,
            &CompareOptions {
                modes: fx.unix_data(),
                owners: fx.unix_data(),
                symlink_size: false, // wimlib's mount reports 0
                mtime: true,
                ..CompareOptions::default()
            },
        );
        assert!(
            diffs.is_empty(),
            "{}",
            format_report(&format!("{name}: wimlib mount vs apply"), &diffs)
        );
        mount.unmount().unwrap_or_else(|e| panic!("unmount: {e}"));
    }
}

#[test]
fn commands_are_timed_out_and_crashes_recognized() {
    let slow = run(Command::new("sleep").arg("30"), Duration::from_millis(300));
    assert!(slow.timed_out && !slow.success(), "{slow}");
    assert!(slow.elapsed < Duration::from_secs(10), "{slow}");
    assert!(slow.crash_signs().is_some());

    let segv = run(
        Command::new("sh").args(["-c", "kill -SEGV $$"]),
        Duration::from_secs(10),
    );
    assert!(
        segv.crash_signs().is_some_and(|s| s.contains("signal 11")),
        "{segv}"
    );
    let panic = run(
        Command::new("sh").args([
            "-c",
            "echo \"thread 'main' panicked at src/x.rs:1:1\" >&2; exit 101",
        ]),
        Duration::from_secs(10),
    );
    let signs = panic.crash_signs().unwrap_or_default();
    assert!(
        signs.contains("panicked") && signs.contains("101"),
        "{signs}\n{panic}"
    );
    let clean = run(
        Command::new("sh").args(["-c", "echo 'bad WIM' >&2; exit 1"]),
        Duration::from_secs(10),
    );
    assert!(clean.crash_signs().is_none(), "{clean}");
}

/// A hung FUSE daemon (stopped with SIGSTOP) must not hang the tests: the walk gives up at its
/// timeout, kills the daemon, and the mount guard still cleans up.
#[test]
fn a_hung_mount_is_cut_off() {
    require_tools(&["wimlib-imagex", "fusermount3"]);
    let fx = wim_fixture("small-lzx.wim");
    let mount = Mounter::Wimlib
        .mount(&fx.path, 1, &MountOptions::default())
        .unwrap_or_else(|f| panic!("wimlib mount: {f}"));
    let daemons = tests::daemon::pids_with_arg(mount.path());
    assert!(
        !daemons.is_empty(),
        "no daemon found for {}",
        mount.path().display()
    );
    for &pid in &daemons {
        // SAFETY: stopping the wimlib daemon we just started for this mount.
        unsafe { libc::kill(pid, libc::SIGSTOP) };
    }
    let start = std::time::Instant::now();
    let result = walk_with_timeout(
        mount.path(),
        &WalkOptions::default(),
        Duration::from_secs(2),
        || {
            mount.kill_daemon();
        },
    );
    let err = result.expect_err("a walk of a stopped daemon's mount cannot finish");
    assert!(err.contains("did not finish"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    let path = mount.path().to_path_buf();
    drop(mount);
    assert!(
        !tests::mount::is_mountpoint(&path),
        "{} still mounted",
        path.display()
    );
}
