//! Images on a web server: every WIM fixture (each image) and every committed ISO fixture,
//! mounted from an http:// URL served by a real nginx on 127.0.0.1, equals its local mount
//! (paths, kinds, sizes, contents, link groups, mtimes, xattrs); https with the test's own CA
//! (`--ca-file`; refused without it); a WIM inside an ISO on the server (`URL:/inner` and
//! `--inner`); a split WIM whose parts are URLs (`--ref`, also `extract`); `info` showing the
//! pinned version; `--rw` refused; `--cache-dir`: a second mount fetches almost nothing.
//!
//! Needs nginx and openssl (scripts/install-deps); they are required, not optional.
//! Run: `cargo build -p mount-helper && cargo test -p tests --test http_sources`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tests::http::{publish, FaultProxy, IsoMount, Nginx};
use tests::tree::{walk, WalkOptions};
use tests::{
    compare, format_report, run, wim_fixtures, wimfs_bin, CompareOptions, Manifest, MountOptions,
    Mounter, TempDir,
};

fn same_opts() -> CompareOptions {
    CompareOptions {
        mtime: true,
        xattrs: true,
        ..CompareOptions::default()
    }
}

fn wim_mount(spec: &str, image: u32, extra: &[&str]) -> tests::Mount {
    let opts = MountOptions {
        extra_args: extra.iter().map(|s| s.to_string()).collect(),
        ..MountOptions::default()
    };
    Mounter::Wimfs(wimfs_bin())
        .mount(Path::new(spec), image, &opts)
        .unwrap_or_else(|f| panic!("mounting {spec}: {f}"))
}

fn wim_walk(spec: &str, image: u32, extra: &[&str]) -> Manifest {
    let m = wim_mount(spec, image, extra);
    walk(m.path(), &WalkOptions::default())
}

fn wimfs(args: &[&str]) -> tests::RunOutput {
    run(
        Command::new(wimfs_bin()).args(args),
        Duration::from_secs(120),
    )
}

fn server(name: &str) -> (TempDir, Nginx) {
    let dir = TempDir::new(name);
    let root = dir.path().join("www");
    std::fs::create_dir_all(&root).expect("web root");
    let nginx = Nginx::start(&dir.path().join("nginx"), &root);
    (dir, nginx)
}

#[test]
fn every_fixture_wim_and_iso_from_a_url_equals_its_local_mount() {
    let (_dir, nginx) = server("http-fixtures");
    let mut diffs = Vec::new();
    for fx in wim_fixtures() {
        publish(nginx.root(), &fx.name, &fx.path);
        let url = nginx.url(&fx.name);
        for image in 1..=fx.images {
            let local = wim_walk(fx.path.to_str().expect("utf-8"), image, &[]);
            let web = wim_walk(&url, image, &[]);
            let d = compare(&local, &web, &same_opts());
            diffs.extend(
                d.into_iter()
                    .map(|l| format!("{} image {image}: {l}", fx.name)),
            );
        }
    }
    let isos = tests::crate_dir().join("../isofs/tests/fixtures");
    let mut count = 0;
    for e in std::fs::read_dir(&isos).expect("isofs fixtures").flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.ends_with(".iso") || name.ends_with(".udf")) {
            continue;
        }
        publish(nginx.root(), &name, &path);
        let local = IsoMount::new(path.to_str().expect("utf-8"), &[]);
        let web = IsoMount::new(&nginx.url(&name), &[]);
        match (local, web) {
            (Ok(l), Ok(w)) => {
                count += 1;
                let d = compare(&l.walk(), &w.walk(), &same_opts());
                diffs.extend(d.into_iter().map(|l| format!("{name}: {l}")));
            }
            (Err(_), Err(_)) => {}
            (Ok(_), Err(e)) => diffs.push(format!("{name}: mounts locally, not from a URL: {e}")),
            (Err(e), Ok(_)) => diffs.push(format!("{name}: mounts from a URL, not locally: {e}")),
        }
    }
    assert!(count >= 8, "only {count} ISO fixtures mounted");
    assert!(
        diffs.is_empty(),
        "{}",
        format_report("URL vs local mounts", &diffs)
    );
}

