//! One HTTP request at a time, through ureq: TLS ([`super::tls`]), proxies from `http_proxy`/`https_proxy`/
//! `NO_PROXY`, up to 10 redirects (credentials are not sent to another host), and the
//! retry loop: timeouts, dropped connections, truncated bodies and 5xx answers are retried
//! with exponential backoff until the time allowed is used up.
//!
//! The agent (and its pooled connections) belongs to one process: after a `fork` the child
//! builds its own ([`ProcessClient`]).

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::config::{HttpConfig, Secret};
use super::error::HttpError;
use super::tls::tls_config;

/// Why one attempt failed.
#[derive(Debug, Clone)]
pub enum AttemptError {
    /// Worth retrying (connection trouble, timeout, short body, 5xx, 429).
    Retry(String),
    /// The object is not the pinned version any more (412, other validators, other size).
    Changed(String),
    /// Retrying will not help (416, 4xx, TLS certificate).
    Fatal(String),
    /// The server answers range requests with the whole object.
    NoRanges(String),
}

impl AttemptError {
    /// The message.
    pub fn message(&self) -> &str {
        match self {
            Self::Retry(m) | Self::Changed(m) | Self::Fatal(m) | Self::NoRanges(m) => m,
        }
    }
}

/// An answer: status, the headers we use, and the body reader.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    response: ureq::http::Response<ureq::Body>,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Answer({})", self.status)
    }
}

impl Answer {
    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
    }

    /// Reads the body, which must be exactly `len` bytes (shorter: a retryable truncation).
    pub fn body_exact(mut self, len: u64) -> Result<Vec<u8>, AttemptError> {
        let cap =
            usize::try_from(len).map_err(|_| AttemptError::Fatal("range too large".into()))?;
        let mut out = Vec::with_capacity(cap);
        let reader = self
            .response
            .body_mut()
            .with_config()
            .limit(len + 1)
            .reader();
        match reader.take(len + 1).read_to_end(&mut out) {
            Ok(_) if out.len() as u64 == len => Ok(out),
            Ok(_) if (out.len() as u64) < len => Err(AttemptError::Retry(format!(
                "the body ended after {} of {len} bytes",
                out.len()
            ))),
            Ok(_) => Err(AttemptError::Fatal(format!(
                "the body is longer than the {len} bytes asked for"
            ))),
            Err(e) => Err(AttemptError::Retry(format!(
                "the body broke off after {} of {len} bytes: {e}",
                out.len()
            ))),
        }
    }
}

/// The HTTP client of one process.
#[derive(Debug)]
pub struct Client {
    agent: ureq::Agent,
    authorization: Option<Secret>,
}

impl Client {
    /// Builds the agent: TLS roots, proxies, redirects, connection pool, timeouts.
    pub fn new(config: &HttpConfig, authorization: Option<Secret>) -> Result<Self, HttpError> {
        let tls = tls_config(config.ca_file.as_deref())?;
        let agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10).min(config.timeout)))
            .max_idle_connections_per_host(config.connections.clamp(1, 32) + 2)
            .user_agent(concat!("wimfs/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build();
        Ok(Self {
            agent: ureq::Agent::new_with_config(agent_config),
            authorization,
        })
    }

    /// Sends one GET with `headers`, giving up after `timeout`.
    pub fn get(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<Answer, AttemptError> {
        let mut req = self.agent.get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(auth) = &self.authorization {
            req = req.header("Authorization", auth.expose());
        }
        let response = req
            .config()
            .timeout_global(Some(timeout.max(Duration::from_millis(100))))
            .build()
            .call()
            .map_err(classify)?;
        Ok(Answer {
            status: response.status().as_u16(),
            response,
        })
    }
}

/// Transport errors: certificate, URL and redirect problems are fatal, the rest retryable.
fn classify(e: ureq::Error) -> AttemptError {
    let msg = e.to_string();
    match e {
        ureq::Error::BadUri(_)
        | ureq::Error::Http(_)
        | ureq::Error::TooManyRedirects
        | ureq::Error::RedirectFailed
        | ureq::Error::InvalidProxyUrl
        | ureq::Error::Tls(_) => AttemptError::Fatal(msg),
        #[cfg(not(windows))]
        ureq::Error::Rustls(_) => AttemptError::Fatal(format!("TLS: {msg}")),
        _ => AttemptError::Retry(msg),
    }
}

/// The client of the current process, rebuilt in a forked child (pooled connections and
/// TLS sessions must not be shared with the parent).
#[derive(Debug)]
pub struct ProcessClient {
    config: HttpConfig,
    authorization: Option<Secret>,
    current: Mutex<Option<(u32, Arc<Client>)>>,
}

impl ProcessClient {
    /// Builds the first client now, so configuration errors show at open.
    pub fn new(config: &HttpConfig, authorization: Option<Secret>) -> Result<Self, HttpError> {
        let client = Arc::new(Client::new(config, authorization.clone())?);
        Ok(Self {
            config: config.clone(),
            authorization,
            current: Mutex::new(Some((std::process::id(), client))),
        })
    }

    /// This process's client.
    pub fn get(&self) -> Result<Arc<Client>, HttpError> {
        let pid = std::process::id();
        let mut cur = self.current.lock();
        if let Some((p, c)) = cur.as_ref() {
            if *p == pid {
                return Ok(Arc::clone(c));
            }
        }
        let c = Arc::new(Client::new(&self.config, self.authorization.clone())?);
        *cur = Some((pid, Arc::clone(&c)));
        Ok(c)
    }
}

/// Runs `attempt` until it succeeds, fails for good, or `deadline` passes; backoff doubles
/// from 100 ms to 2 s between tries. `attempt` gets the time it may take.
pub fn with_retries<T>(
    deadline: Instant,
    mut attempt: impl FnMut(Duration) -> Result<T, AttemptError>,
) -> Result<T, AttemptError> {
    let mut backoff = Duration::from_millis(100);
    let mut tries = 0u32;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let result = attempt(left.max(Duration::from_millis(200)));
        tries += 1;
        match result {
            Err(AttemptError::Retry(msg)) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left <= backoff || tries >= 50 {
                    return Err(AttemptError::Retry(format!(
                        "{msg} (gave up after {tries} tries)"
                    )));
                }
                tracing::debug!("retrying in {backoff:?}: {msg}");
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_stop_at_the_deadline_and_on_fatal_errors() {
        let start = Instant::now();
        let mut n = 0;
        let r: Result<(), _> = with_retries(start + Duration::from_millis(500), |_| {
            n += 1;
            Err(AttemptError::Retry("down".into()))
        });
        assert!(matches!(r, Err(AttemptError::Retry(m)) if m.contains("gave up")));
        assert!(n >= 2 && start.elapsed() < Duration::from_secs(2));
        let mut m = 0;
        let r: Result<(), _> = with_retries(start + Duration::from_secs(5), |_| {
            m += 1;
            Err(AttemptError::Fatal("416".into()))
        });
        assert!(matches!(r, Err(AttemptError::Fatal(_))) && m == 1);
    }
}
