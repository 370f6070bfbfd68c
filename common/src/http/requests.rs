//! The two requests an HTTP source makes: the probe at open (one round trip: size,
//! validators and the first bytes) and conditional range requests (RFC 9110 §14.2, §13.1.1) for blocks, whose answers are checked
//! against the pinned version.

use std::time::Duration;

use super::client::{AttemptError, Client};
use super::version::{parse_content_range, ContentRange, PinnedVersion};

/// What the probe learned: the object (size and validators) and its first bytes.
#[derive(Debug)]
pub struct ProbeOutcome {
    /// The version to pin.
    pub version: PinnedVersion,
    /// Bytes from offset 0 (as many as asked for, or the whole object if smaller).
    pub first: Vec<u8>,
}

/// GET bytes `0..first_len`.
pub fn probe(
    client: &Client,
    url: &str,
    first_len: u64,
    timeout: Duration,
) -> Result<ProbeOutcome, AttemptError> {
    let range = format!("bytes=0-{}", first_len.saturating_sub(1));
    let headers = [("Range", range.as_str())];
    let answer = client.get(url, &headers, timeout)?;
    let validators = (
        answer.header("ETag").map(str::to_string),
        answer.header("Last-Modified").map(str::to_string),
    );
    match answer.status {
        206 => {
            let cr = answer.header("Content-Range").unwrap_or("");
            let Some(ContentRange::Bytes { first, last, total }) = parse_content_range(cr) else {
                return Err(AttemptError::Fatal(format!(
                    "206 with an unusable Content-Range {cr:?}"
                )));
            };
            if first != 0 {
                return Err(AttemptError::Fatal(format!("asked for byte 0, got {cr:?}")));
            }
            let body = answer.body_exact(last - first + 1)?;
            let version = PinnedVersion {
                size: total,
                etag: validators.0,
                last_modified: validators.1,
            };
            Ok(ProbeOutcome {
                version,
                first: body,
            })
        }
        416 => match answer.header("Content-Range").and_then(parse_content_range) {
            // An empty object: no byte range is satisfiable.
            Some(ContentRange::Unsatisfied { total: 0 }) => Ok(ProbeOutcome {
                version: PinnedVersion {
                    size: 0,
                    etag: validators.0,
                    last_modified: validators.1,
                },
                first: Vec::new(),
            }),
            _ => Err(AttemptError::Fatal(
                "416 Range Not Satisfiable for the first bytes".into(),
            )),
        },
        200 => {
            // Some servers answer a range covering the whole (small) object with all of it:
            // then nothing else will ever be asked for.
            let len = answer
                .header("Content-Length")
                .and_then(|v| v.trim().parse::<u64>().ok());
            match len {
                Some(len) if len < first_len => {
                    let first = answer.body_exact(len)?;
                    let version = PinnedVersion {
                        size: len,
                        etag: validators.0,
                        last_modified: validators.1,
                    };
                    Ok(ProbeOutcome { version, first })
                }
                _ => Err(AttemptError::NoRanges(
                    "it answered a range request with status 200 and the whole file".into(),
                )),
            }
        }
        s => Err(status_error(s, "bytes 0-")),
    }
}

/// GET bytes `start..start+len` of the pinned version.
pub fn fetch_range(
    client: &Client,
    url: &str,
    version: &PinnedVersion,
    start: u64,
    len: u64,
    timeout: Duration,
) -> Result<Vec<u8>, AttemptError> {
    let end = start
        .checked_add(len)
        .filter(|&e| e <= version.size && len > 0)
        .ok_or_else(|| AttemptError::Fatal(format!("range {start}+{len} is outside the object")))?;
    let range = format!("bytes={start}-{}", end - 1);
    let mut headers = vec![("Range", range.as_str())];
    if let Some((k, v)) = version.condition() {
        headers.push((k, v));
    }
    let what = format!("bytes {start}-{}", end - 1);
    let answer = client.get(url, &headers, timeout)?;
    match answer.status {
        206 => {
            let cr = answer.header("Content-Range").unwrap_or("");
            let Some(ContentRange::Bytes { first, last, total }) = parse_content_range(cr) else {
                return Err(AttemptError::Retry(format!(
                    "{what}: unusable Content-Range {cr:?}"
                )));
            };
            version
                .check(answer.header("ETag"), answer.header("Last-Modified"), total)
                .map_err(|d| AttemptError::Changed(format!("{what}: {d}")))?;
            if first != start || last != end - 1 {
                return Err(AttemptError::Fatal(format!(
                    "{what}: the server sent {cr:?}"
                )));
            }
            answer.body_exact(len)
        }
        412 => Err(AttemptError::Changed(format!(
            "{what}: 412 Precondition Failed"
        ))),
        200 => Err(AttemptError::NoRanges(format!(
            "{what}: the server ignored the range and sent the whole file (status 200)"
        ))),
        404 | 410 => Err(AttemptError::Changed(format!(
            "{what}: {} (the file is gone)",
            answer.status
        ))),
        s => Err(status_error(s, &what)),
    }
}

/// 5xx, 408 and 429 are retried; other statuses are final.
fn status_error(status: u16, what: &str) -> AttemptError {
    let msg = format!("{what}: HTTP status {status}");
    match status {
        408 | 429 | 500..=599 => AttemptError::Retry(msg),
        401 | 403 => AttemptError::Fatal(format!(
            "{msg} (credentials: ~/.netrc, the URL, or --http-token-file)"
        )),
        _ => AttemptError::Fatal(msg),
    }
}
