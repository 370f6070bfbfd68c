//! Images on a web server: the command-line options of HTTP(S) sources and what opening them
//! recorded (the pinned versions `info` shows).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use common::http::{HttpConfig, PinnedVersion, Secret};
use parking_lot::Mutex;

/// Options for images given as `http://` or `https://` URLs.
#[derive(Args, Debug, Clone, Default)]
pub struct HttpArgs {
    /// Trust the CA certificates in this PEM file too (for a server with a private CA).
    #[arg(long, value_name = "FILE", help_heading = "Images on a web server")]
    pub ca_file: Option<PathBuf>,
    /// Send the token in this file as `Authorization: Bearer` (when the URL has no
    /// user:password; else ~/.netrc's entry for the host is used, if any).
    #[arg(long, value_name = "FILE", help_heading = "Images on a web server")]
    pub http_token_file: Option<PathBuf>,
    /// Read credentials from this netrc file instead of $NETRC or ~/.netrc.
    #[arg(long, value_name = "FILE", help_heading = "Images on a web server")]
    pub netrc_file: Option<PathBuf>,
    /// Fail a read with EIO after this many seconds without the data (retries included).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 30,
        help_heading = "Images on a web server"
    )]
    pub http_timeout: u64,
    /// Range requests in flight at once.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 4,
        help_heading = "Images on a web server"
    )]
    pub http_connections: usize,
    /// Keep fetched blocks in this directory, per URL and version, for later mounts.
    #[arg(long, value_name = "DIR", help_heading = "Images on a web server")]
    pub cache_dir: Option<PathBuf>,
    /// Budget of --cache-dir in MiB (all URLs together; least recently used go first).
    #[arg(
        long,
        value_name = "MiB",
        default_value_t = 8192,
        help_heading = "Images on a web server"
    )]
    pub cache_dir_max_mb: u64,
}

impl HttpArgs {
    /// The source options these arguments make (reads the token file now).
    pub fn options(&self) -> Result<SourceOptions, String> {
        let bearer_token = match &self.http_token_file {
            Some(p) => Some(Secret::new(
                std::fs::read_to_string(p)
                    .map_err(|e| format!("--http-token-file {}: {e}", p.display()))?
                    .trim()
                    .to_string(),
            )),
            None => None,
        };
        let cache_dir = match &self.cache_dir {
            Some(d) => {
                std::fs::create_dir_all(d)
                    .map_err(|e| format!("--cache-dir {}: {e}", d.display()))?;
                // A daemon may change directory: keep it absolute.
                Some(
                    d.canonicalize()
                        .map_err(|e| format!("--cache-dir {}: {e}", d.display()))?,
                )
            }
            None => None,
        };
        let http = HttpConfig {
            ca_file: self.ca_file.clone(),
            bearer_token,
            netrc: self.netrc_file.clone(),
            timeout: Duration::from_secs(self.http_timeout.clamp(1, 3600)),
            connections: self.http_connections.clamp(1, 32),
            cache_dir,
            cache_dir_max_bytes: self.cache_dir_max_mb.saturating_mul(1 << 20),
            ..HttpConfig::default()
        };
        Ok(SourceOptions::new(http))
    }
}

/// How sources are opened, and the web objects opened so far (name, pinned version).
#[derive(Debug, Default)]
pub struct SourceOptions {
    /// HTTP settings.
    pub http: HttpConfig,
    opened: Mutex<Vec<(String, PinnedVersion)>>,
}

impl SourceOptions {
    /// Options with these HTTP settings.
    pub fn new(http: HttpConfig) -> Self {
        Self {
            http,
            opened: Mutex::new(Vec::new()),
        }
    }

    /// Records a web object that was opened.
    pub fn record(&self, name: String, version: PinnedVersion) {
        self.opened.lock().push((name, version));
    }

    /// The web objects opened, with their pinned versions.
    pub fn opened(&self) -> Vec<(String, PinnedVersion)> {
        self.opened.lock().clone()
    }

    /// Prints one `Pinned:` line per web object opened (for `info`).
    pub fn print_pinned(&self) {
        for (name, v) in self.opened() {
            println!("Pinned:      {name}: {}", v.describe());
        }
    }
}
