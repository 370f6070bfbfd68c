//! Images on a web server: [`HttpSource`], a [`crate::io::ReadAt`] over HTTP(S) range requests
//! (RFC 9110 §14, "Range Requests"), so WIM, ISO and nested readers never know where their
//! bytes live.
//!
//! - [`url`]: `http://` / `https://` locations, credentials kept out of every message.
//! - [`config`]: what the command line sets (CA file, token, timeouts, cache sizes).
//! - [`netrc`], [`auth`]: credentials (URL, token file, `~/.netrc`) and the header they make.
//! - [`version`]: the object's version (size, ETag, Last-Modified) pinned at open, and the
//!   conditions (RFC 9110 §13) every later request carries.
//! - [`client`]: one HTTP attempt (ureq; proxies from the environment, redirects) and the
//!   retry loop with backoff; [`tls`]: the CA roots.
//! - [`requests`]: the probe at open (size, validators and the first bytes in one round
//!   trip) and the conditional range requests.
//! - [`blocks`]: the in-memory block cache and the blocks being fetched.
//! - [`readahead`]: sequential-stream detection with a growing window.
//! - [`workers`]: the small pool of fetching threads (several requests in flight).
//! - [`disk_cache`]: the persistent, bounded `--cache-dir` block store.
//! - [`fetcher`]: what readers and fetching threads share; running a fetch job.
//! - [`source`]: [`HttpSource`] itself: opening, and the read path.

pub mod auth;
pub mod blocks;
pub mod client;
pub mod config;
pub mod disk_cache;
pub mod error;
pub mod fetcher;
pub mod netrc;
pub mod readahead;
pub mod requests;
pub mod source;
pub mod tls;
pub mod url;
pub mod version;
pub mod workers;

pub use config::{no_worker_threads_in_this_process, HttpConfig, Secret};
pub use error::HttpError;
pub use source::{HttpSource, HttpStats};
pub use url::{is_url, HttpUrl};
pub use version::PinnedVersion;
