//! Running a WinFsp mount the way the command-line tools want it on Windows: the same
//! `mount`/`unmount` commands as on Linux.
//!
//! `--foreground` serves until Ctrl+C (or `unmount`). Without it, the tool starts itself again
//! as a detached process with `--foreground` appended and the environment variable
//! [`REPORT_ENV`] set; that process writes `OK` or `ERR <message>` on its standard output once
//! the mount is live or has failed (other lines before it are skipped), and the first process
//! prints the outcome and exits. `unmount` sets a named event
//! ([`crate::winnt::mount::unmount_event_name`]) that the serving process waits on; a
//! [`WinFspUnmounter`] sets the same event from inside the serving process.

use std::io::{BufRead, BufReader, Write};
use std::os::windows::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{WinFspOptions, WinFspSession};
use crate::vfs::Vfs;
use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
use windows_sys::Win32::System::Console::{
    GetStdHandle, SetConsoleCtrlHandler, SetStdHandle, STD_OUTPUT_HANDLE,
};
use windows_sys::Win32::System::Threading::{
    CreateEventW, OpenEventW, SetEvent, WaitForSingleObject, EVENT_MODIFY_STATE, INFINITE,
};

use crate::winnt::mount::{
    parse_mount_target, unmount_event_name, volume_label, volume_serial, MountTarget,
};
use crate::winnt::names::wide_nul;

/// Set in the detached serving process: report readiness on standard output.
pub const REPORT_ENV: &str = "WIMFS_MOUNT_REPORT";
const DETACHED_PROCESS: u32 = 0x0000_0008;
const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;

/// The mount point as WinFsp takes it: `X:` for a drive letter, else an absolute directory
/// (the same for a mount point in use, so it also names a live mount).
pub fn mount_path(dir: &Path) -> Result<PathBuf, String> {
    winfsp_path(dir).map(|(_, path)| path)
}

/// True while something is mounted at `path` (a [`mount_path`]): WinFsp creates a directory
/// mount point and removes it at unmount; a drive letter exists while mounted.
pub fn is_mounted(path: &Path) -> bool {
    path.exists()
}

fn winfsp_path(dir: &Path) -> Result<(MountTarget, PathBuf), String> {
    let text = dir.to_string_lossy();
    let target = parse_mount_target(&text)?;
    let path = match &target {
        MountTarget::Drive(_) => PathBuf::from(target.as_winfsp()),
        MountTarget::Directory(d) => std::path::absolute(d).map_err(|e| format!("{text}: {e}"))?,
    };
    Ok((target, path))
}

/// Checks a mount point: a free drive letter, or a directory that does not exist yet in an
/// existing parent (WinFsp creates it). Returns it as WinFsp takes it.
pub fn check_mountpoint(dir: &Path) -> Result<PathBuf, String> {
    let (target, path) = winfsp_path(dir)?;
    match target {
        MountTarget::Drive(c) => {
            if Path::new(&format!("{c}:\\")).exists() {
                return Err(format!("drive {c}: is in use"));
            }
        }
        MountTarget::Directory(_) => {
            if path.exists() {
                return Err(format!(
                    "mount point {} exists: on Windows, give a directory that does not exist \
                     yet (WinFsp creates it) or a free drive letter such as X:",
                    path.display()
                ));
            }
            if !path.parent().is_some_and(Path::is_dir) {
                return Err(format!(
                    "the parent of {} is not a directory",
                    path.display()
                ));
            }
        }
    }
    Ok(path)
}

/// An owned event handle.
struct Event(HANDLE);

impl Event {
    fn create(name: &str) -> Result<Self, String> {
        let name = wide_nul(name).ok_or("a NUL in the unmount event name")?;
        // SAFETY: `name` is NUL-terminated and outlives the call; no security attributes.
        let h = unsafe { CreateEventW(std::ptr::null(), 1, 0, name.as_ptr()) };
        if h.is_null() {
            return Err(format!(
                "creating the unmount event: {}",
                std::io::Error::last_os_error()
            ));
        }
        if std::io::Error::last_os_error().raw_os_error() == Some(183) {
            // ERROR_ALREADY_EXISTS: another process serves this mount point.
            // SAFETY: `h` is the handle just returned.
            unsafe { CloseHandle(h) };
            return Err("the mount point is busy: something is already mounted there".into());
        }
        Ok(Self(h))
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: we own the handle.
        unsafe { CloseHandle(self.0) };
    }
}

