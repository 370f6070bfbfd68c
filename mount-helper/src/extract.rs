//! `extract`: write an image's tree to a directory through the same VFS a mount serves, with
//! files decoded in parallel. Hard links are recreated as hard links, symlinks as symlinks.
//!
//! On Windows a symlink is a file or a directory symlink depending on what its target is once
//! everything else is extracted, `/` in targets becomes `\`, and creating one needs Developer
//! Mode or administrator rights (an error says so).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use common::vfs::{FileKind, Vfs, ROOT_INO};

/// What to do for one inode.
enum Job {
    File { ino: u64, path: PathBuf },
    Link { target: PathBuf, path: PathBuf },
    Symlink { target: Vec<u8>, path: PathBuf },
}

/// Extracts everything below the root of `fs` into `dest` (created if missing), using
/// `threads` workers. Returns (files, bytes).
pub fn extract(fs: &dyn Vfs, dest: &Path, threads: usize) -> Result<(u64, u64), String> {
    std::fs::create_dir_all(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    let mut jobs = Vec::new();
    let mut first_path: HashMap<u64, PathBuf> = HashMap::new();
    let mut stack = vec![(ROOT_INO, dest.to_path_buf())];
    while let Some((dir, path)) = stack.pop() {
        let mut entries = Vec::new();
        fs.readdir(dir, 0, &mut |_, e| {
            entries.push(e.clone());
            false
        })
        .map_err(|e| format!("listing {}: {e}", path.display()))?;
        for e in entries {
            let child = path.join(&e.name);
            match e.kind {
                FileKind::Directory => {
                    std::fs::create_dir_all(&child)
                        .map_err(|err| format!("{}: {err}", child.display()))?;
                    stack.push((e.ino, child));
                }
                FileKind::Symlink => {
                    let target = fs
                        .readlink(e.ino)
                        .map_err(|err| format!("{}: {err}", child.display()))?;
                    jobs.push(Job::Symlink {
                        target,
                        path: child,
                    });
                }
                // Device nodes, FIFOs and sockets are written as empty files, as
                // `wimlib-imagex apply` does without --unix-data.
                FileKind::File
                | FileKind::CharDevice
                | FileKind::BlockDevice
                | FileKind::Fifo
                | FileKind::Socket => match first_path.get(&e.ino) {
                    Some(first) => jobs.push(Job::Link {
                        target: first.clone(),
                        path: child,
                    }),
                    None => {
                        first_path.insert(e.ino, child.clone());
                        jobs.push(Job::File {
                            ino: e.ino,
                            path: child,
                        });
                    }
                },
            }
        }
    }
    // Files first (links need their targets), then links and symlinks.
    jobs.sort_by_key(|j| !matches!(j, Job::File { .. }));
    let split = jobs
        .iter()
        .position(|j| !matches!(j, Job::File { .. }))
        .unwrap_or(jobs.len());
    let (files, rest) = jobs.split_at(split);
    let next = AtomicUsize::new(0);
    let totals = Mutex::new((0u64, 0u64));
    let first_error: Mutex<Option<String>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(Job::File { ino, path }) = files.get(i) else {
                        break;
                    };
                    match write_file(fs, *ino, path, &mut buf) {
                        Ok(n) => {
                            let mut t = totals.lock().unwrap_or_else(|p| p.into_inner());
                            t.0 += 1;
                            t.1 += n;
                        }
                        Err(e) => {
                            first_error
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    for job in rest {
        match job {
            Job::Link { target, path } => std::fs::hard_link(target, path),
            Job::Symlink { target, path } => make_symlink(target, path),
            Job::File { .. } => Ok(()),
        }
        .map_err(|e| format!("{e}"))?;
    }
    Ok(totals.into_inner().unwrap_or_else(|p| p.into_inner()))
}

/// A symlink at `path` to the stored target bytes.
#[cfg(unix)]
fn make_symlink(target: &[u8], path: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(target), path)
}

/// A symlink at `path` to the stored target bytes.
#[cfg(windows)]
fn make_symlink(target: &[u8], path: &Path) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    let text = std::str::from_utf8(target).map_err(|_| {
        Error::new(
            ErrorKind::InvalidData,
            format!("{}: the symlink's target is not UTF-8", path.display()),
        )
    })?;
    let target = PathBuf::from(text.replace('/', "\\"));
    let resolved = match path.parent() {
        Some(parent) if target.is_relative() => parent.join(&target),
        _ => target.clone(),
    };
    let made = if resolved.is_dir() {
        std::os::windows::fs::symlink_dir(&target, path)
    } else {
        std::os::windows::fs::symlink_file(&target, path)
    };
    made.map_err(|e| {
        // ERROR_PRIVILEGE_NOT_HELD: no SeCreateSymbolicLinkPrivilege, no Developer Mode.
        if e.raw_os_error() == Some(1314) || e.kind() == ErrorKind::PermissionDenied {
            Error::new(
                e.kind(),
                format!(
                    "{}: creating symlinks needs Developer Mode or administrator rights: {e}",
                    path.display()
                ),
            )
        } else {
            Error::new(e.kind(), format!("{}: {e}", path.display()))
        }
    })
}

fn write_file(fs: &dyn Vfs, ino: u64, path: &Path, buf: &mut [u8]) -> Result<u64, String> {
    let ctx = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let open = fs.open(ino, false).map_err(|e| ctx(&e))?;
    let mut out = std::fs::File::create(path).map_err(|e| ctx(&e))?;
    let mut off = 0u64;
    loop {
        let n = fs.read(ino, open.handle, off, buf).map_err(|e| ctx(&e))?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n]).map_err(|e| ctx(&e))?;
        off += n as u64;
    }
    let _ = fs.release(ino, open.handle);
    Ok(off)
}
