//! Expanding `--ref` arguments (split WIM parts): each is a path or a pattern whose file-name
//! part may contain `*` and `?` (quoted, as with wimlib: `--ref 'install*.swm'`), or an
//! `http(s)://` URL, taken as it is (a web server has no directory listing to match against).

use std::path::{Path, PathBuf};

/// True if `name` matches `pattern` (`*` any run, `?` one character).
fn matches(pattern: &[char], name: &[char]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some('*'), _) => {
            matches(&pattern[1..], name) || (!name.is_empty() && matches(pattern, &name[1..]))
        }
        (Some('?'), Some(_)) => matches(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => matches(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// Expands every argument; a pattern that matches nothing is an error naming it.
pub fn expand(args: &[String]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for arg in args {
        if common::http::is_url(arg) {
            out.push(PathBuf::from(arg));
            continue;
        }
        let path = Path::new(arg);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.contains(['*', '?']) {
            out.push(path.to_path_buf());
            continue;
        }
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let pattern: Vec<char> = name.chars().collect();
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("--ref {arg}: {e}"))?
            .filter_map(Result::ok)
            .filter(|e| {
                let n: Vec<char> = e.file_name().to_string_lossy().chars().collect();
                matches(&pattern, &n)
            })
            .map(|e| e.path())
            .collect();
        if found.is_empty() {
            return Err(format!("--ref {arg}: no file matches"));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, n: &str) -> bool {
        matches(
            &p.chars().collect::<Vec<_>>(),
            &n.chars().collect::<Vec<_>>(),
        )
    }

    #[test]
    fn wildcards() {
        assert!(m("install*.swm", "install.swm"));
        assert!(m("install*.swm", "install2.swm"));
        assert!(!m("install*.swm", "install2.wim"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
    }
}