/// Sets the named event `name`; false if it does not exist (nothing serves that mount).
fn signal_event(name: &str) -> Result<bool, String> {
    let wide = wide_nul(name).ok_or("a NUL in the unmount event name")?;
    // SAFETY: `wide` is NUL-terminated and outlives the call.
    let h = unsafe { OpenEventW(EVENT_MODIFY_STATE, 0, wide.as_ptr()) };
    if h.is_null() {
        return Ok(false);
    }
    // SAFETY: `h` was just opened with EVENT_MODIFY_STATE; closed right after.
    unsafe {
        SetEvent(h);
        CloseHandle(h);
    }
    Ok(true)
}

/// Ends a mount from inside the process serving it (e.g. after a commit requested over the
/// control channel): sets the mount's unmount event, like `unmount` from another process.
#[derive(Debug, Clone)]
pub struct WinFspUnmounter {
    event: String,
}

impl WinFspUnmounter {
    /// Asks the serving thread to unmount; returns at once.
    pub fn unmount(&mut self) -> std::io::Result<()> {
        match signal_event(&self.event) {
            Ok(true) => Ok(()),
            Ok(false) => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the mount is already gone",
            )),
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Stops writing to standard output (the readiness pipe, which the first process closes once
/// it has read the report): later writes are discarded, as on a detached Unix daemon.
fn detach_stdout() {
    // SAFETY: replacing our own standard output handle; std's stdout discards writes while
    // the handle is null, and the old handle is closed exactly once.
    unsafe {
        let old = GetStdHandle(STD_OUTPUT_HANDLE);
        SetStdHandle(STD_OUTPUT_HANDLE, std::ptr::null_mut());
        if !old.is_null() && old != windows_sys::Win32::Foundation::INVALID_HANDLE_VALUE {
            CloseHandle(old);
        }
    }
}

/// The event Ctrl+C sets (null when none).
static CTRL_EVENT: AtomicPtr<core::ffi::c_void> = AtomicPtr::new(std::ptr::null_mut());

unsafe extern "system" fn on_ctrl(_kind: u32) -> i32 {
    let h = CTRL_EVENT.load(Ordering::SeqCst);
    if !h.is_null() {
        // SAFETY: the handle stays open while the handler is installed.
        unsafe { SetEvent(h) };
    }
    1 // handled: unmount cleanly instead of dying
}

/// What to mount where, as the command-line tools ask for it.
#[derive(Debug, Clone)]
pub struct MountSpec {
    /// A drive letter (`X:`) or a directory that does not exist yet.
    pub mountpoint: PathBuf,
    /// Serve in this process until Ctrl+C or `unmount` (else from a detached process).
    pub foreground: bool,
    /// The tool (`wimfs`, `isofs`): the file system name, and part of the unmount event name.
    pub subtype: String,
    /// The image's path: the volume label and serial number are made from it.
    pub image: String,
    /// Dispatcher threads (0: WinFsp's default).
    pub threads: usize,
}

fn options(spec: &MountSpec) -> WinFspOptions {
    WinFspOptions {
        fs_name: spec.subtype.clone(),
        volume_label: volume_label(&spec.image, &spec.subtype),
        serial: volume_serial(&spec.image),
        threads: u32::try_from(spec.threads).unwrap_or(0),
    }
}

fn serve<V, F, H>(
    spec: &MountSpec,
    mountpoint: &Path,
    open: F,
    after_mount: H,
    report: bool,
) -> Result<(), String>
where
    V: Vfs,
    F: FnOnce() -> Result<Arc<V>, String>,
    H: FnOnce(Arc<V>, WinFspUnmounter) -> Result<(), String>,
{
    let vfs = open()?;
    let name = unmount_event_name(&spec.subtype, &mountpoint.to_string_lossy());
    let event = Event::create(&name)?;
    let session = WinFspSession::mount(Arc::clone(&vfs), mountpoint.as_os_str(), &options(spec))
        .map_err(|e| format!("mounting on {}: {e}", mountpoint.display()))?;
    let served = Arc::clone(&vfs);
    if let Err(e) = after_mount(vfs, WinFspUnmounter { event: name }) {
        session.unmount();
        return Err(e);
    }
    CTRL_EVENT.store(event.0, Ordering::SeqCst);
    // SAFETY: installs a handler that only signals the event.
    unsafe { SetConsoleCtrlHandler(Some(on_ctrl), 1) };
    tracing::info!("mounted on {}", mountpoint.display());
    if report {
        let mut out = std::io::stdout();
        let _ = writeln!(out, "OK");
        let _ = out.flush();
        detach_stdout();
    } else {
        eprintln!("mounted on {}; Ctrl+C unmounts", mountpoint.display());
    }
    // SAFETY: waiting on our own open handle.
    unsafe { WaitForSingleObject(event.0, INFINITE) };
    tracing::info!("unmounting {}", mountpoint.display());
    session.unmount();
    // As FUSE's destroy: a writable WIM mount keeps uncommitted changes staged.
    served.destroy();
    CTRL_EVENT.store(std::ptr::null_mut(), Ordering::SeqCst);
    Ok(())
}

/// Starts the detached serving process and waits for its report.
fn spawn_detached() -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("finding this program: {e}"))?;
    let mut child = Command::new(exe)
        .args(std::env::args_os().skip(1))
        .arg("--foreground")
        .env(REPORT_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP)
        .spawn()
        .map_err(|e| format!("starting the mount process: {e}"))?;
    // The serving process may print other lines first (e.g. an integrity check's result).
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let line = line.trim_end();
            if line == "OK" {
                return Ok(());
            }
            if let Some(err) = line.strip_prefix("ERR ") {
                return Err(err.to_string());
            }
        }
    }
    Err(
        "the mount process exited before the mount was ready (run with --foreground to see why)"
            .into(),
    )
}

