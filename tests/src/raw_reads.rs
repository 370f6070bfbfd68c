//! The system calls the tree walker makes itself rather than through `std::fs`: readdir(3)
//! (which shows a served `.` / `..` / duplicate name that `read_dir` would hide), reading a
//! file to its end into a hash or an errno, and listing/reading xattrs.

use std::ffi::{CStr, CString};
use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use sha1::{Digest, Sha1};

use crate::manifest::{Content, Xattrs};

pub(crate) fn errno_of(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

pub(crate) fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

pub(crate) fn cstring(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).expect("paths from readdir contain no NUL")
}

/// One readdir(3) record.
pub(crate) struct RawDirent {
    pub(crate) name: Vec<u8>,
    pub(crate) d_ino: u64,
    pub(crate) d_type: u8,
}

/// The records readdir(3) returns for `dir`, in order, including `.` and `..`.
pub(crate) fn read_dir_raw(dir: &Path) -> Result<Vec<RawDirent>, i32> {
    let c = cstring(dir);
    // SAFETY: opendir with a valid NUL-terminated path; the handle is closed below.
    let handle = unsafe { libc::opendir(c.as_ptr()) };
    if handle.is_null() {
        return Err(last_errno());
    }
    let mut names = Vec::new();
    let result = loop {
        // readdir signals errors only through errno, so clear it first.
        // SAFETY: __errno_location is this thread's errno.
        unsafe { *libc::__errno_location() = 0 };
        // SAFETY: handle is a live DIR*.
        let ent = unsafe { libc::readdir(handle) };
        if ent.is_null() {
            let errno = last_errno();
            break if errno == 0 { Ok(()) } else { Err(errno) };
        }
        // SAFETY: d_name of a dirent returned by readdir is NUL-terminated.
        let name = unsafe { CStr::from_ptr((*ent).d_name.as_ptr()) };
        // SAFETY: ent is the live record readdir just returned.
        let (d_ino, d_type) = unsafe { ((*ent).d_ino, (*ent).d_type) };
        names.push(RawDirent {
            name: name.to_bytes().to_vec(),
            d_ino,
            d_type,
        });
    };
    // SAFETY: closing the DIR* opened above, once.
    unsafe { libc::closedir(handle) };
    result.map(|()| names)
}

/// Reads a whole file (never following a symlink) into a hash.
pub(crate) fn read_content(path: &Path) -> Content {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) => {
            return Content::Error {
                errno: errno_of(&e),
                after: 0,
            }
        }
    };
    let mut hasher = Sha1::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                len += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Content::Error {
                    errno: errno_of(&e),
                    after: len,
                }
            }
        }
    }
    Content::Data {
        sha1: hasher.finalize().into(),
        len,
    }
}

/// llistxattr + lgetxattr of every name. EOPNOTSUPP counts as "no xattrs".
pub fn read_xattrs(path: &Path) -> Result<Xattrs, i32> {
    let c = cstring(path);
    let mut list = Vec::new();
    loop {
        // SAFETY: size query with a null buffer.
        let size = unsafe { libc::llistxattr(c.as_ptr(), std::ptr::null_mut(), 0) };
        if size < 0 {
            let errno = last_errno();
            return if errno == libc::EOPNOTSUPP {
                Ok(Xattrs::new())
            } else {
                Err(errno)
            };
        }
        list.resize(size as usize, 0);
        // SAFETY: the buffer has `list.len()` writable bytes.
        let got = unsafe { libc::llistxattr(c.as_ptr(), list.as_mut_ptr().cast(), list.len()) };
        if got < 0 {
            if last_errno() == libc::ERANGE {
                continue; // grew in between
            }
            return Err(last_errno());
        }
        list.truncate(got as usize);
        break;
    }
    let mut out = Xattrs::new();
    for name in list.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let cname = CString::new(name).expect("xattr names have no NUL");
        out.insert(name.to_vec(), get_xattr(&c, &cname));
    }
    Ok(out)
}

/// The value of the xattr `name` of `path` (not following symlinks), or the errno
/// (`ENODATA` when it has none of that name). Also for names a filesystem does not list.
pub fn read_xattr(path: &Path, name: &str) -> Result<Vec<u8>, i32> {
    let cname = CString::new(name).expect("xattr names have no NUL");
    get_xattr(&cstring(path), &cname)
}

fn get_xattr(path: &CStr, name: &CStr) -> Result<Vec<u8>, i32> {
    loop {
        // SAFETY: size query with a null buffer.
        let size =
            unsafe { libc::lgetxattr(path.as_ptr(), name.as_ptr(), std::ptr::null_mut(), 0) };
        if size < 0 {
            return Err(last_errno());
        }
        let mut value = vec![0u8; size as usize];
        // SAFETY: the buffer has `value.len()` writable bytes.
        let got = unsafe {
            libc::lgetxattr(
                path.as_ptr(),
                name.as_ptr(),
                value.as_mut_ptr().cast(),
                value.len(),
            )
        };
        if got < 0 {
            if last_errno() == libc::ERANGE {
                continue;
            }
            return Err(last_errno());
        }
        value.truncate(got as usize);
        return Ok(value);
    }
}
