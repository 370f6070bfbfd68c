//! Positional I/O: the [`ReadAt`] trait and its two basic sources, and the positional file
//! calls every crate uses ([`read_at`], [`read_exact_at`], [`write_all_at`]).
//!
//! Every reader in the project takes `&self` and an explicit offset, so concurrent FUSE reads
//! never serialize on a shared file cursor. [`FileSource`] reads a file with `pread(2)`;
//! [`SubRange`] exposes a byte range of another reader (an image inside an image).
//!
//! `pread` is used rather than a memory map on purpose: a mapped file that shrinks underneath us
//! turns reads into `SIGBUS`, which the "never crash on hostile input" rule forbids.
//!
//! The file calls are `pread(2)`/`pwrite(2)` on Unix and `ReadFile`/`WriteFile` with an
//! explicit offset on Windows (`seek_read`/`seek_write`, which also move the handle's cursor;
//! nothing in the project reads or writes through the cursor of a file it uses positionally).

use std::fs::File;
use std::io;
#[cfg(unix)]
use std::os::unix::fs::FileExt;
#[cfg(windows)]
use std::os::windows::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A source of bytes readable at any offset from many threads at once.
pub trait ReadAt: Send + Sync + std::fmt::Debug {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read (0 at the end).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// The total length of the source in bytes.
    fn len(&self) -> u64;

    /// True if the source holds no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` completely from `offset`, or fails with `UnexpectedEof` naming the range.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset
                .checked_add(done as u64)
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "offset overflow"))?;
            match self.read_at(pos, &mut buf[done..]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "wanted {} bytes at offset {offset}, the source ends at {}",
                            buf.len(),
                            self.len()
                        ),
                    ))
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl<T: ReadAt + ?Sized> ReadAt for Arc<T> {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        (**self).read_at(offset, buf)
    }
    fn len(&self) -> u64 {
        (**self).len()
    }
}

/// A file on disk, read with `pread(2)`. Its length is taken once, at open.
#[derive(Debug)]
pub struct FileSource {
    file: File,
    len: u64,
    path: PathBuf,
}

impl FileSource {
    /// Opens `path` read-only.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is a directory", path.display()),
            ));
        }
        Ok(Self {
            file,
            len: meta.len(),
            path: path.to_path_buf(),
        })
    }

    /// The path the source was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying file, for callers that need to fsync or lock it.
    pub fn file(&self) -> &File {
        &self.file
    }
}

/// One positional read of up to `buf.len()` bytes at `offset`; 0 at the end of the file.
#[cfg(unix)]
pub fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    file.read_at(buf, offset)
}

/// One positional read of up to `buf.len()` bytes at `offset`; 0 at the end of the file.
#[cfg(windows)]
pub fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    // std turns ReadFile's ERROR_HANDLE_EOF (a positional read at the end) into Ok(0).
    file.seek_read(buf, offset)
}

/// Fills `buf` from `offset` of `file`, or fails with `UnexpectedEof`.
#[cfg(unix)]
pub fn read_exact_at(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
    file.read_exact_at(buf, offset)
}

/// Fills `buf` from `offset` of `file`, or fails with `UnexpectedEof`.
#[cfg(windows)]
pub fn read_exact_at(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
    let mut done = 0usize;
    while done < buf.len() {
        match read_at(file, checked_pos(offset, done)?, &mut buf[done..]) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "failed to fill whole buffer",
                ))
            }
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes all of `data` at `offset` of `file` (extending it as needed).
#[cfg(unix)]
pub fn write_all_at(file: &File, offset: u64, data: &[u8]) -> io::Result<()> {
    file.write_all_at(data, offset)
}

/// Writes all of `data` at `offset` of `file` (extending it as needed).
#[cfg(windows)]
pub fn write_all_at(file: &File, offset: u64, data: &[u8]) -> io::Result<()> {
    let mut done = 0usize;
    while done < data.len() {
        match file.seek_write(&data[done..], checked_pos(offset, done)?) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "failed to write whole buffer",
                ))
            }
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `offset + done`, or an error instead of wrapping around.
#[cfg(windows)]
fn checked_pos(offset: u64, done: usize) -> io::Result<u64> {
    offset
        .checked_add(done as u64)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "offset overflow"))
}

/// Bytes an unprivileged writer may still use on the file system holding `path`
/// (`statvfs(3)`'s `f_bavail * f_frsize`; `GetDiskFreeSpaceExW`'s bytes available to the
/// caller, which honours quotas, on Windows).
#[cfg(unix)]
pub fn available_space(path: &Path) -> io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL in the path"))?;
    // SAFETY: `c` is a valid NUL-terminated path; `st` is plain data statvfs fills on success.
    unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c.as_ptr(), &mut st) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
    }
}