#[test]
fn https_needs_the_ca_and_info_shows_the_pinned_version() {
    let (_dir, nginx) = server("http-tls");
    let fx = &wim_fixtures()[0];
    publish(nginx.root(), "x.wim", &fx.path);
    let url = nginx.https_url("x.wim");
    let refused = wimfs(&["info", &url]);
    assert!(
        !refused.success(),
        "an unknown CA must be refused:\n{refused}"
    );
    assert!(
        refused.stderr.contains("certificate") || refused.stderr.contains("TLS"),
        "{refused}"
    );
    let ca = nginx.ca_pem().to_str().expect("utf-8").to_string();
    let info = wimfs(&["info", &url, "--ca-file", &ca]);
    info.expect_success("wimfs info over https");
    let etag = nginx_etag(&nginx, "x.wim");
    assert!(
        info.stdout.contains("Pinned:") && info.stdout.contains(&etag),
        "info must show the pinned ETag {etag}:\n{info}"
    );
    let local = wim_walk(fx.path.to_str().expect("utf-8"), 1, &[]);
    let web = wim_walk(&url, 1, &["--ca-file", &ca]);
    let d = compare(&local, &web, &same_opts());
    assert!(d.is_empty(), "{}", format_report("https vs local", &d));
    // isofs too, and --rw is refused for a URL with a clear message.
    let rw = wimfs(&["mount", "--rw", &nginx.url("x.wim"), "1", "/nonexistent"]);
    assert!(!rw.success() && rw.stderr.contains("read-only"), "{rw}");
}

/// The ETag nginx gives `name` (strong, `"mtime-size"` in hex).
fn nginx_etag(nginx: &Nginx, name: &str) -> String {
    etag_of_file(&nginx.root().join(name))
}

/// A source tree, its WIM (LZX), an ISO holding the WIM, and the WIM split in parts.
fn nested_and_split_fixture(dir: &Path, seed: u32) -> (PathBuf, PathBuf, Vec<PathBuf>) {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("Windows/System32")).expect("mkdir");
    for i in 0..6u32 {
        let mut x = (i + 1).wrapping_mul(0x9E37_79B9) ^ seed | 1;
        let data: Vec<u8> = (0..700_000u32)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        std::fs::write(src.join(format!("Windows/System32/f{i}.bin")), data).expect("write");
    }
    std::fs::write(src.join("Windows/win.ini"), "[x]\r\n".repeat(5000)).expect("write");
    let isoroot = dir.join("isoroot/sources");
    std::fs::create_dir_all(&isoroot).expect("mkdir");
    let wim = isoroot.join("install.wim");
    let ok = |c: &mut Command| {
        run(c, Duration::from_secs(300))
            .expect_success("fixture tool")
            .success()
    };
    ok(Command::new("wimlib-imagex")
        .arg("capture")
        .arg(&src)
        .arg(&wim)
        .arg("--compress=lzx"));
    let iso = dir.join("win.iso");
    ok(Command::new("xorriso")
        .args(["-as", "mkisofs", "-R", "-J", "-o"])
        .arg(&iso)
        .arg(dir.join("isoroot")));
    let swm = dir.join("install.swm");
    ok(Command::new("wimlib-imagex")
        .arg("split")
        .arg(&wim)
        .arg(&swm)
        .arg("1"));
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "swm"))
        .collect();
    parts.sort();
    assert!(parts.len() >= 3, "the split made {} parts", parts.len());
    (wim, iso, parts)
}

#[test]
fn a_wim_inside_an_iso_and_a_split_wim_on_a_server_mount_like_the_local_wim() {
    let (dir, nginx) = server("http-nested");
    let (wim, iso, parts) = nested_and_split_fixture(dir.path(), 0);
    publish(nginx.root(), "win.iso", &iso);
    for p in &parts {
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        publish(nginx.root(), &name, p);
    }
    let local = wim_walk(wim.to_str().expect("utf-8"), 1, &[]);
    let check = |what: &str, got: Manifest| {
        let d = compare(&local, &got, &same_opts());
        assert!(d.is_empty(), "{}", format_report(what, &d));
    };
    let iso_url = nginx.url("win.iso");
    check(
        "URL:/inner",
        wim_walk(&format!("{iso_url}:/sources/install.wim"), 1, &[]),
    );
    check(
        "--inner",
        wim_walk(&iso_url, 1, &["--inner", "/sources/install.wim"]),
    );
    let mut args: Vec<String> = Vec::new();
    for p in &parts[1..] {
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        args.push("--ref".into());
        args.push(nginx.url(&name));
    }
    let first = nginx.url(&parts[0].file_name().expect("name").to_string_lossy());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    check("split over URLs", wim_walk(&first, 1, &refs));
    // `extract` from a URL writes the same tree.
    let dest = dir.path().join("extracted");
    let mut extract = vec!["extract", &first, "1", dest.to_str().expect("utf-8")];
    extract.extend(refs.iter().copied());
    wimfs(&extract).expect_success("wimfs extract from URLs");
    let d = compare(
        &local,
        &walk(&dest, &WalkOptions::default()),
        &CompareOptions::default(),
    );
    assert!(d.is_empty(), "{}", format_report("extract from URLs", &d));
    // The outer ISO itself from the URL, through isofs.
    let l = IsoMount::new(iso.to_str().expect("utf-8"), &[]).expect("local iso");
    let w = IsoMount::new(&iso_url, &[]).expect("iso from URL");
    let d = compare(&l.walk(), &w.walk(), &same_opts());
    assert!(d.is_empty(), "{}", format_report("ISO URL vs local", &d));
}

