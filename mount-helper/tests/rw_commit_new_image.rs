//! Committing as a new image (`wimfs unmount DIR --commit --new-image`, and offline `wimfs commit
//! WIM --new-image` of changes an interrupted mount left staged), with wimlib as the oracle:
//! `wimlib-imagex verify` passes; `info` shows one more image, its name, the unchanged boot
//! index, and for the new image the counts wimlib itself computes for the expected tree; `apply`
//! of every old image gives its original tree and of the new one the edited tree (a deleted
//! file, a renamed directory, new files, modified files, new and old hard links, a symlink). The original
//! image's metadata resource, blob table entry and XML entry stay byte for byte; a name another
//! image has is refused and leaves the WIM as it was. A plain (replacing) commit writes wimlib's
//! counts too.

use std::fs;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tests::guard::unmount_command;
use tests::{
    after_kill, apply_fresh, assert_same_tree, assert_wim_image, capture, copy_tree, noise, run_ok,
    wimfs_bin, wimlib, MountGuard, RwMount, TempDir,
};
use wimfs::fs::StagingInfo;

/// A WIM with image 1 "Base" (the one serviced) and image 2 "Base (2)", image 1 bootable.
fn make_wim(dir: &Path, compress: &str) -> PathBuf {
    let src = dir.join("src");
    fs::create_dir_all(src.join("Windows/System32/config")).expect("mkdir");
    fs::create_dir_all(src.join("Windows/System32/drivers")).expect("mkdir");
    fs::create_dir_all(src.join("Windows/INF")).expect("mkdir");
    fs::create_dir_all(src.join("Program Files/App/data")).expect("mkdir");
    fs::create_dir_all(src.join("Users")).expect("mkdir");
    fs::write(
        src.join("Windows/System32/config/SYSTEM"),
        noise(150_000, 1),
    )
    .expect("write");
    fs::write(
        src.join("Windows/System32/drivers/old.sys"),
        noise(40_000, 2),
    )
    .expect("write");
    fs::write(src.join("Windows/INF/base.inf"), "[Version]\r\n".repeat(50)).expect("write");
    fs::write(src.join("Program Files/App/app.exe"), noise(80_000, 3)).expect("write");
    fs::write(src.join("Program Files/App/data/app.cfg"), "x=1\n").expect("write");
    fs::write(src.join("Users/a.txt"), "shared by two names").expect("write");
    fs::hard_link(src.join("Users/a.txt"), src.join("Users/a-link.txt")).expect("link");
    fs::write(src.join("readme.txt"), "read me").expect("write");
    let wim = dir.join("install.wim");
    let path = |p: &Path| p.to_str().expect("utf-8").to_string();
    wimlib(&[
        "capture",
        &path(&src),
        &path(&wim),
        "Base",
        &format!("--compress={compress}"),
    ]);
    let src2 = dir.join("src2");
    fs::create_dir_all(&src2).expect("mkdir");
    fs::write(src2.join("other.txt"), "image two").expect("write");
    wimlib(&["append", &path(&src2), &path(&wim), "Base (2)"]);
    wimlib(&["info", &path(&wim), "1", "--boot"]);
    wim
}

/// The edits, made with plain file operations under `root`.
fn edit(root: &Path) {
    fs::remove_file(root.join("Windows/System32/drivers/old.sys")).expect("rm");
    fs::rename(
        root.join("Program Files/App"),
        root.join("Program Files/Application"),
    )
    .expect("mv");
    fs::create_dir_all(root.join("Windows/Panther")).expect("mkdir");
    fs::write(root.join("Windows/Panther/unattend.xml"), "<unattend/>\n").expect("write");
    fs::write(
        root.join("Windows/System32/drivers/new.sys"),
        noise(120_000, 4),
    )
    .expect("write");
    let mut inf = fs::read(root.join("Windows/INF/base.inf")).expect("read");
    inf.extend_from_slice(b"[Strings]\r\n");
    fs::write(root.join("Windows/INF/base.inf"), inf).expect("write");
    let system = fs::OpenOptions::new()
        .write(true)
        .open(root.join("Windows/System32/config/SYSTEM"))
        .expect("open");
    system.write_all_at(b"SERVICED", 70_000).expect("pwrite");
    drop(system);
    // A new name for an old file, and a new file with two names.
    fs::hard_link(root.join("readme.txt"), root.join("Users/readme-link.txt")).expect("link");
    fs::write(root.join("Users/log.txt"), "new and linked").expect("write");
    fs::hard_link(root.join("Users/log.txt"), root.join("log-link.txt")).expect("link");
    std::os::unix::fs::symlink("../readme.txt", root.join("Users/readme.lnk")).expect("symlink");
}

