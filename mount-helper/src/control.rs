//! The control channel of a read-write mount, on which `wimfs unmount --commit|--discard`
//! asks the mount's daemon to commit or discard, and reads its progress.
//!
//! Protocol, one line each: the client sends `commit|discard|status|commit-live force=0|1
//! check=0|1 rebuild=0|1 [new_image=1 [image_name=HEX]]` (`commit-live`: `wimfs commit DIR`,
//! the mount stays; the new image's name as hex UTF-8, so any name fits in one word); the
//! daemon answers with any number of `progress <phase> <done> <total>` lines and then one
//! `ok <message>` or `err <message>`.
//!
//! The transport is the only part that differs by system (`transport::Listener`,
//! `transport::connect`): on Unix a Unix socket (mode 0600, in a 0700 directory of the user's
//! runtime dir, see `control/unix.rs`); on Windows TCP on 127.0.0.1 with a secret token the
//! client must present first (see `control/windows.rs`).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Arc;

use wimfs::commit::NewImage;

#[cfg(any(windows, test))]
#[path = "control/token.rs"]
mod token;
#[cfg(unix)]
#[path = "control/unix.rs"]
mod transport;
#[cfg(windows)]
#[path = "control/windows.rs"]
mod transport;

pub use transport::endpoint_path;

/// What the client asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Write the changes into the image, then unmount.
    Commit,
    /// Drop the changes, then unmount.
    Discard,
    /// Report whether there are changes.
    Status,
    /// Write the changes into the image and stay mounted (`wimfs commit DIR`).
    CommitLive,
}

/// A request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// What to do.
    pub action: Action,
    /// Go ahead even with open files.
    pub force: bool,
    /// Add an integrity table.
    pub check: bool,
    /// After committing, rewrite the WIM compacted.
    pub rebuild: bool,
    /// Commit as a new image appended to the WIM (None: replace the mounted image).
    pub new_image: Option<NewImage>,
}

impl Request {
    fn to_line(&self) -> String {
        let a = match self.action {
            Action::Commit => "commit",
            Action::Discard => "discard",
            Action::Status => "status",
            Action::CommitLive => "commit-live",
        };
        format!(
            "{a} force={} check={} rebuild={}{}\n",
            u8::from(self.force),
            u8::from(self.check),
            u8::from(self.rebuild),
            new_image_words(self.new_image.as_ref())
        )
    }

    fn parse(line: &str) -> Option<Self> {
        let mut words = line.split_whitespace();
        let action = match words.next()? {
            "commit" => Action::Commit,
            "discard" => Action::Discard,
            "status" => Action::Status,
            "commit-live" => Action::CommitLive,
            _ => return None,
        };
        let mut req = Request {
            action,
            force: false,
            check: false,
            rebuild: false,
            new_image: None,
        };
        for w in words {
            match w {
                "force=1" => req.force = true,
                "check=1" => req.check = true,
                "rebuild=1" => req.rebuild = true,
                _ => parse_new_image_word(w, &mut req.new_image)?,
            }
        }
        Some(req)
    }
}

/// The words of a request that ask for a new image: ` new_image=1 [image_name=HEX]`.
fn new_image_words(new_image: Option<&NewImage>) -> String {
    let Some(n) = new_image else {
        return String::new();
    };
    let name = n.name.as_deref().map_or_else(String::new, |name| {
        let hex: String = name.bytes().map(|b| format!("{b:02x}")).collect();
        format!(" image_name={hex}")
    });
    format!(" new_image=1{name}")
}

/// Reads one word of a request about a new image into `new_image`; ignores other words, fails
/// (None) on a malformed name.
fn parse_new_image_word(w: &str, new_image: &mut Option<NewImage>) -> Option<()> {
    if w == "new_image=1" {
        new_image.get_or_insert_with(NewImage::default);
    } else if let Some(hex) = w.strip_prefix("image_name=") {
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        new_image.get_or_insert_with(NewImage::default).name = Some(String::from_utf8(bytes).ok()?);
    }
    Some(())
}

/// What the daemon does for each action.
pub trait Controller: Send + Sync {
    /// Commits; reports progress as (phase, done, total); returns a summary.
    fn commit(
        &self,
        req: &Request,
        progress: &mut dyn FnMut(&str, u64, u64),
    ) -> Result<String, String>;
    /// Discards the changes.
    fn discard(&self, req: &Request) -> Result<String, String>;
    /// Describes the state ("clean" or "dirty ...").
    fn status(&self) -> String;
    /// Unmounts (after a successful commit or discard).
    fn unmount(&self);
    /// Commits and stays mounted; reports progress like [`Controller::commit`].
    fn commit_live(
        &self,
        _req: &Request,
        _progress: &mut dyn FnMut(&str, u64, u64),
    ) -> Result<String, String> {
        Err("this mount cannot commit while mounted".into())
    }
}

