//! Credentials from a netrc file (the format of `ftp(1)` and `curl --netrc`): tokens
//! `machine NAME login USER password PASS`, and `default` for any other host. `macdef` blocks
//! are skipped to their blank line.

use std::path::{Path, PathBuf};

use super::config::Secret;

/// The netrc file to read: `explicit`, else `$NETRC`, else `~/.netrc`.
pub fn netrc_path(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("NETRC").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
    Some(PathBuf::from(home).join(".netrc"))
}

/// Login and password for `host` in the netrc text `text`.
pub fn lookup(text: &str, host: &str) -> Option<(String, Secret)> {
    let mut found: Option<(String, Secret)> = None;
    let mut default: Option<(String, Secret)> = None;
    // Which entry the tokens belong to: Some(true) the host's, Some(false) another, None default.
    let mut current: Option<bool> = Some(false);
    let (mut login, mut password) = (String::new(), String::new());
    let mut flush = |current: Option<bool>, login: &mut String, password: &mut String| {
        let entry = (std::mem::take(login), Secret::new(std::mem::take(password)));
        match current {
            Some(true) if found.is_none() => found = Some(entry),
            None if default.is_none() => default = Some(entry),
            _ => {}
        }
    };
    let mut lines = text.lines();
    let mut tokens: Vec<String> = Vec::new();
    while let Some(line) = lines.next() {
        for w in line.split_whitespace() {
            if w == "macdef" {
                // Skip the macro body: up to the next empty line.
                for l in lines.by_ref() {
                    if l.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            tokens.push(w.to_string());
        }
    }
    let mut it = tokens.into_iter();
    while let Some(t) = it.next() {
        match t.as_str() {
            "machine" => {
                flush(current, &mut login, &mut password);
                current = Some(it.next().is_some_and(|m| m.eq_ignore_ascii_case(host)));
            }
            "default" => {
                flush(current, &mut login, &mut password);
                current = None;
            }
            "login" => login = it.next().unwrap_or_default(),
            "password" => password = it.next().unwrap_or_default(),
            _ => {}
        }
    }
    flush(current, &mut login, &mut password);
    found.or(default).filter(|(l, _)| !l.is_empty())
}

/// Login and password for `host` from the netrc file, if it has them.
pub fn credentials_for(host: &str, explicit: Option<&Path>) -> Option<(String, Secret)> {
    let path = netrc_path(explicit)?;
    let text = std::fs::read_to_string(path).ok()?;
    lookup(&text, host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_entries_win_over_default() {
        let text = "machine other login o password p\n\
                    macdef init\ncd /\n\n\
                    machine deploy.example\n  login me\n  password s3cret\n\
                    default login anon password x\n";
        let (l, p) = lookup(text, "DEPLOY.example").expect("entry");
        assert_eq!((l.as_str(), p.expose()), ("me", "s3cret"));
        let (l, _) = lookup(text, "elsewhere").expect("default");
        assert_eq!(l, "anon");
        assert!(lookup("machine a login b password c", "z").is_none());
    }
}
