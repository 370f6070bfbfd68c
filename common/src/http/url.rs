//! `http://` and `https://` locations (RFC 3986 §3): split into scheme, credentials, host and
//! path, so requests go out without the credentials in the URL and messages never show them
//! (nor a query string, which for pre-signed object-store URLs is a credential too).

use super::error::HttpError;

/// True if `s` names an HTTP(S) location (the scheme is case-insensitive).
pub fn is_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// A parsed HTTP(S) URL.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpUrl {
    scheme: String,
    /// `user` and `password` from `user:password@`, percent-decoded.
    credentials: Option<(String, String)>,
    /// `host[:port]`.
    authority: String,
    /// `/path?query` (at least `/`); no fragment.
    path_and_query: String,
}

impl std::fmt::Debug for HttpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HttpUrl({})", self.display())
    }
}

impl HttpUrl {
    /// Parses `s`; fails on another scheme, an empty host or spaces.
    pub fn parse(s: &str) -> Result<Self, HttpError> {
        let bad = |reason: &str| HttpError::BadUrl {
            url: redact(s),
            reason: reason.to_string(),
        };
        if !is_url(s) {
            return Err(bad("not an http:// or https:// URL"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("spaces or control characters (percent-encode them)"));
        }
        let (scheme, rest) = s.split_once("://").ok_or_else(|| bad("no ://"))?;
        let rest = rest.split('#').next().unwrap_or("");
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        let (credentials, host) = match authority.rsplit_once('@') {
            Some((userinfo, host)) => {
                let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                (Some((percent_decode(user), percent_decode(pass))), host)
            }
            None => (None, authority),
        };
        if host.is_empty() || host.starts_with(':') {
            return Err(bad("no host"));
        }
        let path_and_query = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        Ok(Self {
            scheme: scheme.to_ascii_lowercase(),
            credentials,
            authority: host.to_string(),
            path_and_query,
        })
    }

    /// The URL requests go to (no credentials).
    pub fn request_url(&self) -> String {
        format!(
            "{}://{}{}",
            self.scheme, self.authority, self.path_and_query
        )
    }

    /// The URL for messages: no credentials, the query shown as `?…`.
    pub fn display(&self) -> String {
        let path = match self.path_and_query.split_once('?') {
            Some((p, _)) => format!("{p}?…"),
            None => self.path_and_query.clone(),
        };
        format!("{}://{}{}", self.scheme, self.authority, path)
    }

    /// What identifies the object for the on-disk cache: scheme, host and path (a pre-signed
    /// URL's changing query is left out; the pinned version tells objects apart).
    pub fn cache_identity(&self) -> String {
        let path = self.path_and_query.split('?').next().unwrap_or("/");
        format!(
            "{}://{}{}",
            self.scheme,
            self.authority.to_ascii_lowercase(),
            path
        )
    }

    /// The host name without the port (for `~/.netrc`).
    pub fn host(&self) -> &str {
        let a = self.authority.as_str();
        if let Some(end) = a.strip_prefix('[').and_then(|r| r.find(']')) {
            return &a[1..=end];
        }
        a.rsplit_once(':').map_or(a, |(h, _)| h)
    }

    /// `user:password` given in the URL, if any.
    pub fn credentials(&self) -> Option<&(String, String)> {
        self.credentials.as_ref()
    }

    /// The file name at the end of the path (for messages and mount names).
    pub fn file_name(&self) -> &str {
        let path = self.path_and_query.split('?').next().unwrap_or("");
        path.rsplit('/').next().unwrap_or("")
    }
}

/// `s` with credentials and query removed, for messages about URLs that did not parse.
pub fn redact(s: &str) -> String {
    let no_query = s.split(['?', '#']).next().unwrap_or("");
    match no_query.split_once("://") {
        Some((scheme, rest)) => {
            let split = rest.find('/').unwrap_or(rest.len());
            let (auth, path) = rest.split_at(split);
            let host = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => no_query.to_string(),
    }
}

/// Decodes `%XX` escapes; invalid escapes stay as they are.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_queries_never_show() {
        let u = HttpUrl::parse("HTTPS://me:s%40cret@Host.example:8443/a/b.wim?X-Sig=abc#frag")
            .expect("parse");
        assert_eq!(u.display(), "https://Host.example:8443/a/b.wim?…");
        assert_eq!(
            u.request_url(),
            "https://Host.example:8443/a/b.wim?X-Sig=abc"
        );
        assert_eq!(u.cache_identity(), "https://host.example:8443/a/b.wim");
        assert_eq!(u.host(), "Host.example");
        assert_eq!(u.file_name(), "b.wim");
        assert_eq!(
            u.credentials(),
            Some(&("me".to_string(), "s@cret".to_string()))
        );
        assert!(!format!("{u:?}").contains("cret"));
        assert_eq!(redact("http://a:b@h/p?q"), "http://h/p");
    }

    #[test]
    fn other_schemes_and_empty_hosts_are_refused() {
        assert!(!is_url("/srv/x.wim"));
        assert!(is_url("http://h/x"));
        assert!(HttpUrl::parse("ftp://h/x").is_err());
        assert!(HttpUrl::parse("http:///x").is_err());
        assert!(HttpUrl::parse("http://h/a b").is_err());
        assert_eq!(HttpUrl::parse("http://[::1]:80").expect("v6").host(), "::1");
    }
}