/// Bytes an unprivileged writer may still use on the file system holding `path`
/// (`statvfs(3)`'s `f_bavail * f_frsize`; `GetDiskFreeSpaceExW`'s bytes available to the
/// caller, which honours quotas, on Windows).
#[cfg(windows)]
pub fn available_space(path: &Path) -> io::Result<u64> {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::Storage::FileSystem::GetDiskFreeSpaceExW;
    let mut wide: Vec<u16> = path.as_os_str().encode_wide().collect();
    if wide.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a NUL in the path",
        ));
    }
    wide.push(0);
    let mut available = 0u64;
    // SAFETY: `wide` is NUL-terminated and outlives the call; the two optional outputs are
    // null, the one we ask for points at a local.
    let ok = unsafe {
        GetDiskFreeSpaceExW(
            wide.as_ptr(),
            &mut available,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(available)
}

impl ReadAt for FileSource {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.len {
            return Ok(0);
        }
        let max = usize::try_from(self.len - offset).unwrap_or(usize::MAX);
        let want = buf.len().min(max);
        read_at(&self.file, offset, &mut buf[..want])
    }
    fn len(&self) -> u64 {
        self.len
    }
}

/// The bytes `[start, start + len)` of another reader, addressed from 0.
#[derive(Debug, Clone)]
pub struct SubRange<R> {
    inner: R,
    start: u64,
    len: u64,
}

impl<R: ReadAt> SubRange<R> {
    /// Fails if the range does not lie inside `inner`.
    pub fn new(inner: R, start: u64, len: u64) -> io::Result<Self> {
        let end = start.checked_add(len);
        match end {
            Some(end) if end <= inner.len() => Ok(Self { inner, start, len }),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "range {start}+{len} lies past the end of its container ({} bytes)",
                    inner.len()
                ),
            )),
        }
    }
}

impl<R: ReadAt> ReadAt for SubRange<R> {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.len {
            return Ok(0);
        }
        let max = usize::try_from(self.len - offset).unwrap_or(usize::MAX);
        let want = buf.len().min(max);
        // start + offset < start + len <= inner.len(): cannot overflow.
        self.inner.read_at(self.start + offset, &mut buf[..want])
    }
    fn len(&self) -> u64 {
        self.len
    }
}

/// An in-memory source, for tests and for small decoded structures.
/// Copies `data` from `offset` into `buf`: the count copied, 0 at or past the end.
pub fn copy_at(data: &[u8], offset: u64, buf: &mut [u8]) -> usize {
    let Some(rest) = usize::try_from(offset)
        .ok()
        .and_then(|start| data.get(start..))
    else {
        return 0;
    };
    let n = buf.len().min(rest.len());
    buf[..n].copy_from_slice(&rest[..n]);
    n
}

impl ReadAt for Vec<u8> {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        Ok(copy_at(self, offset, buf))
    }
    fn len(&self) -> u64 {
        self.len() as u64
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn copy_at_stops_at_the_end() {
        let data = [1u8, 2, 3, 4];
        let mut buf = [0u8; 3];
        assert_eq!(copy_at(&data, 0, &mut buf), 3);
        assert_eq!(buf, [1, 2, 3]);
        assert_eq!(copy_at(&data, 3, &mut buf), 1);
        assert_eq!(buf[0], 4);
        assert_eq!(copy_at(&data, 4, &mut buf), 0);
        assert_eq!(copy_at(&data, u64::MAX, &mut buf), 0);
    }
    use super::*;

    #[test]
    fn subrange_reads_inside_and_stops_at_end() {
        let data: Vec<u8> = (0..100u8).collect();
        let sub = SubRange::new(data, 10, 20).expect("range inside");
        let mut buf = [0u8; 8];
        assert_eq!(sub.read_at(0, &mut buf).expect("read"), 8);
        assert_eq!(buf[0], 10);
        assert_eq!(sub.read_at(16, &mut buf).expect("read"), 4);
        assert_eq!(&buf[..4], &[26, 27, 28, 29]);
        assert_eq!(sub.read_at(20, &mut buf).expect("read"), 0);
        assert!(sub.read_exact_at(15, &mut buf).is_err());
    }

    #[test]
    fn subrange_rejects_ranges_past_the_end() {
        let data: Vec<u8> = vec![0; 10];
        assert!(SubRange::new(data.clone(), 5, 6).is_err());
        assert!(SubRange::new(data, u64::MAX, 2).is_err());
    }

    #[test]
    fn file_source_reads_with_pread() {
        let dir = std::env::temp_dir().join(format!("common-io-{}", std::process::id()));
        std::fs::write(&dir, b"hello world").expect("write temp");
        let src = FileSource::open(&dir).expect("open");
        let mut buf = [0u8; 5];
        src.read_exact_at(6, &mut buf).expect("read");
        assert_eq!(&buf, b"world");
        assert!(src.read_exact_at(8, &mut buf).is_err());
        std::fs::remove_file(&dir).ok();
    }

    #[test]
    fn positional_writes_and_reads_round_trip() {
        let path = std::env::temp_dir().join(format!("common-io-rw-{}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .expect("create temp");
        write_all_at(&file, 4, b"tail").expect("write past the end");
        write_all_at(&file, 0, b"head").expect("write at 0");
        let mut buf = [0u8; 8];
        read_exact_at(&file, 0, &mut buf).expect("read back");
        assert_eq!(&buf, b"headtail");
        assert_eq!(read_at(&file, 8, &mut buf).expect("read at the end"), 0);
        let err = read_exact_at(&file, 6, &mut buf).expect_err("past the end");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(available_space(&std::env::temp_dir()).expect("free space") > 0);
        drop(file);
        std::fs::remove_file(&path).ok();
    }
}
