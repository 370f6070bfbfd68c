//! Random-access reads: pread(2) at chunk boundaries, in the middle, at and past the end, in
//! descending order and from several threads at once, compared byte for byte with the same reads
//! from the reference tree. Run it on a fresh mount, before anything has read the files
//! sequentially, or the kernel's page cache answers instead of the filesystem.

use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::tree::{errno_name, show_path, Content, Kind, Manifest};

/// Offsets worth reading in a file of `size` bytes: around 4 KiB pages, 32 KiB and 64 KiB chunks,
/// 2 MiB chunks, the middle, the end and past the end. Descending.
pub fn interesting_offsets(size: u64) -> Vec<u64> {
    let mut v = vec![0, 1, 4095, 4096, size / 3, size / 2];
    for boundary in [32768u64, 65536, 2 * 1024 * 1024] {
        let mut b = boundary;
        while b < size && v.len() < 64 {
            v.extend([b - 1, b, b + 1]);
            b += boundary * 7; // not every boundary: a few spread over the file
        }
    }
    v.extend([
        size.saturating_sub(4097),
        size.saturating_sub(1),
        size,
        size + 1000,
    ]);
    v.retain(|&o| o <= size + 1000);
    v.sort_unstable();
    v.dedup();
    v.reverse();
    v
}

/// Lengths read at each offset: one byte, a page and a bit, more than two 32 KiB chunks.
pub const READ_LENGTHS: [usize; 3] = [1, 4096 + 17, 70001];

fn pread_full(f: &File, buf: &mut [u8], offset: u64) -> Result<usize, i32> {
    let mut done = 0;
    while done < buf.len() {
        match f.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.raw_os_error().unwrap_or(libc::EIO)),
        }
    }
    Ok(done)
}

fn check_file(rel: &[u8], expected: &Path, actual: &Path, size: u64, rotate: usize) -> Vec<String> {
    let p = show_path(rel);
    let ef = match File::open(expected) {
        Ok(f) => f,
        Err(e) => return vec![format!("{p}: reference open failed: {e}")],
    };
    let af = match File::open(actual) {
        Ok(f) => f,
        Err(e) => {
            return vec![format!(
                "{p}: open failed: {}",
                errno_name(e.raw_os_error().unwrap_or(0))
            )]
        }
    };
    let mut offsets = interesting_offsets(size);
    let n = offsets.len();
    offsets.rotate_left(rotate % n.max(1));
    let mut out = Vec::new();
    let mut ebuf = vec![0u8; READ_LENGTHS[2]];
    let mut abuf = vec![0u8; READ_LENGTHS[2]];
    for &off in &offsets {
        for &len in &READ_LENGTHS {
            let want = match pread_full(&ef, &mut ebuf[..len], off) {
                Ok(n) => n,
                Err(e) => {
                    out.push(format!("{p}: reference pread failed: {}", errno_name(e)));
                    continue;
                }
            };
            match pread_full(&af, &mut abuf[..len], off) {
                Ok(got) if got == want && abuf[..got] == ebuf[..want] => {}
                Ok(got) if got != want => out.push(format!(
                    "{p}: pread({len} at {off}) returned {got} bytes, expected {want}"
                )),
                Ok(got) => {
                    let first = (0..got).find(|&i| abuf[i] != ebuf[i]).unwrap_or(0);
                    out.push(format!(
                        "{p}: pread({len} at {off}): wrong bytes from offset {}",
                        off + first as u64
                    ))
                }
                Err(e) => out.push(format!(
                    "{p}: pread({len} at {off}) failed: {}",
                    errno_name(e)
                )),
            }
        }
        if out.len() > 20 {
            out.push(format!("{p}: (more pread differences not listed)"));
            break;
        }
    }
    out
}

/// Reads the regular files of `expected` (at most `max_files`, largest first) at
/// [`interesting_offsets`] from the tree at `actual_root` and from `expected.root`, with
/// `threads` threads taking files in turn, and the three largest files read by every thread at
/// once. Returns every difference.
pub fn compare_random_reads(
    expected: &Manifest,
    actual_root: &Path,
    threads: usize,
    max_files: usize,
) -> Vec<String> {
    let mut files: Vec<(&Vec<u8>, u64)> = expected
        .entries
        .iter()
        .filter(|(_, e)| e.kind == Kind::File && matches!(e.content, Some(Content::Data { .. })))
        .filter(|(_, e)| e.size > 0)
        .map(|(p, e)| (p, e.size))
        .collect();
    files.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    files.truncate(max_files);
    let threads = threads.max(1);
    let shared = files.len().min(3);
    let results: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let files = &files;
                s.spawn(move || {
                    let mut out = Vec::new();
                    for (i, (rel, size)) in files.iter().enumerate() {
                        if i >= shared && i % threads != t {
                            continue;
                        }
                        let rel_os = std::ffi::OsStr::from_bytes(rel);
                        out.extend(check_file(
                            rel,
                            &expected.root.join(rel_os),
                            &actual_root.join(rel_os),
                            *size,
                            t * 5,
                        ));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a random-read thread panicked"))
            .collect()
    });
    let mut all: Vec<String> = results.into_iter().flatten().collect();
    all.sort();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_cover_boundaries_and_the_end() {
        let v = interesting_offsets(5 * 32768 + 1);
        for o in [
            0,
            32767,
            32768,
            32769,
            5 * 32768,
            5 * 32768 + 1,
            5 * 32768 + 1001,
        ] {
            assert!(v.contains(&o), "{o} missing from {v:?}");
        }
        assert!(v.windows(2).all(|w| w[0] > w[1]), "not descending: {v:?}");
        assert_eq!(interesting_offsets(1), vec![1001, 1, 0]);
    }
}
