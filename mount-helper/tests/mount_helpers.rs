//! mount(8) integration: the binaries run as `mount.wimfs` / `mount.isofs` (the helper
//! convention `mount.TYPE SOURCE DIR -o OPTS`), fstab-style option strings, `umount` and
//! `fusermount3 -u` of read-only mounts, and of writable ones (the staged changes survive for
//! `wimfs commit`). When run as root with a writable /sbin (as in CI), the helpers are installed
//! there for the duration of the test and real `mount -t wimfs|isofs` and `mount -T FSTAB`
//! calls go through them.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// Symlinks named like the helpers, pointing at the binaries under test.
fn helper_links(dir: &Path) -> (PathBuf, PathBuf) {
    let wim = dir.join("mount.wimfs");
    let iso = dir.join("mount.isofs");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_wimfs"), &wim).expect("symlink");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_isofs"), &iso).expect("symlink");
    (wim, iso)
}

/// Installs /sbin/mount.{wimfs,isofs} -> the binaries under test when possible; returns the
/// links made (removed by the caller), or None when mount(8) cannot be exercised here.
fn install_in_sbin() -> Option<Vec<PathBuf>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: skipping the real mount(8) part");
        return None;
    }
    let mut made = Vec::new();
    for (tool, exe) in [
        ("wimfs", env!("CARGO_BIN_EXE_wimfs")),
        ("isofs", env!("CARGO_BIN_EXE_isofs")),
    ] {
        let link = PathBuf::from(format!("/sbin/mount.{tool}"));
        if let Ok(existing) = fs::read_link(&link) {
            if !existing.to_string_lossy().contains("/target/") {
                eprintln!(
                    "{} is a real install: skipping the mount(8) part",
                    link.display()
                );
                made.iter().for_each(|l: &PathBuf| drop(fs::remove_file(l)));
                return None;
            }
            let _ = fs::remove_file(&link);
        } else if link.exists() {
            eprintln!("{} exists: skipping the mount(8) part", link.display());
            made.iter().for_each(|l: &PathBuf| drop(fs::remove_file(l)));
            return None;
        }
        std::os::unix::fs::symlink(exe, &link).expect("symlink in /sbin");
        made.push(link);
    }
    Some(made)
}

fn umount(dir: &Path) -> Command {
    let mut c = Command::new("umount");
    c.arg(dir);
    c
}

fn fusermount_u(dir: &Path) -> Command {
    let mut c = Command::new("fusermount3");
    c.arg("-u").arg(dir);
    c
}

