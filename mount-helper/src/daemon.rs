//! Mounting as a daemon: `mount` returns only when the mount is live, or with the error that
//! prevented it.
//!
//! The parent forks before anything else runs (no threads exist yet, so `fork` is safe); the
//! child opens the image, mounts it, and writes one line into a pipe: `OK` or `ERR <message>`.
//! The parent prints the message and exits accordingly. SIGINT/SIGTERM/SIGHUP in the daemon
//! unmount cleanly: they are blocked in every thread and taken by one `sigwait` thread.
//! On Windows, mounting goes through WinFsp instead (`win_daemon.rs`): a detached process
//! takes the place of the forked daemon.

#[cfg(unix)]
use std::io::{Read, Write};
#[cfg(unix)]
use std::os::fd::{FromRawFd, OwnedFd};
#[cfg(unix)]
use std::path::Path;
#[cfg(unix)]
use std::sync::Arc;

#[cfg(unix)]
use common::backend::fuse::{FuseOptions, FuseSession, FuseUnmounter};
#[cfg(unix)]
use common::vfs::Vfs;

#[cfg(unix)]
use crate::daemon_lock::DaemonLock;
#[cfg(unix)]
use crate::mountpoint::check_mountpoint;
/// On Windows: WinFsp, in the foreground or from a detached process (same contract).
#[cfg(windows)]
pub use crate::win_daemon::{run_mount, run_mount_with, Unmounter};
/// Ends the mount from inside the daemon (handed to `after_mount`).
#[cfg(unix)]
pub use common::backend::fuse::FuseUnmounter as Unmounter;

pub use crate::mount_request::MountRequest;

#[cfg(unix)]
/// Opens the image with `open` and serves it at the mount point. Returns when the filesystem is
/// unmounted (foreground) or as soon as the daemon reports the mount live (background).
pub fn run_mount<V, F>(req: &MountRequest, open: F) -> Result<(), String>
where
    V: Vfs,
    F: FnOnce() -> Result<Arc<V>, String>,
{
    run_mount_with(req, open, |_: Arc<V>, _: FuseUnmounter| Ok(()))
}

#[cfg(unix)]
/// Like [`run_mount`], and runs `after_mount` in the daemon once the mount is live (e.g. to
/// start a control channel); an error from it unmounts and is reported like a mount error.
pub fn run_mount_with<V, F, H>(req: &MountRequest, open: F, after_mount: H) -> Result<(), String>
where
    V: Vfs,
    F: FnOnce() -> Result<Arc<V>, String>,
    H: FnOnce(Arc<V>, FuseUnmounter) -> Result<(), String>,
{
    let mountpoint = check_mountpoint(&req.mountpoint)?;
    if req.foreground {
        return serve(&mountpoint, &req.fuse, open, after_mount, |_| {});
    }
    let (read_end, write_end) = pipe()?;
    // SAFETY: the process is single-threaded here (nothing has spawned a thread yet), so the
    // child may continue running arbitrary Rust code.
    match unsafe { libc::fork() } {
        -1 => Err(format!("fork: {}", std::io::Error::last_os_error())),
        0 => {
            drop(read_end);
            let code = daemon_child(&mountpoint, &req.fuse, open, after_mount, write_end);
            std::process::exit(code);
        }
        _child => {
            drop(write_end);
            wait_for_child(read_end)
        }
    }
}