/// `wimlib-imagex info WIM [IMAGE]`.
fn info(wim: &Path, image: Option<&str>) -> String {
    let mut args = vec!["info", wim.to_str().expect("utf-8")];
    args.extend(image);
    String::from_utf8_lossy(&wimlib(&args).stdout).into_owned()
}

/// The value of `Key:` in wimlib's info output.
fn field(info: &str, key: &str) -> String {
    info.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {key:?} in:\n{info}"))
        .trim()
        .to_string()
}

/// The counts wimlib reports for image `image` of `wim`.
fn counts(wim: &Path, image: &str) -> Vec<String> {
    let text = info(wim, Some(image));
    [
        "Directory Count",
        "File Count",
        "Total Bytes",
        "Hard Link Bytes",
    ]
    .iter()
    .map(|k| format!("{k}: {}", field(&text, k)))
    .collect()
}

/// What must not change when an image is added: the file between the header and the old end
/// (so every old resource), the old images' blob table entries and their XML elements.
#[derive(Debug, PartialEq)]
struct OldImages {
    body: Vec<u8>,
    metadata_entries: Vec<[u8; 50]>,
    xml_images: Vec<String>,
}

fn old_images(wim: &Path, old_len: usize, count: usize) -> OldImages {
    let bytes = fs::read(wim).expect("read WIM");
    let h = wimfs::format::WimHeader::parse(&bytes).expect("header");
    let at = h.blob_table.offset_in_wim as usize;
    let table = &bytes[at..at + h.blob_table.size_in_wim as usize];
    let entries =
        wimfs::format::blob_table::parse_blob_table(table, at as u64).expect("blob table");
    let opened = wimfs::WimFile::open(
        wim,
        std::sync::Arc::new(common::cache::ChunkCache::new(1 << 20)),
    )
    .expect("open WIM");
    let xml = opened.xml();
    let xml_images = (1..=count)
        .map(|i| {
            let start = xml
                .find(&format!("<IMAGE INDEX=\"{i}\">"))
                .unwrap_or_else(|| panic!("no IMAGE {i} in {xml}"));
            let len = xml[start..].find("</IMAGE>").expect("end tag");
            xml[start..start + len].to_string()
        })
        .collect();
    OldImages {
        body: bytes[208..old_len].to_vec(),
        metadata_entries: entries
            .iter()
            .filter(|e| e.reshdr.is_metadata())
            .take(count)
            .map(|e| e.to_bytes())
            .collect(),
        xml_images,
    }
}

/// Image `image` of `wim` applied into a fresh `dir/name`.
fn applied(dir: &Path, wim: &Path, image: &str, name: &str) -> PathBuf {
    let to = dir.join(name);
    apply_fresh(wim, image, &to);
    to
}

/// `out` of `what`, which must have failed saying `want`.
fn refused(what: &str, out: &Output, want: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{what} must fail");
    assert!(stderr.contains(want), "{what}: {stderr}");
}

#[derive(Clone, Copy)]
enum How {
    /// `wimfs unmount --commit --new-image` on the live mount.
    Online,
    /// The daemon killed, then `wimfs commit WIM --new-image`.
    Offline,
}

