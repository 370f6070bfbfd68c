//! How many requests of each kind the kernel sent: a diagnostic for benchmarks and tests
//! (how many FUSE round trips reading a file costs), read through the root's extended
//! attribute [`REQUEST_COUNTS_XATTR`], which is not listed.
//!
//! The FUSE request kinds are those of the kernel's protocol (`include/uapi/linux/fuse.h`:
//! `FUSE_LOOKUP`, `FUSE_OPEN`, `FUSE_FLUSH`, ...).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// The root xattr that answers the counts, as `name=count` pairs separated by spaces.
pub const REQUEST_COUNTS_XATTR: &str = "fuse.request_counts";

/// The kinds of request counted, one counter each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RequestKind {
    Lookup,
    Forget,
    Getattr,
    Readlink,
    Open,
    Read,
    Flush,
    Release,
    Opendir,
    Readdir,
    Readdirplus,
    Releasedir,
    Getxattr,
    Listxattr,
    Access,
    Statfs,
    /// Everything else (the write half).
    Other,
}

const KINDS: [(RequestKind, &str); 17] = [
    (RequestKind::Lookup, "lookup"),
    (RequestKind::Forget, "forget"),
    (RequestKind::Getattr, "getattr"),
    (RequestKind::Readlink, "readlink"),
    (RequestKind::Open, "open"),
    (RequestKind::Read, "read"),
    (RequestKind::Flush, "flush"),
    (RequestKind::Release, "release"),
    (RequestKind::Opendir, "opendir"),
    (RequestKind::Readdir, "readdir"),
    (RequestKind::Readdirplus, "readdirplus"),
    (RequestKind::Releasedir, "releasedir"),
    (RequestKind::Getxattr, "getxattr"),
    (RequestKind::Listxattr, "listxattr"),
    (RequestKind::Access, "access"),
    (RequestKind::Statfs, "statfs"),
    (RequestKind::Other, "other"),
];

/// One relaxed atomic counter per [`RequestKind`].
#[derive(Debug, Default)]
pub(super) struct RequestCounts {
    counts: [AtomicU64; KINDS.len()],
}

impl RequestCounts {
    /// Counts one request of `kind`.
    pub(super) fn count(&self, kind: RequestKind) {
        self.counts[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// `lookup=N forget=N ...` and a newline.
    pub(super) fn render(&self) -> String {
        let mut out = String::new();
        for (kind, name) in KINDS {
            let n = self.counts[kind as usize].load(Ordering::Relaxed);
            let sep = if out.is_empty() { "" } else { " " };
            let _ = write!(out, "{sep}{name}={n}");
        }
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{RequestCounts, RequestKind, KINDS};

    #[test]
    fn kinds_are_listed_in_discriminant_order() {
        for (i, (kind, _)) in KINDS.iter().enumerate() {
            assert_eq!(*kind as usize, i, "{kind:?}");
        }
    }

    #[test]
    fn counts_render_by_name() {
        let c = RequestCounts::default();
        c.count(RequestKind::Read);
        c.count(RequestKind::Read);
        c.count(RequestKind::Other);
        let s = c.render();
        assert!(s.contains(" read=2 "), "{s}");
        assert!(s.starts_with("lookup=0 "), "{s}");
        assert!(s.ends_with(" other=1\n"), "{s}");
    }
}