/// Starts answering requests on the mount's control channel (in a background thread).
pub fn serve(mountpoint: &Path, controller: Arc<dyn Controller>) -> Result<(), String> {
    let listener = transport::Listener::bind(mountpoint)?;
    std::thread::Builder::new()
        .name("control".into())
        .spawn(move || {
            for stream in listener.incoming() {
                if handle(stream, controller.as_ref()) {
                    listener.remove();
                    controller.unmount();
                    return;
                }
            }
        })
        .map_err(|e| format!("starting the control thread: {e}"))?;
    Ok(())
}

/// Answers one client; true when the mount should now go away.
fn handle(stream: transport::Stream, controller: &dyn Controller) -> bool {
    let mut line = String::new();
    let Ok(read_half) = stream.try_clone() else {
        return false;
    };
    if BufReader::new(read_half).read_line(&mut line).is_err() {
        return false;
    }
    let mut out = stream;
    let Some(req) = Request::parse(&line) else {
        let _ = writeln!(out, "err unknown request {:?}", line.trim());
        return false;
    };
    let result = match req.action {
        Action::Status => Ok(controller.status()),
        Action::Discard => controller.discard(&req),
        Action::Commit => controller.commit(&req, &mut |phase, done, total| {
            let _ = writeln!(out, "progress {phase} {done} {total}");
        }),
        Action::CommitLive => controller.commit_live(&req, &mut |phase, done, total| {
            let _ = writeln!(out, "progress {phase} {done} {total}");
        }),
    };
    let finished = result.is_ok() && matches!(req.action, Action::Commit | Action::Discard);
    let _ = match result {
        Ok(msg) => writeln!(out, "ok {msg}"),
        Err(msg) => writeln!(out, "err {msg}"),
    };
    let _ = out.flush();
    finished
}

/// Sends `req` to the mount at `mountpoint`; `progress` sees progress lines. `Ok(None)` when
/// the mount has no control channel (a read-only mount).
pub fn send(
    mountpoint: &Path,
    req: Request,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<Option<String>, String> {
    let Some(stream) = transport::connect(mountpoint)? else {
        return Ok(None);
    };
    let mut w = stream.try_clone().map_err(|e| e.to_string())?;
    w.write_all(req.to_line().as_bytes())
        .map_err(|e| format!("talking to the mount daemon: {e}"))?;
    for line in BufReader::new(stream).lines() {
        let line = line.map_err(|e| format!("talking to the mount daemon: {e}"))?;
        if let Some(rest) = line.strip_prefix("progress ") {
            let f: Vec<&str> = rest.split_whitespace().collect();
            if let [phase, done, total] = f.as_slice() {
                progress(phase, done.parse().unwrap_or(0), total.parse().unwrap_or(0));
            }
        } else if let Some(msg) = line.strip_prefix("ok ") {
            return Ok(Some(msg.to_string()));
        } else if let Some(msg) = line.strip_prefix("err ") {
            return Err(msg.to_string());
        }
    }
    Err("the mount daemon closed the connection without an answer".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip() {
        for req in [
            Request {
                action: Action::Commit,
                force: true,
                check: false,
                rebuild: true,
                new_image: None,
            },
            Request {
                action: Action::Discard,
                force: false,
                check: true,
                rebuild: false,
                new_image: None,
            },
            Request {
                action: Action::Status,
                force: false,
                check: false,
                rebuild: false,
                new_image: None,
            },
            Request {
                action: Action::Commit,
                force: false,
                check: false,
                rebuild: false,
                new_image: Some(NewImage::default()),
            },
            Request {
                action: Action::Commit,
                force: false,
                check: true,
                rebuild: false,
                new_image: Some(NewImage {
                    name: Some("Pro serviced, ünïcode & spaces".into()),
                }),
            },
            Request {
                action: Action::CommitLive,
                force: true,
                check: true,
                rebuild: false,
                new_image: None,
            },
        ] {
            assert_eq!(Request::parse(&req.to_line()), Some(req));
        }
        assert_eq!(Request::parse("explode"), None);
        assert_eq!(Request::parse("commit new_image=1 image_name=4"), None);
        assert_eq!(Request::parse("commit image_name=ff"), None, "not UTF-8");
    }

    #[test]
    fn endpoint_names_are_stable_and_distinct() {
        assert_eq!(
            endpoint_path(Path::new("/mnt/a")),
            endpoint_path(Path::new("/mnt/a"))
        );
        assert_ne!(
            endpoint_path(Path::new("/mnt/a")),
            endpoint_path(Path::new("/mnt/b"))
        );
    }
}
