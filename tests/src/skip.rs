//! Prerequisites (a tool, root, FUSE, a built binary) checked the one way: a test whose
//! prerequisite is missing fails under CI (env `CI` set, as `.ci/run` runs) and is skipped
//! elsewhere with a printed reason. No test passes silently.

use std::path::Path;

use crate::process::which;

/// Skips a test whose prerequisite (`what`) is missing: prints why, or fails under CI, where
/// every test must run. The caller returns after it.
pub fn skip_unless_ci(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run this test, but {what}"
    );
    eprintln!("SKIPPED: {what}");
}

/// Are we root?
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// True when running as root; otherwise [`skip_unless_ci`] with `why` (what needs root).
pub fn root_or_skip(why: &str) -> bool {
    if is_root() {
        return true;
    }
    skip_unless_ci(&format!("not root, and {why} needs root"));
    false
}

/// True when /dev/fuse exists; otherwise [`skip_unless_ci`].
pub fn fuse_or_skip() -> bool {
    if Path::new("/dev/fuse").exists() {
        return true;
    }
    skip_unless_ci("there is no /dev/fuse");
    false
}

/// True when every tool is in PATH; otherwise [`skip_unless_ci`] naming the missing ones.
pub fn tools_or_skip(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| which(t).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    skip_unless_ci(&format!(
        "tools not found in PATH: {missing:?} (run scripts/install-deps)"
    ));
    false
}