#[test]
fn a_second_mount_with_the_same_cache_dir_fetches_almost_nothing() {
    let (dir, nginx) = server("http-cache");
    let (wim, _, _) = nested_and_split_fixture(dir.path(), 0);
    // A second version of the object, published later: other content, but the first
    // version's size and mtime, so nginx's validators (ETag = mtime in seconds + size,
    // Last-Modified) are the same; only the content check at open (the first bytes against
    // the cached block 0) can tell it is another object.
    let (wim2, _, _) = {
        let d2 = dir.path().join("v2");
        std::fs::create_dir_all(&d2).expect("mkdir");
        nested_and_split_fixture(&d2, 0x5555)
    };
    same_size_and_mtime(&wim, &wim2);
    publish(nginx.root(), "install.wim", &wim);
    let proxy = FaultProxy::start(nginx.http_addr());
    let url = format!("{}/install.wim", proxy.base_url());
    let cache = dir.path().join("cache");
    let cache_arg = cache.to_str().expect("utf-8");
    let first = wim_walk(&url, 1, &["--cache-dir", cache_arg]);
    let size = std::fs::metadata(&wim).expect("stat").len();
    let fetched_first = proxy.bytes_down();
    assert!(
        fetched_first >= size / 2,
        "the first walk fetched only {fetched_first} of {size}"
    );
    let before = proxy.bytes_down();
    let second = wim_walk(&url, 1, &["--cache-dir", cache_arg]);
    let fetched = proxy.bytes_down() - before;
    assert!(
        fetched * 50 <= size,
        "the second mount fetched {fetched} bytes of a {size}-byte WIM (over 2%)"
    );
    let d = compare(&first, &second, &same_opts());
    assert!(d.is_empty(), "{}", format_report("cached vs first", &d));
    // A new version on the server replaces the cached one (no stale bytes).
    publish(nginx.root(), "install.wim", &wim2);
    let third = wim_walk(&url, 1, &["--cache-dir", cache_arg]);
    let local2 = wim_walk(wim2.to_str().expect("utf-8"), 1, &[]);
    let d = compare(&local2, &third, &same_opts());
    assert!(
        d.is_empty(),
        "{}",
        format_report("new version through the cache", &d)
    );
}

/// Pads the smaller of `a` and `b` with zeros (bytes after a WIM's last structure are ignored)
/// and gives both the same mtime.
fn same_size_and_mtime(a: &Path, b: &Path) {
    let open = |p: &Path| {
        std::fs::File::options()
            .write(true)
            .open(p)
            .expect("open for writing")
    };
    let (fa, fb) = (open(a), open(b));
    let len = |f: &std::fs::File| f.metadata().expect("stat").len();
    let size = len(&fa).max(len(&fb));
    let mtime = fa.metadata().and_then(|m| m.modified()).expect("mtime");
    for f in [&fa, &fb] {
        f.set_len(size).expect("pad");
        f.set_modified(mtime).expect("set mtime");
    }
    assert_eq!(etag_of_file(a), etag_of_file(b), "same validators");
}

/// The strong ETag nginx gives the file `p`: `"mtime-size"` in hex.
fn etag_of_file(p: &Path) -> String {
    let m = std::fs::metadata(p).expect("stat");
    let secs = m
        .modified()
        .expect("mtime")
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    format!("\"{secs:x}-{:x}\"", m.len())
}
