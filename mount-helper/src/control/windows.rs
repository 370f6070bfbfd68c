//! The control channel's transport on Windows: TCP on 127.0.0.1, an ephemeral port, and a
//! secret. Any local process can connect to a loopback port, so the daemon draws a random
//! 32-byte token (`BCryptGenRandom`) and writes `<port> <token as hex>` into a file of the
//! user's state directory (`%LOCALAPPDATA%\wimfs\control\<hash of the mount point>.port`,
//! readable only by the user and administrators through the profile's ACL). A client must
//! send the token's 64 hex digits and a newline before anything else; the daemon compares
//! them in constant time and drops the connection on a mismatch or after 5 s of silence.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::token::{hex, parse_port_file, port_file, same_secret, token_line, TOKEN_LEN};

/// A connection.
pub(super) type Stream = TcpStream;

/// How long a client may take to present the token.
const AUTH_TIMEOUT: Duration = Duration::from_secs(5);

/// `%LOCALAPPDATA%\wimfs\control`, else the user's temporary directory.
fn control_dir() -> PathBuf {
    match crate::staging_state::user_state_dir() {
        Ok(d) => d.join("control"),
        Err(_) => std::env::temp_dir().join("wimfs-control"),
    }
}

/// The file holding the port and token of the mount at `mountpoint` (as the mount names it).
pub fn endpoint_path(mountpoint: &Path) -> PathBuf {
    control_dir().join(format!(
        "{:016x}.port",
        crate::path_hash::fnv(mountpoint.as_os_str().as_encoded_bytes())
    ))
}

/// `TOKEN_LEN` bytes from the system's preferred random number generator.
fn random_token() -> Result<[u8; TOKEN_LEN], String> {
    use windows_sys::Win32::Security::Cryptography::{
        BCryptGenRandom, BCRYPT_USE_SYSTEM_PREFERRED_RNG,
    };
    let mut token = [0u8; TOKEN_LEN];
    // SAFETY: `token` is a writable buffer of the length passed; no algorithm handle is
    // needed with BCRYPT_USE_SYSTEM_PREFERRED_RNG.
    let status = unsafe {
        BCryptGenRandom(
            std::ptr::null_mut(),
            token.as_mut_ptr(),
            TOKEN_LEN as u32,
            BCRYPT_USE_SYSTEM_PREFERRED_RNG,
        )
    };
    if status != 0 {
        return Err(format!(
            "drawing the control channel's secret: NTSTATUS {status:#x}"
        ));
    }
    Ok(token)
}

/// The daemon's end: the loopback listener and the token clients must present.
#[derive(Debug)]
pub(super) struct Listener {
    listener: TcpListener,
    path: PathBuf,
    /// The token line (`<hex>\n`) a client sends first.
    expect: Vec<u8>,
}

impl Listener {
    /// Listens on an ephemeral loopback port and publishes it with a fresh token.
    pub(super) fn bind(mountpoint: &Path) -> Result<Self, String> {
        let path = endpoint_path(mountpoint);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let token = hex(&random_token()?);
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| format!("control channel on 127.0.0.1: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("control channel on 127.0.0.1: {e}"))?
            .port();
        // Written beside and renamed, so a client never reads half a file.
        let tmp = path.with_extension("port-tmp");
        std::fs::write(&tmp, port_file(port, &token))
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("control file {}: {e}", path.display()))?;
        Ok(Self {
            listener,
            path,
            expect: token_line(&token),
        })
    }

    /// The clients that presented the token, one after the other.
    pub(super) fn incoming(&self) -> impl Iterator<Item = Stream> + '_ {
        self.listener
            .incoming()
            .flatten()
            .filter_map(|s| self.authenticate(s))
    }

    /// The stream, if its first bytes are the token line.
    fn authenticate(&self, mut stream: Stream) -> Option<Stream> {
        stream.set_read_timeout(Some(AUTH_TIMEOUT)).ok()?;
        let mut got = vec![0u8; self.expect.len()];
        stream.read_exact(&mut got).ok()?;
        if !same_secret(&got, &self.expect) {
            tracing::warn!("control channel: a client presented a wrong token");
            return None;
        }
        stream.set_read_timeout(None).ok()?;
        Some(stream)
    }

    /// Removes the port file (the mount is going away).
    pub(super) fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Connects to the mount's daemon and presents the token; `None` if the mount has no
/// control channel (no port file, or nobody listens on the port any more).
pub(super) fn connect(mountpoint: &Path) -> Result<Option<Stream>, String> {
    let path = endpoint_path(mountpoint);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("control file {}: {e}", path.display())),
    };
    let (port, token) = parse_port_file(&text)
        .ok_or_else(|| format!("control file {} is damaged", path.display()))?;
    let mut stream = match TcpStream::connect((Ipv4Addr::LOCALHOST, port)) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Ok(None),
        Err(e) => return Err(format!("control channel on 127.0.0.1:{port}: {e}")),
    };
    stream
        .write_all(&token_line(token))
        .map_err(|e| format!("talking to the mount daemon: {e}"))?;
    Ok(Some(stream))
}
