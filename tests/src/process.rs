//! Running external commands: with a timeout and output captured through files ([`run`]), or
//! to completion with their raw output, panicking unless they succeed ([`run_ok`]).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// What a command did.
#[derive(Debug)]
pub struct RunOutput {
    /// The command line, for messages.
    pub command: String,
    /// Its exit status; `None` if it had to be killed at the timeout.
    pub status: Option<ExitStatus>,
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// Everything it wrote to stderr.
    pub stderr: String,
    /// It did not finish within the timeout and was killed.
    pub timed_out: bool,
    /// Wall-clock time it took.
    pub elapsed: Duration,
}

impl RunOutput {
    /// Exited by itself with status 0.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// The exit code, if it exited (not killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    /// The signal that killed it, if any.
    pub fn signal(&self) -> Option<i32> {
        self.status.and_then(|s| s.signal())
    }

    /// Signs of a crash rather than an orderly failure: a Rust panic message, exit code 101
    /// (panic), 134 (abort), 139 (segfault as reported by a shell), or death by SIGABRT, SIGSEGV,
    /// SIGBUS, SIGILL, SIGFPE; or a timeout. `None` when it ended in an orderly way.
    pub fn crash_signs(&self) -> Option<String> {
        let mut why = Vec::new();
        if self.timed_out {
            why.push("timed out (killed)".to_string());
        }
        if self.stderr.contains("panicked") || self.stdout.contains("panicked") {
            why.push("output contains \"panicked\"".to_string());
        }
        if let Some(code @ (101 | 134 | 139)) = self.code() {
            why.push(format!("exit code {code}"));
        }
        if let Some(sig) = self.signal() {
            if !self.timed_out {
                why.push(format!("killed by signal {sig}"));
            }
        }
        if why.is_empty() {
            None
        } else {
            Some(why.join(", "))
        }
    }

    /// Panics with the whole output unless the command succeeded.
    pub fn expect_success(&self, what: &str) -> &Self {
        assert!(self.success(), "{what} failed:\n{self}");
        self
    }
}

impl fmt::Display for RunOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  command: {}", self.command)?;
        let status = match (self.timed_out, self.status) {
            (true, _) => "timed out, killed".to_string(),
            (false, Some(s)) => s.to_string(),
            (false, None) => "unknown".to_string(),
        };
        writeln!(f, "  status:  {status} after {:.1?}", self.elapsed)?;
        for (name, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            if !text.trim().is_empty() {
                writeln!(f, "  {name}:")?;
                for line in text.trim_end().lines().take(60) {
                    writeln!(f, "    | {line}")?;
                }
            }
        }
        Ok(())
    }
}

pub(crate) fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{}-{:08x}", std::process::id(), n, nanos)
}

/// An anonymous scratch file (created, opened, unlinked), for capturing output: a daemon that
/// inherits it cannot make us wait for an EOF the way an inherited pipe would.
fn scratch_file() -> File {
    let path = std::env::temp_dir().join(format!("wimfs-tests-out-{}", unique_suffix()));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .expect("create a scratch file in the temp dir for command output");
    let _ = fs::remove_file(&path);
    file
}

fn read_back(mut file: File) -> String {
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_end(&mut bytes))
        .expect("read back captured command output");
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Describes a command for messages: program and arguments, shell-quoted where needed.
pub fn describe_command(cmd: &Command) -> String {
    let mut parts = vec![quote(&cmd.get_program().to_string_lossy())];
    parts.extend(cmd.get_args().map(|a| quote(&a.to_string_lossy())));
    parts.join(" ")
}

fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// A child started by [`spawn`], with its stdout/stderr going to scratch files.
#[derive(Debug)]
pub struct Spawned {
    command: String,
    child: std::process::Child,
    out: File,
    err: File,
    start: Instant,
}

/// Starts `cmd` with stdin from /dev/null and stdout/stderr captured (through files, not pipes),
/// in its own process group.
pub fn spawn(cmd: &mut Command) -> Spawned {
    let command = describe_command(cmd);
    let out = scratch_file();
    let err = scratch_file();
    let start = Instant::now();
    let spawned = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("dup scratch file"))
        .stderr(err.try_clone().expect("dup scratch file"))
        .process_group(0)
        .spawn();
    match spawned {
        Ok(child) => Spawned {
            command,
            child,
            out,
            err,
            start,
        },
        Err(e) => panic!("cannot start `{command}`: {e} (is the tool installed and in PATH?)"),
    }
}

impl Spawned {
    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Has it exited?
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// What it has written to stderr so far.
    pub fn stderr_so_far(&self) -> String {
        let mut f = self.err.try_clone().expect("dup scratch file");
        let mut bytes = Vec::new();
        let _ = f
            .seek(SeekFrom::Start(0))
            .and_then(|_| f.read_to_end(&mut bytes));
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Waits for it to exit; after `timeout` (from now) kills its whole process group with
    /// SIGKILL and sets `timed_out`.
    pub fn wait(mut self, timeout: Duration) -> RunOutput {
        let command = self.command.clone();
        let deadline = Instant::now() + timeout;
        let mut timed_out = false;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() >= deadline => {
                    timed_out = true;
                    let pid = self.child.id() as libc::pid_t;
                    // SAFETY: kill(2) on the process group we created for this child.
                    unsafe { libc::kill(-pid, libc::SIGKILL) };
                    let _ = self.child.kill();
                    break self.child.wait().ok();
                }
                Ok(None) => thread::sleep(Duration::from_millis(10)),
                Err(e) => panic!("waiting for `{command}`: {e}"),
            }
        };
        RunOutput {
            command,
            status,
            stdout: read_back(self.out),
            stderr: read_back(self.err),
            timed_out,
            elapsed: self.start.elapsed(),
        }
    }
}

/// Runs `cmd` to completion like [`spawn`] + [`Spawned::wait`]: if it has not exited after
/// `timeout`, its whole process group is killed with SIGKILL and `timed_out` is set.
pub fn run(cmd: &mut Command, timeout: Duration) -> RunOutput {
    spawn(cmd).wait(timeout)
}

/// Finds `name` in PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Panics with an actionable message unless every tool is in PATH. Tests must never pass
/// silently because a reference tool is missing.
pub fn require_tools(tools: &[&str]) {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| which(t).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "required tools not found in PATH: {missing:?}. Install them \
         (Debian: apt-get install wimtools fuse3 attr); CI installs them."
    );
}

/// Runs `cmd` (stdin from /dev/null) to completion and returns its raw output; panics with the
/// output unless it exits with status 0.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot start `{}`: {e}", describe_command(cmd)));
    assert!(
        out.status.success(),
        "`{}` failed ({}):\n{}\n{}",
        describe_command(cmd),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
