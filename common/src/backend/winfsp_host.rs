//! Mounting a [`Vfs`] through WinFsp: volume parameters, the file system host, unmounting.
//!
//! The mount point is a drive letter (`X:`) or a directory that does not exist yet (WinFsp
//! creates it as a reparse point and removes it at unmount). The WinFsp DLL is loaded at run
//! time (delay-loaded), so a machine without WinFsp gets a clear error instead of a crash.

use std::ffi::OsStr;
use std::io;
use std::sync::Arc;
use std::time::SystemTime;

use windows_sys::Win32::System::LibraryLoader::LoadLibraryW;
use windows_sys::Win32::System::Registry::{RegGetValueW, HKEY_LOCAL_MACHINE, RRF_RT_REG_SZ};
use winfsp::host::{FileSystemHost, FileSystemParams, VolumeParams};

use super::WinFspAdapter;
use crate::vfs::Vfs;
use crate::winnt::names::wide_nul;
use crate::winnt::time::to_filetime;

/// How to mount.
#[derive(Debug, Clone)]
pub struct WinFspOptions {
    /// The file system name Windows reports (`wimfs`, `isofs`).
    pub fs_name: String,
    /// The volume label (Explorer shows it; 32 characters at most).
    pub volume_label: String,
    /// The volume serial number.
    pub serial: u32,
    /// Dispatcher threads (0: WinFsp's default).
    pub threads: u32,
}

/// A mounted file system; dropping it (or [`WinFspSession::unmount`]) unmounts.
pub struct WinFspSession<V: Vfs> {
    host: FileSystemHost<WinFspAdapter<V>>,
}

impl<V: Vfs> std::fmt::Debug for WinFspSession<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WinFspSession").finish_non_exhaustive()
    }
}

fn volume_params(opts: &WinFspOptions, read_only: bool) -> VolumeParams {
    let mut params = VolumeParams::new();
    params
        .filesystem_name(&opts.fs_name)
        .sector_size(512)
        .sectors_per_allocation_unit(8)
        .max_component_length(255)
        .volume_creation_time(to_filetime(SystemTime::now()))
        .volume_serial_number(opts.serial)
        // An image cannot change under a read-only mount: let Windows cache everything.
        .file_info_timeout(if read_only { u32::MAX } else { 1000 })
        .case_sensitive_search(false)
        .case_preserved_names(true)
        .unicode_on_disk(true)
        .persistent_acls(true)
        .reparse_points(true)
        .reparse_points_access_check(false)
        .named_streams(true)
        .read_only_volume(read_only)
        .post_cleanup_when_modified_only(true)
        .pass_query_directory_pattern(false)
        .flush_and_purge_on_cleanup(false);
    params
}

/// WinFsp's install directory from the registry (its installer writes it there).
fn install_dir() -> Option<Vec<u16>> {
    for key in ["SOFTWARE\\WOW6432Node\\WinFsp", "SOFTWARE\\WinFsp"] {
        let (key, value) = (wide_nul(key)?, wide_nul("InstallDir")?);
        let mut buf = vec![0u16; 1024];
        let mut bytes = (buf.len() * 2) as u32;
        // SAFETY: NUL-terminated names; `buf` holds `bytes` bytes and outlives the call.
        let rc = unsafe {
            RegGetValueW(
                HKEY_LOCAL_MACHINE,
                key.as_ptr(),
                value.as_ptr(),
                RRF_RT_REG_SZ,
                std::ptr::null_mut(),
                buf.as_mut_ptr().cast(),
                &mut bytes,
            )
        };
        if rc == 0 {
            buf.truncate((bytes as usize / 2).min(buf.len()));
            while buf.last() == Some(&0) {
                buf.pop();
            }
            return Some(buf);
        }
    }
    None
}

/// Loads WinFsp's DLL from its install directory, so the delay-loaded imports (and
/// `winfsp_init`, which looks only on the default DLL search path) find it.
fn preload_winfsp_dll() {
    let dll = if cfg!(target_arch = "x86") {
        "winfsp-x86.dll"
    } else if cfg!(target_arch = "aarch64") {
        "winfsp-a64.dll"
    } else {
        "winfsp-x64.dll"
    };
    let Some(mut path) = install_dir() else {
        return; // not installed: winfsp_init reports it
    };
    if path.last() != Some(&u16::from(b'\\')) {
        path.push(u16::from(b'\\'));
    }
    path.extend(format!("bin\\{dll}").encode_utf16());
    path.push(0);
    // SAFETY: `path` is NUL-terminated; the module stays loaded for the process's life.
    unsafe { LoadLibraryW(path.as_ptr()) };
}

impl<V: Vfs> WinFspSession<V> {
    /// Mounts `vfs` at `mountpoint` and starts serving; the mount is live when this returns.
    pub fn mount(vfs: Arc<V>, mountpoint: &OsStr, opts: &WinFspOptions) -> io::Result<Self> {
        preload_winfsp_dll();
        winfsp::winfsp_init().map_err(|e| {
            io::Error::other(format!(
                "WinFsp is not installed or its DLL cannot be loaded ({e}); install it from winfsp.dev"
            ))
        })?;
        let read_only = vfs.read_only();
        let params = FileSystemParams::default_params(volume_params(opts, read_only));
        let adapter = WinFspAdapter::new(vfs, opts.volume_label.clone());
        let mut host = FileSystemHost::new_with_options(params, adapter)
            .map_err(|e| io::Error::other(format!("creating the WinFsp file system: {e}")))?;
        host.mount(mountpoint.to_os_string())
            .map_err(|e| io::Error::other(format!("mount point {}: {e}", mountpoint.display())))?;
        host.start_with_threads(opts.threads)
            .map_err(|e| io::Error::other(format!("starting the WinFsp dispatcher: {e}")))?;
        Ok(Self { host })
    }

    /// Removes the mount point and stops serving (what dropping the host does).
    pub fn unmount(self) {
        drop(self.host);
    }
}
