//! `wimfs commit DIR`: committing a live read-write mount, which stays mounted and writable.
//! wimlib is the oracle: after each commit (live, then live again, then at unmount)
//! `wimlib-imagex verify` passes and `apply` equals the expected tree, built by making the same
//! changes to a copy applied from the original WIM. A later commit writes only what changed
//! since (the first commit's blobs stay where they are); files open for reading keep reading
//! across a commit (also deleted ones, whose data the WIM no longer holds); files open for
//! writing block it unless `--force`, and stay writable; a
//! killed daemon resumes on the committed image with the changes made after it; a writer
//! racing a commit has each write refused (EBUSY) or kept, never torn into the WIM.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tests::{
    after_kill, apply, assert_same_tree, assert_wim_image, capture, noise, wimlib, RwMount, TempDir,
};
use wimfs::fs::StagingInfo;

fn base_wim(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    fs::create_dir_all(src.join("dir/sub")).expect("mkdir");
    fs::write(src.join("a.txt"), "original a\n".repeat(50)).expect("write");
    fs::write(src.join("big.bin"), noise(300_000, 1)).expect("write");
    fs::write(src.join("dir/keep.txt"), "keep me").expect("write");
    fs::write(src.join("dir/sub/del.txt"), "delete me").expect("write");
    fs::write(src.join("gone.txt"), "gone").expect("write");
    let wim = dir.join("base.wim");
    capture(&src, &wim, "lzx");
    wim
}

/// Changes before the first commit.
fn edits1(root: &Path) {
    fs::write(root.join("new1.bin"), noise(300_000, 5)).expect("write");
    fs::write(root.join("small.txt"), "small, committed first\n").expect("write");
    fs::write(root.join("a.txt"), "a, changed once\n".repeat(20)).expect("write");
    fs::create_dir_all(root.join("newdir/deep")).expect("mkdir");
    fs::write(root.join("newdir/deep/f.txt"), "deep file").expect("write");
    fs::remove_file(root.join("gone.txt")).expect("rm");
}

/// Changes after the first commit: a file it wrote is modified, one deleted, one added,
/// names moved.
fn edits2(root: &Path) {
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(root.join("small.txt"))
        .expect("open");
    f.write_all(b"and appended after it\n").expect("append");
    drop(f);
    fs::remove_file(root.join("newdir/deep/f.txt")).expect("rm");
    fs::remove_file(root.join("dir/sub/del.txt")).expect("rm");
    fs::write(root.join("new2.txt"), "added after the first commit").expect("write");
    fs::rename(root.join("dir/keep.txt"), root.join("newdir/kept.txt")).expect("mv");
    fs::create_dir(root.join("dir2")).expect("mkdir");
    fs::hard_link(root.join("new2.txt"), root.join("dir2/link.txt")).expect("ln");
}

/// Changes before the unmount's commit.
fn edits3(root: &Path) {
    fs::write(root.join("new1.bin.tail"), noise(1000, 9)).expect("write");
    fs::write(root.join("a.txt"), "a, changed twice\n").expect("write");
}