/// Opens the image with `open` and serves it (foreground), or returns once a detached
/// process reports the mount live (background).
pub fn run_mount<V, F>(spec: &MountSpec, open: F) -> Result<(), String>
where
    V: Vfs,
    F: FnOnce() -> Result<Arc<V>, String>,
{
    run_mount_with(spec, open, |_: Arc<V>, _: WinFspUnmounter| Ok(()))
}

/// Like [`run_mount`], and runs `after_mount` in the serving process once the mount is live
/// (e.g. to start a control channel); an error from it unmounts and is reported like a mount
/// error. In the background case this process only starts the serving one: `open` and
/// `after_mount` are dropped unused first, so whatever they hold (a file lock) is released
/// for the serving process to take.
pub fn run_mount_with<V, F, H>(spec: &MountSpec, open: F, after_mount: H) -> Result<(), String>
where
    V: Vfs,
    F: FnOnce() -> Result<Arc<V>, String>,
    H: FnOnce(Arc<V>, WinFspUnmounter) -> Result<(), String>,
{
    let mountpoint = check_mountpoint(&spec.mountpoint)?;
    if !spec.foreground {
        drop(open);
        drop(after_mount);
        return spawn_detached();
    }
    let report = std::env::var_os(REPORT_ENV).is_some();
    let result = serve(spec, &mountpoint, open, after_mount, report);
    if let (Err(e), true) = (&result, report) {
        let mut out = std::io::stdout();
        let _ = writeln!(out, "ERR {e}");
        let _ = out.flush();
    }
    result
}

/// Asks the process serving `dir` to unmount, and waits (10 s at most) for the mount to go.
pub fn unmount(dir: &Path, subtype: &str) -> Result<(), String> {
    let (_, absolute) = winfsp_path(dir)?;
    let name = unmount_event_name(subtype, &absolute.to_string_lossy());
    if !signal_event(&name).map_err(|e| format!("{}: {e}", dir.display()))? {
        return Err(format!("{} is not a {subtype} mount", absolute.display()));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while absolute.exists() {
        if Instant::now() > deadline {
            return Err(format!(
                "{} is still mounted after 10 s",
                absolute.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}
