//! Logging setup: `tracing` to stderr, more with each `-v`, or to a file for daemons.

use std::path::Path;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `verbosity` 0 = warnings, 1 = info, 2 = debug, 3+ = trace.
/// `RUST_LOG` overrides. With `log_file`, lines are appended there instead of stderr.
pub fn init(verbosity: u8, log_file: Option<&Path>) {
    let level = match verbosity {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let file = log_file.and_then(|p| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .ok()
    });
    match file {
        Some(f) => builder
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(f))
            .init(),
        None => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .init(),
    }
}
