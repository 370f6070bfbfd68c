//! Images on a web server when things go wrong, with a real nginx and the test kit's fault
//! proxy: the file replaced on the server while mounted (twin images, same layout, different
//! bytes: no file ever shows the new bytes or a mix; reads of data not fetched before fail with
//! EIO), the server killed (reads fail within the timeout, unmount works, reads recover when it
//! is back), dropped connections, truncated bodies and 500s retried transparently, persistent
//! 500/416 answered with EIO in bounded time, and a server without range support refused at
//! mount with a clear message.
//!
//! Needs nginx and openssl (scripts/install-deps), wimlib-imagex and xorriso.
//! Run: `cargo build -p mount-helper && cargo test -p tests --test http_faults`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tests::http::trees::{capture, iso, noise, noise_tree, set_mtime};
use tests::http::{publish, Fault, FaultProxy, IsoMount, Nginx};
use tests::{run, wimfs_bin, MountOptions, Mounter, TempDir};

const FILES: u32 = 8;
const SIZE: usize = 4 << 20;

fn server(name: &str) -> (TempDir, Nginx) {
    let dir = TempDir::new(name);
    let root = dir.path().join("www");
    std::fs::create_dir_all(&root).expect("web root");
    let nginx = Nginx::start(&dir.path().join("nginx"), &root);
    (dir, nginx)
}

fn wim_mount(spec: &str, extra: &[&str]) -> tests::Mount {
    let opts = MountOptions {
        extra_args: extra.iter().map(|s| s.to_string()).collect(),
        ..MountOptions::default()
    };
    Mounter::Wimfs(wimfs_bin())
        .mount(Path::new(spec), 1, &opts)
        .unwrap_or_else(|f| panic!("mounting {spec}: {f}"))
}

/// Reads file `i` of the tree under `mnt`.
fn read(mnt: &Path, i: u32) -> std::io::Result<Vec<u8>> {
    std::fs::read(mnt.join(format!("data/f{i:02}.bin")))
}

/// The error of a read that must fail (without printing megabytes of bytes if it did not).
fn must_fail(r: std::io::Result<Vec<u8>>, what: &str) -> std::io::Error {
    match r {
        Ok(b) => panic!(
            "{what}: the read returned {} bytes instead of failing",
            b.len()
        ),
        Err(e) => e,
    }
}

fn expected(seed: u32, i: u32) -> Vec<u8> {
    noise(SIZE, seed.wrapping_mul(1000).wrapping_add(i))
}

/// Twin images: trees with seeds 1 and 2 in `dir/a`, `dir/b`, imaged by `make`.
fn twins(dir: &Path, make: impl Fn(&Path, &Path)) -> (PathBuf, PathBuf) {
    let mut out = Vec::new();
    for (name, seed) in [("a", 1), ("b", 2)] {
        let src = dir.join(name);
        noise_tree(&src, FILES, SIZE, seed);
        let img = dir.join(format!("{name}.img"));
        make(&src, &img);
        out.push(img);
    }
    let b = out.pop().expect("b");
    let a = out.pop().expect("a");
    set_mtime(&a, 1_700_000_000);
    set_mtime(&b, 1_700_000_100);
    (a, b)
}

/// Mounted on version A: reads file 0, swaps in B, then every file must read as A's bytes or
/// fail; at least the far ones (never fetched) must fail.
fn replaced_while_mounted(nginx: &Nginx, a: &Path, b: &Path, mnt: &Path) {
    assert_eq!(
        read(mnt, 0).expect("file 0 before the swap"),
        expected(1, 0)
    );
    publish(nginx.root(), "img", b);
    let mut failed = 0;
    for i in 0..FILES {
        match read(mnt, i) {
            Ok(bytes) => {
                assert!(
                    bytes != expected(2, i),
                    "file {i} shows the new version's bytes"
                );
                assert!(
                    bytes == expected(1, i),
                    "file {i} shows bytes of neither version (mixed?)"
                );
            }
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(libc::EIO), "file {i}: {e}");
                failed += 1;
            }
        }
    }
    assert!(
        failed >= 2,
        "only {failed} files failed after the swap: data was fetched unpinned"
    );
    publish(nginx.root(), "img", a);
}

#[test]
fn a_file_replaced_on_the_server_never_shows_new_or_mixed_bytes() {
    let (dir, nginx) = server("http-replaced");
    // ISO: no checksums inside, so only the pinned version keeps the new bytes out.
    let (a, b) = twins(dir.path(), iso);
    publish(nginx.root(), "img", &a);
    let m = IsoMount::new(&nginx.url("img"), &["--http-timeout", "5"]).expect("mount the ISO");
    replaced_while_mounted(&nginx, &a, &b, &m.path());
    drop(m);
    // WIM, stored uncompressed so both twins have the same layout.
    let wdir = dir.path().join("wim");
    let (a, b) = twins(&wdir, |src, img| capture(src, img, "none"));
    publish(nginx.root(), "img", &a);
    let m = wim_mount(&nginx.url("img"), &["--http-timeout", "5"]);
    replaced_while_mounted(&nginx, &a, &b, m.path());
}