fn scenario(compress: &str, how: How) {
    let tag = match how {
        How::Online => "online",
        How::Offline => "offline",
    };
    let scratch = TempDir::new(&format!("new-image-{tag}-{compress}"));
    let dir = scratch.path();
    let wim = make_wim(dir, compress);
    let old1 = applied(dir, &wim, "1", "old1");
    let old2 = applied(dir, &wim, "2", "old2");
    let expected = dir.join("expected");
    copy_tree(&old1, &expected);
    edit(&expected);
    // wimlib's own counts for the expected tree, captured as a WIM of its own.
    let oracle = dir.join("oracle.wim");
    capture(&expected, &oracle, compress);
    let want_counts = counts(&oracle, "1");
    let old_len = fs::metadata(&wim).expect("stat").len() as usize;
    let before = old_images(&wim, old_len, 2);
    let untouched = fs::read(&wim).expect("read");

    let m = dir.join("m");
    let staging = dir.join("staging");
    let rw = RwMount::mount(&wim, "1", &m, &staging);
    edit(&m);
    match how {
        How::Online => {
            // A name another image has (in another case, too) is refused; nothing changes and
            // the mount stays, changes and all.
            let args = ["--commit", "--new-image", "--image-name", "base (2)"];
            refused(
                &format!("unmount {args:?}"),
                &rw.try_unmount(&args),
                "image 2 already has this name",
            );
            assert_eq!(fs::read(&wim).expect("read"), untouched, "WIM changed");
            assert!(m.join("Users/log.txt").exists(), "the mount went away");
            rw.commit_with(&["--new-image"]);
        }
        How::Offline => {
            let pid = StagingInfo::read(&staging).expect("staging info").pid;
            // SAFETY: killing the daemon this test started, as a crash would.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            after_kill(rw, pid, &wim);
            let offline = |name: &str| {
                let mut cmd = Command::new(wimfs_bin());
                cmd.arg("commit")
                    .arg(&wim)
                    .arg("--staging")
                    .arg(&staging)
                    .args(["--new-image", "--image-name", name]);
                cmd
            };
            let out = offline("Base").output().expect("run wimfs commit");
            refused(
                "commit --image-name Base",
                &out,
                "image 1 already has this name",
            );
            assert_eq!(fs::read(&wim).expect("read"), untouched, "WIM changed");
            assert!(staging.exists(), "the staged changes must stay");
            run_ok(&mut offline("Base serviced"));
        }
    }
    assert!(
        !staging.exists(),
        "the staging directory is removed after a commit"
    );

    wimlib(&["verify", wim.to_str().expect("utf-8")]);
    let all = info(&wim, None);
    assert_eq!(field(&all, "Image Count"), "3", "{all}");
    assert_eq!(field(&all, "Boot Index"), "1", "{all}");
    let name = match how {
        How::Online => "Base (3)", // "Base (2)" is taken
        How::Offline => "Base serviced",
    };
    let third = info(&wim, Some("3"));
    assert_eq!(field(&third, "Name"), name, "{third}");
    assert_eq!(counts(&wim, "3"), want_counts, "the new image's XML counts");
    assert_eq!(
        old_images(&wim, old_len, 2),
        before,
        "the old images' resources, blob table entries and XML changed"
    );
    assert_same_tree(&applied(dir, &wim, "1", "got1"), &old1);
    assert_same_tree(&applied(dir, &wim, "2", "got2"), &old2);
    assert_same_tree(&applied(dir, &wim, "3", "got3"), &expected);
    assert_same_tree(&applied(dir, &wim, name, "got-by-name"), &expected);

    // Our own read-only mount of the new image, by name, shows the same.
    let ro = MountGuard::mount(
        Command::new(wimfs_bin())
            .arg("mount")
            .arg(&wim)
            .arg(name)
            .arg(&m),
        &m,
        unmount_command(&wimfs_bin(), &m),
    );
    assert_same_tree(&m, &expected);
    ro.unmount();
}

#[test]
fn new_image_online_lzx() {
    scenario("lzx", How::Online);
}

#[test]
fn new_image_online_xpress() {
    scenario("xpress", How::Online);
}

#[test]
fn new_image_offline_lzx() {
    scenario("lzx", How::Offline);
}

#[test]
fn new_image_offline_xpress() {
    scenario("xpress", How::Offline);
}

/// The counts a commit writes (shared by both kinds of commit) are wimlib's for the same tree
/// in a plain commit too.
#[test]
fn a_replacing_commit_writes_wimlibs_counts() {
    let scratch = TempDir::new("new-image-replace-counts");
    let dir = scratch.path();
    let wim = make_wim(dir, "lzx");
    let expected = applied(dir, &wim, "1", "expected");
    edit(&expected);
    let oracle = dir.join("oracle.wim");
    capture(&expected, &oracle, "lzx");
    let rw = RwMount::mount(&wim, "1", &dir.join("m"), &dir.join("staging"));
    edit(rw.path());
    rw.commit();
    assert_wim_image(&wim, "1", &expected);
    assert_eq!(field(&info(&wim, None), "Image Count"), "2");
    assert_eq!(counts(&wim, "1"), counts(&oracle, "1"));
}