/// Makes glibc serve every allocation of 1 MiB and more with its own mapping, returned to the
/// system when freed. Its default threshold grows up to 32 MiB after the first big free, and a
/// daemon decoding 64 MiB solid chunks with their multi-MiB inputs on several threads then
/// keeps freed inputs in per-thread arenas: resident memory that serves nothing.
#[cfg(unix)]
fn return_big_buffers_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before the daemon's threads.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(unix)]
fn pipe() -> Result<(OwnedFd, OwnedFd), String> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a valid array of two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("pipe: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: pipe2 just returned these two fresh descriptors; we own them.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

#[cfg(unix)]
fn wait_for_child(read_end: OwnedFd) -> Result<(), String> {
    let mut msg = String::new();
    let mut f = std::fs::File::from(read_end);
    f.read_to_string(&mut msg)
        .map_err(|e| format!("waiting for the mount daemon: {e}"))?;
    let msg = msg.trim_end();
    if msg == "OK" {
        Ok(())
    } else if let Some(err) = msg.strip_prefix("ERR ") {
        Err(err.to_string())
    } else {
        Err("the mount daemon exited before the mount was ready".to_string())
    }
}

#[cfg(unix)]
fn daemon_child<V, F, H>(
    mountpoint: &Path,
    fuse: &FuseOptions,
    open: F,
    after_mount: H,
    report: OwnedFd,
) -> i32
where
    V: Vfs,
    F: FnOnce() -> Result<Arc<V>, String>,
    H: FnOnce(Arc<V>, FuseUnmounter) -> Result<(), String>,
{
    // SAFETY: setsid has no memory-safety preconditions.
    unsafe { libc::setsid() };
    let mut report = Some(std::fs::File::from(report));
    let mut send = |line: &str| {
        if let Some(mut f) = report.take() {
            let _ = writeln!(f, "{line}");
        }
    };
    let result = serve(mountpoint, fuse, open, after_mount, |ok| {
        if ok {
            detach_stdio();
        }
        send("OK");
    });
    match result {
        Ok(()) => 0,
        Err(e) => {
            send(&format!("ERR {e}"));
            1
        }
    }
}

#[cfg(unix)]
/// Points stdin/stdout/stderr at /dev/null so the daemon holds no terminal.
fn detach_stdio() {
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        use std::os::fd::AsRawFd;
        for fd in 0..3 {
            // SAFETY: dup2 onto the standard descriptors of our own process.
            unsafe { libc::dup2(null.as_raw_fd(), fd) };
        }
    }
}

#[cfg(unix)]
fn block_termination_signals() -> libc::sigset_t {
    // SAFETY: sigset manipulation on a local, zero-initialized set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGHUP);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

#[cfg(unix)]
fn serve<V, F, H>(
    mountpoint: &Path,
    fuse: &FuseOptions,
    open: F,
    after_mount: H,
    on_mounted: impl FnOnce(bool),
) -> Result<(), String>
where
    V: Vfs,
    F: FnOnce() -> Result<Arc<V>, String>,
    H: FnOnce(Arc<V>, FuseUnmounter) -> Result<(), String>,
{
    return_big_buffers_to_the_system();
    let vfs = open()?;
    let set = block_termination_signals();
    // Held until the session ends (or the process exits): `unmount` waits for it (see
    // `daemon_lock.rs`).
    let life = DaemonLock::hold(mountpoint)
        .map_err(|e| tracing::warn!("`unmount` will not wait for this daemon: {e}"))
        .ok();
    let mut session = FuseSession::mount(Arc::clone(&vfs), mountpoint, fuse)
        .map_err(|e| format!("mounting on {}: {e}", mountpoint.display()))?;
    let mut unmounter = session.unmounter();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut sig = 0;
            // SAFETY: `set` holds the blocked signals; sigwait writes the one received.
            unsafe { libc::sigwait(&set, &mut sig) };
            tracing::info!("signal {sig}: unmounting");
            if let Err(e) = unmounter.unmount() {
                tracing::warn!("unmount after signal {sig} failed: {e}");
            }
        })
        .map_err(|e| format!("starting the signal thread: {e}"))?;
    if let Err(e) = after_mount(vfs, session.unmounter()) {
        let _ = session.unmounter().unmount();
        return Err(e);
    }
    tracing::info!("mounted on {}", mountpoint.display());
    on_mounted(true);
    let served = session
        .run()
        .map_err(|e| format!("serving {}: {e}", mountpoint.display()));
    // Unmounted, and the filesystem was told (`destroy`): a new mount of the WIM or at this
    // directory may start while this process closes its files and exits.
    crate::wim_lock::release_kept();
    if let Some(life) = life {
        life.release();
    }
    served
}