/// (hash, offset) of every non-metadata blob of image data, from `wimlib-imagex info --blobs`.
fn blobs(wim: &Path) -> BTreeMap<String, u64> {
    let out = wimlib(&["info", wim.to_str().expect("utf-8"), "--blobs"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut map = BTreeMap::new();
    for entry in text.split("\n\n") {
        let field = |k: &str| {
            entry.lines().find_map(|l| {
                let (a, b) = l.split_once('=')?;
                (a.trim() == k).then(|| b.trim().to_string())
            })
        };
        let (Some(hash), Some(offset), Some(flags)) =
            (field("Hash"), field("Offset in WIM"), field("Flags"))
        else {
            continue;
        };
        if flags.contains("METADATA") {
            continue;
        }
        let offset = offset.trim_end_matches(" bytes").parse().expect("offset");
        map.insert(hash, offset);
    }
    map
}

/// A scratch directory with the base WIM, `want` (its image 1 applied) and the WIM mounted
/// read-write at `m` (staging directory `st`).
fn mounted(name: &str) -> (TempDir, PathBuf, PathBuf, RwMount) {
    let scratch = TempDir::new(name);
    let dir = scratch.path();
    let wim = base_wim(dir);
    let want = dir.join("want");
    apply(&wim, "1", &want);
    let rw = RwMount::mount(&wim, "1", &dir.join("m"), &dir.join("st"));
    (scratch, wim, want, rw)
}

#[test]
fn commits_while_mounted_build_on_each_other_and_write_only_what_changed() {
    let (_scratch, wim, want, rw) = mounted("live");
    let (m, staging) = (rw.path().to_path_buf(), rw.staging().to_path_buf());
    let before = blobs(&wim);

    edits1(&m);
    edits1(&want);
    // Open for reading across the commit: an unchanged file and a staged one.
    let mut big = fs::File::open(m.join("big.bin")).expect("open");
    let mut first = [0u8; 1000];
    big.read_exact(&mut first).expect("read");
    let mut staged = fs::File::open(m.join("new1.bin")).expect("open");
    let size_before = fs::metadata(&wim).expect("stat").len();

    let out = rw.live_commit(&[]);
    let msg = String::from_utf8_lossy(&out.stdout);
    assert!(
        msg.contains("committed") && msg.contains("read-write"),
        "{msg}"
    );
    assert_wim_image(&wim, "1", &want);
    assert_same_tree(&m, &want);
    let after1 = blobs(&wim);
    let size1 = fs::metadata(&wim).expect("stat").len();
    assert!(
        size1 > size_before + 250_000,
        "the first commit wrote new1.bin"
    );

    // The handles opened before the commit read on.
    let mut rest = Vec::new();
    big.read_to_end(&mut rest).expect("read after the commit");
    assert_eq!([&first[..], &rest[..]].concat(), noise(300_000, 1));
    let mut all = Vec::new();
    staged.seek(SeekFrom::Start(0)).expect("seek");
    staged.read_to_end(&mut all).expect("read after the commit");
    assert_eq!(all, noise(300_000, 5));
    drop((big, staged));

    // Nothing changed since: a second commit does nothing.
    let out = rw.live_commit(&[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing changed"));
    assert_eq!(fs::metadata(&wim).expect("stat").len(), size1);

    edits2(&m);
    edits2(&want);
    rw.live_commit(&[]);
    assert_wim_image(&wim, "1", &want);
    assert_same_tree(&m, &want);
    let after2 = blobs(&wim);
    let size2 = fs::metadata(&wim).expect("stat").len();
    // Only the new data and the metadata, blob table and XML: not new1.bin again.
    assert!(
        size2 - size1 < 60_000,
        "the second commit grew the WIM by {} bytes",
        size2 - size1
    );
    for (hash, offset) in &after1 {
        if let Some(now) = after2.get(hash) {
            assert_eq!(now, offset, "blob {hash} was written again");
        }
    }
    assert!(
        after1
            .keys()
            .any(|h| !before.contains_key(h) && after2.contains_key(h)),
        "new1.bin, written by the first commit, is still in the WIM"
    );

    edits3(&m);
    edits3(&want);
    assert_same_tree(&m, &want);
    rw.commit();
    assert_wim_image(&wim, "1", &want);
    assert!(
        !staging.exists(),
        "the staging directory is gone after the unmount's commit"
    );
}

#[test]
fn files_open_for_writing_block_a_live_commit_unless_forced_and_stay_writable() {
    let (_scratch, wim, want, rw) = mounted("live-open");
    let m = rw.path().to_path_buf();

    let mut w = fs::OpenOptions::new()
        .write(true)
        .open(m.join("a.txt"))
        .expect("open for writing");
    w.write_all(b"FIRST").expect("write");
    w.flush().expect("flush");
    let _reader = fs::File::open(m.join("big.bin")).expect("open for reading");
    // Deleted while open: the committed WIM drops its data, the handle still reads it.
    let mut doomed = fs::File::open(m.join("dir/sub/del.txt")).expect("open");
    fs::remove_file(m.join("dir/sub/del.txt")).expect("rm");
    fs::remove_file(want.join("dir/sub/del.txt")).expect("rm");
    let out = rw.try_live_commit(&[]);
    assert!(
        !out.status.success(),
        "a file open for writing blocks the commit"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("open for writing") && err.contains("--force"),
        "{err}"
    );

    rw.live_commit(&["--force"]);
    let mut a = "original a\n".repeat(50).into_bytes();
    a[..5].copy_from_slice(b"FIRST");
    fs::write(want.join("a.txt"), &a).expect("write");
    assert_wim_image(&wim, "1", &want);
    let mut text = String::new();
    doomed
        .read_to_string(&mut text)
        .expect("a deleted open file reads after the commit");
    assert_eq!(text, "delete me");
    drop(doomed);

    // The handle writes on, onto the committed data.
    w.seek(SeekFrom::Start(11)).expect("seek");
    w.write_all(b"SECOND").expect("write after the commit");
    drop(w);
    a[11..17].copy_from_slice(b"SECOND");
    fs::write(want.join("a.txt"), &a).expect("write");
    assert_same_tree(&m, &want);
    drop(_reader);
    rw.commit();
    assert_wim_image(&wim, "1", &want);
}

#[test]
fn a_killed_mount_resumes_on_the_committed_image_with_the_later_changes() {
    let (_scratch, wim, want, rw) = mounted("live-resume");
    let (m, staging) = (rw.path().to_path_buf(), rw.staging().to_path_buf());
    edits1(&m);
    edits1(&want);
    rw.live_commit(&[]);
    // Changes after the commit use inode numbers the committed image, loaded afresh, would
    // number differently: the resumed mount must renumber it as the live one did.
    edits2(&m);
    edits2(&want);
    let pid = StagingInfo::read(&staging).expect("staging info").pid;
    // SAFETY: signalling the mount daemon started above.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    after_kill(rw, pid, &wim);

    let rw = RwMount::mount_with(&wim, "1", &m, &staging, |c| {
        c.arg("--resume");
    });
    assert_same_tree(&m, &want);
    edits3(&m);
    edits3(&want);
    rw.commit();
    assert_wim_image(&wim, "1", &want);
}

#[test]
fn writes_during_a_live_commit_are_refused_or_kept_never_torn_into_the_wim() {
    use std::os::unix::fs::FileExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let (scratch, wim, _, rw) = mounted("live-race");
    let (dir, m) = (scratch.path(), rw.path().to_path_buf());
    // A staged file big enough that its commit (hash, compress, write) takes a while.
    let mut expect = noise(24 << 20, 11);
    fs::write(m.join("big.staged"), &expect).expect("write");

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, path) = (Arc::clone(&stop), m.join("big.staged"));
        std::thread::spawn(move || {
            let f = fs::OpenOptions::new().write(true).open(path).expect("open");
            let (mut done, mut refused) = (Vec::new(), 0u32);
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let off = (i * 7_919_993) % ((24 << 20) - 8);
                match f.write_at(&i.to_le_bytes(), off) {
                    Ok(8) => done.push((off, i)),
                    Ok(n) => panic!("short write of {n}"),
                    Err(e) if e.raw_os_error() == Some(libc::EBUSY) => refused += 1,
                    Err(e) => panic!("write {i}: {e}"),
                }
                i += 1;
            }
            (done, refused)
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(50));
    let out = rw.try_live_commit(&["--force"]);
    stop.store(true, Ordering::SeqCst);
    let (done, refused) = writer.join().expect("writer");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(refused > 0, "no write overlapped the commit");
    // Whatever the snapshot held, the WIM verifies: no blob was written torn.
    wimlib(&["verify", wim.to_str().expect("utf-8")]);
    // Every acknowledged write is in the mount, in order.
    for (off, i) in &done {
        expect[*off as usize..*off as usize + 8].copy_from_slice(&i.to_le_bytes());
    }
    assert!(fs::read(m.join("big.staged")).expect("read") == expect);
    rw.commit();
    let got = dir.join("got");
    apply(&wim, "1", &got);
    assert!(fs::read(got.join("big.staged")).expect("read") == expect);
}
