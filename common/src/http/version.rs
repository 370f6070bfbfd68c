//! The object's version, pinned when the source is opened: its size, its entity tag and its
//! Last-Modified date (RFC 9110 §8.8). Every later range request is conditional on it
//! (`If-Match` with a strong ETag, else `If-Unmodified-Since`; RFC 9110 §13.1), and every
//! answer is checked against it, so bytes of two versions are never mixed.

/// Size and validators of the object as it was when opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedVersion {
    /// The object's size in bytes (from `Content-Range`).
    pub size: u64,
    /// Its entity tag, quotes included (`"5f2-6a1"`, or weak `W/"…"`).
    pub etag: Option<String>,
    /// Its Last-Modified date as the server wrote it.
    pub last_modified: Option<String>,
}

impl PinnedVersion {
    /// True if the ETag is strong (only strong tags may be used with `If-Match`).
    pub fn strong_etag(&self) -> Option<&str> {
        self.etag.as_deref().filter(|e| !e.starts_with("W/"))
    }

    /// The precondition header every range request carries, if the server gave a validator.
    pub fn condition(&self) -> Option<(&'static str, &str)> {
        if let Some(e) = self.strong_etag() {
            return Some(("If-Match", e));
        }
        self.last_modified
            .as_deref()
            .map(|lm| ("If-Unmodified-Since", lm))
    }

    /// Checks an answer's validators and total size against the pinned ones; the reason
    /// names what differs.
    pub fn check(
        &self,
        etag: Option<&str>,
        last_modified: Option<&str>,
        total: u64,
    ) -> Result<(), String> {
        if total != self.size {
            return Err(format!("size {total}, opened with {}", self.size));
        }
        if let (Some(pinned), Some(got)) = (self.etag.as_deref(), etag) {
            if pinned != got {
                return Err(format!("ETag {got}, opened with {pinned}"));
            }
        }
        if let (Some(pinned), Some(got)) = (self.last_modified.as_deref(), last_modified) {
            if pinned != got {
                return Err(format!("Last-Modified {got}, opened with {pinned}"));
            }
        }
        Ok(())
    }

    /// How `info` shows the version.
    pub fn describe(&self) -> String {
        format!(
            "{} bytes, ETag {}, Last-Modified {}",
            self.size,
            self.etag.as_deref().unwrap_or("(none)"),
            self.last_modified.as_deref().unwrap_or("(none)")
        )
    }

    /// One line for the on-disk cache (`size\tetag\tlast-modified`).
    pub fn to_line(&self) -> String {
        format!(
            "{}\t{}\t{}",
            self.size,
            self.etag.as_deref().unwrap_or(""),
            self.last_modified.as_deref().unwrap_or("")
        )
    }

    /// Reads [`PinnedVersion::to_line`]'s output back.
    pub fn from_line(line: &str) -> Option<Self> {
        let mut f = line.trim_end_matches(['\r', '\n']).split('\t');
        let size = f.next()?.parse().ok()?;
        let opt = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
        let (etag, last_modified) = (opt(f.next()), opt(f.next()));
        (etag.is_some() || last_modified.is_some()).then_some(Self {
            size,
            etag,
            last_modified,
        })
    }
}

/// A parsed `Content-Range` value (RFC 9110 §14.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentRange {
    /// `bytes FIRST-LAST/TOTAL`.
    Bytes {
        /// First byte.
        first: u64,
        /// Last byte (inclusive).
        last: u64,
        /// Object size.
        total: u64,
    },
    /// `bytes */TOTAL` (with status 416).
    Unsatisfied {
        /// Object size.
        total: u64,
    },
}

/// Parses `bytes a-b/total` or `bytes */total`; an unknown total (`*`) is refused.
pub fn parse_content_range(v: &str) -> Option<ContentRange> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let total: u64 = total.trim().parse().ok()?;
    if range.trim() == "*" {
        return Some(ContentRange::Unsatisfied { total });
    }
    let (a, b) = range.trim().split_once('-')?;
    let (first, last): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
    (first <= last && last < total).then_some(ContentRange::Bytes { first, last, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse_and_bad_ones_are_refused() {
        assert_eq!(
            parse_content_range("bytes 0-1023/4096"),
            Some(ContentRange::Bytes {
                first: 0,
                last: 1023,
                total: 4096
            })
        );
        assert_eq!(
            parse_content_range("bytes */10"),
            Some(ContentRange::Unsatisfied { total: 10 })
        );
        assert_eq!(parse_content_range("bytes 5-4/10"), None);
        assert_eq!(parse_content_range("bytes 0-10/10"), None);
        assert_eq!(parse_content_range("bytes 0-1/*"), None);
        assert_eq!(parse_content_range("items 0-1/5"), None);
    }

    #[test]
    fn conditions_prefer_strong_etags() {
        let mut v = PinnedVersion {
            size: 5,
            etag: Some("W/\"x\"".into()),
            last_modified: Some("Sat, 05 Dec 2026 10:00:00 GMT".into()),
        };
        assert_eq!(v.condition().map(|c| c.0), Some("If-Unmodified-Since"));
        v.etag = Some("\"x\"".into());
        assert_eq!(v.condition(), Some(("If-Match", "\"x\"")));
        assert!(v.check(Some("\"y\""), None, 5).is_err());
        assert!(v.check(None, None, 6).is_err());
        assert!(v.check(Some("\"x\""), None, 5).is_ok());
        assert_eq!(PinnedVersion::from_line(&v.to_line()), Some(v));
    }
}