#[test]
fn a_killed_server_gives_eio_in_bounded_time_unmount_works_and_reads_recover() {
    let (dir, mut nginx) = server("http-killed");
    let (a, _) = twins(dir.path(), |src, img| capture(src, img, "lzx"));
    publish(nginx.root(), "img", &a);
    let m = wim_mount(&nginx.url("img"), &["--http-timeout", "4"]);
    assert_eq!(read(m.path(), 0).expect("file 0"), expected(1, 0));
    nginx.kill();
    let start = Instant::now();
    let e = must_fail(read(m.path(), FILES - 1), "no server, nothing cached");
    assert_eq!(e.raw_os_error(), Some(libc::EIO), "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "took {:?}",
        start.elapsed()
    );
    nginx.restart();
    assert_eq!(
        read(m.path(), FILES - 1).expect("after restart"),
        expected(1, FILES - 1)
    );
    nginx.kill();
    m.unmount().expect("unmount with the server gone");
}

#[test]
fn dropped_connections_truncated_bodies_and_500s_are_retried() {
    let (dir, nginx) = server("http-retried");
    let (a, _) = twins(dir.path(), |src, img| capture(src, img, "lzx"));
    publish(nginx.root(), "img", &a);
    let proxy = FaultProxy::start(nginx.http_addr());
    let url = format!("{}/img", proxy.base_url());
    let m = wim_mount(&url, &["--http-timeout", "20"]);
    // Files from the last down, so readahead never brought the next one in already.
    for (i, fault) in [
        (7, Fault::Drop),
        (5, Fault::Truncate),
        (3, Fault::Status(500)),
        (1, Fault::Status(503)),
    ] {
        let before = proxy.faulted();
        proxy.arm(fault, Some(2));
        assert_eq!(
            read(m.path(), i).expect("retried read"),
            expected(1, i),
            "{fault:?}"
        );
        assert!(proxy.faulted() > before, "{fault:?} was never injected");
        proxy.clear();
    }
}

#[test]
fn persistent_errors_give_eio_in_bounded_time() {
    let (dir, nginx) = server("http-persistent");
    let (a, _) = twins(dir.path(), |src, img| capture(src, img, "lzx"));
    publish(nginx.root(), "img", &a);
    let proxy = FaultProxy::start(nginx.http_addr());
    let url = format!("{}/img", proxy.base_url());
    let m = wim_mount(&url, &["--http-timeout", "3"]);
    // Files from the last down, so readahead never brought the next one in already.
    for (i, fault, bound) in [
        (7, Fault::Status(500), 10),
        (5, Fault::Status(416), 2),
        (3, Fault::Drop, 10),
    ] {
        proxy.arm(fault, None);
        let start = Instant::now();
        let e = must_fail(read(m.path(), i), &format!("{fault:?}"));
        assert_eq!(e.raw_os_error(), Some(libc::EIO), "{fault:?}: {e}");
        assert!(
            start.elapsed() < Duration::from_secs(bound),
            "{fault:?} took {:?}",
            start.elapsed()
        );
        proxy.clear();
        assert_eq!(read(m.path(), i).expect("recovered"), expected(1, i));
    }
}

#[test]
fn a_hung_server_fails_reads_at_the_timeout_and_a_lazy_unmount_returns_at_once() {
    let (dir, nginx) = server("http-hung");
    let (a, _) = twins(dir.path(), |src, img| capture(src, img, "lzx"));
    publish(nginx.root(), "img", &a);
    let proxy = FaultProxy::start(nginx.http_addr());
    let url = format!("{}/img", proxy.base_url());
    let m = wim_mount(&url, &["--http-timeout", "3"]);
    proxy.arm(Fault::Hang, None);
    let mnt = m.path().to_path_buf();
    let reader = std::thread::spawn(move || {
        let start = Instant::now();
        (read(&mnt, FILES - 1), start.elapsed())
    });
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let out = run(
        Command::new(wimfs_bin())
            .arg("unmount")
            .arg("--lazy")
            .arg(m.path()),
        Duration::from_secs(30),
    );
    assert!(out.success(), "{out}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "unmount took {:?}",
        start.elapsed()
    );
    let (result, took) = reader.join().expect("reader thread");
    let e = must_fail(result, "a hung server");
    assert!(
        matches!(e.raw_os_error(), Some(libc::EIO) | Some(libc::ENOTCONN)),
        "{e}"
    );
    assert!(
        took < Duration::from_secs(8),
        "the read waited {took:?} with --http-timeout 3"
    );
}

#[test]
fn a_server_without_range_support_is_refused_at_mount() {
    let (dir, nginx) = server("http-norange");
    let (a, _) = twins(dir.path(), |src, img| capture(src, img, "lzx"));
    publish(nginx.root(), "img", &a);
    let proxy = FaultProxy::start(nginx.http_addr());
    proxy.arm(Fault::StripRange, None);
    let url = format!("{}/img", proxy.base_url());
    let mnt = dir.path().join("m");
    std::fs::create_dir_all(&mnt).expect("mkdir");
    let out = run(
        Command::new(wimfs_bin())
            .arg("mount")
            .arg(&url)
            .arg("1")
            .arg(&mnt),
        Duration::from_secs(60),
    );
    assert!(!out.success(), "{out}");
    assert!(
        out.stderr.contains("does not support range requests"),
        "{out}"
    );
    let out = run(
        Command::new(tests::isofs_bin()).arg("info").arg(&url),
        Duration::from_secs(60),
    );
    assert!(
        out.stderr.contains("does not support range requests"),
        "{out}"
    );
    // A file smaller than one block comes whole with the first answer: no range needed.
    let sample = tests::crate_dir().join("../samples/sample.wim");
    publish(nginx.root(), "small.wim", &sample);
    let out = run(
        Command::new(wimfs_bin())
            .arg("info")
            .arg(format!("{}/small.wim", proxy.base_url())),
        Duration::from_secs(60),
    );
    out.expect_success("a small file from a server without ranges");
}
