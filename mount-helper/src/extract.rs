//! `extract`: write an image's tree to a directory through the same VFS a mount serves, with
//! files decoded in parallel. Hard links are recreated as hard links, symlinks as symlinks.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
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
                FileKind::File => match first_path.get(&e.ino) {
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
            Job::Symlink { target, path } => std::os::unix::fs::symlink(
                OsString::from(std::ffi::OsStr::from_bytes(target)),
                path,
            ),
            Job::File { .. } => Ok(()),
        }
        .map_err(|e| format!("{e}"))?;
    }
    Ok(totals.into_inner().unwrap_or_else(|p| p.into_inner()))
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