#[test]
fn mount_helpers_follow_the_mount8_convention() {
    let scratch = TempDir::new("helpers");
    let dir = scratch.path();
    let src = dir.join("src");
    fs::create_dir_all(src.join("Windows")).expect("mkdir");
    fs::write(src.join("Windows/a.bin"), noise(300_000, 3)).expect("write");
    fs::write(src.join("hello.txt"), "hello").expect("write");
    let wim = dir.join("install.wim");
    capture(&src, &wim, "xpress");
    wimlib(&[
        "append",
        src.to_str().expect("utf-8"),
        wim.to_str().expect("utf-8"),
        "Second",
    ]);
    let iso = dir.join("image.iso");
    rr_iso(&src, &iso);
    let m = dir.join("m");
    fs::create_dir_all(&m).expect("mkdir");
    let (mount_wimfs, mount_isofs) = helper_links(dir);

    // The convention, called directly: fstab-style option strings, umount / fusermount3 -u.
    let mounted = MountGuard::mount(
        Command::new(&mount_wimfs).arg(&wim).arg(&m).args([
            "-o",
            "rw,image=Second,cache_mb=32,nofail,x-systemd.automount",
        ]),
        &m,
        umount(&m),
    );
    assert_same_tree(&m, &src);
    let created = fs::write(m.join("new.txt"), "x");
    assert!(
        created.is_err(),
        "mount(8)'s implicit rw must not make it writable"
    );
    mounted.unmount();
    let mounted = MountGuard::mount(
        Command::new(&mount_isofs)
            .arg(&iso)
            .arg(&m)
            .args(["-n", "-o", "ro,tree=joliet"]),
        &m,
        fusermount_u(&m),
    );
    assert_eq!(fs::read(m.join("hello.txt")).expect("read"), b"hello");
    mounted.unmount();
    let bad = Command::new(&mount_wimfs)
        .arg(&wim)
        .arg(&m)
        .args(["-o", "index=1,bogus"])
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bogus"));
    let missing = Command::new(&mount_wimfs)
        .arg(dir.join("nope.wim"))
        .arg(&m)
        .output()
        .expect("runs");
    assert_eq!(
        missing.status.code(),
        Some(32),
        "mount(8)'s 'mount failure' status"
    );

    // A writable mount unmounted by umount(8) keeps its changes staged; `wimfs commit` writes them.
    let cache = dir.join("cache");
    let staged = dir.join("staged");
    let writable = MountGuard::mount(
        Command::new(&mount_wimfs)
            .env("XDG_CACHE_HOME", &cache)
            .arg(&wim)
            .arg(&m)
            .arg("-o")
            .arg(format!("writable,index=1,staging_dir={}", staged.display())),
        &m,
        umount(&m),
    );
    fs::write(m.join("autounattend.xml"), "<unattend/>").expect("write");
    writable.unmount();
    wait_dead(staging_pid(&staged));
    wait_unlocked(&wim);
    let status = run(wimfs().env("XDG_CACHE_HOME", &cache).arg("status"));
    assert!(
        String::from_utf8_lossy(&status.stdout).contains(&*staged.to_string_lossy()),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
    run(wimfs()
        .env("XDG_CACHE_HOME", &cache)
        .arg("commit")
        .arg(&wim));
    // The commit removed the staging directory and the link that registered it; a link
    // whose directory was removed by other means is pruned by the next listing.
    let root = cache.join("wimfs/staging");
    assert!(
        !staged.exists(),
        "the committed staging directory is still there"
    );
    assert_eq!(
        entries(&root),
        Vec::<String>::new(),
        "links left after the commit"
    );
    std::os::unix::fs::symlink(
        dir.join("removed-by-hand"),
        root.join("0123456789abcdef.link"),
    )
    .expect("symlink");
    run(wimfs().env("XDG_CACHE_HOME", &cache).arg("status"));
    assert_eq!(
        entries(&root),
        Vec::<String>::new(),
        "a dangling link was kept"
    );
    let applied = dir.join("applied");
    apply(&wim, "1", &applied);
    assert_eq!(
        fs::read(applied.join("autounattend.xml")).expect("read"),
        b"<unattend/>"
    );
    verify(&wim);
    // An unchanged writable mount unmounted by fusermount3 -u leaves nothing behind.
    let staged2 = dir.join("staged2");
    let writable = MountGuard::mount(
        Command::new(&mount_wimfs)
            .env("XDG_CACHE_HOME", &cache)
            .arg(&wim)
            .arg(&m)
            .arg("-o")
            .arg(format!("writable,staging_dir={}", staged2.display())),
        &m,
        fusermount_u(&m),
    );
    let pid = staging_pid(&staged2);
    writable.unmount();
    wait_dead(pid);
    assert!(
        !staged2.join("info").exists(),
        "an unchanged mount left its staging behind"
    );

    // Real mount(8) calls through helpers installed in /sbin.
    if let Some(links) = install_in_sbin() {
        let result = std::panic::catch_unwind(|| {
            let mounted = MountGuard::mount(
                Command::new("mount")
                    .args(["-t", "wimfs", "-o", "index=2"])
                    .arg(&wim)
                    .arg(&m),
                &m,
                umount(&m),
            );
            assert_same_tree(&m, &src);
            mounted.unmount();
            let mounted = MountGuard::mount(
                Command::new("mount")
                    .args(["-t", "isofs"])
                    .arg(&iso)
                    .arg(&m),
                &m,
                umount(&m),
            );
            assert_eq!(fs::read(m.join("hello.txt")).expect("read"), b"hello");
            mounted.unmount();
            let fstab = dir.join("fstab");
            fs::write(
                &fstab,
                format!(
                    "{} {} wimfs ro,index=1,allow_other,nofail 0 0\n",
                    wim.display(),
                    m.display()
                ),
            )
            .expect("write");
            let mounted = MountGuard::mount(
                Command::new("mount").arg("-T").arg(&fstab).arg(&m),
                &m,
                umount(&m),
            );
            assert!(fs::read_to_string("/proc/self/mountinfo")
                .expect("mountinfo")
                .contains("allow_other"));
            assert!(m.join("autounattend.xml").exists());
            mounted.unmount();
        });
        for l in links {
            let _ = fs::remove_file(l);
        }
        if let Err(e) = result {
            std::panic::resume_unwind(e);
        }
    }
}

/// The names in `dir`, sorted (none if it does not exist).
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
