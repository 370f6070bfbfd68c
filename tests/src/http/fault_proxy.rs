//! A latency and fault injecting HTTP/1.1 proxy for tests and benchmarks: a thread per
//! connection, each request forwarded to the upstream server on a connection of its own
//! (`Connection: close`, so a response ends where the upstream closes). It adds a delay per
//! request, and can answer with a status itself, drop the connection, cut bodies short or strip
//! the `Range` header (a server without range support). Loopback only.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and an empty body, without asking the upstream.
    Status(u16),
    /// Close the connection without answering.
    Drop,
    /// Forward, but cut the body after half of its bytes and close.
    Truncate,
    /// Remove `Range` from requests (the upstream answers 200 with the whole file).
    StripRange,
    /// Read the request and never answer (a hung server), until the proxy stops.
    Hang,
}

#[derive(Debug, Default)]
struct Armed {
    fault: Option<Fault>,
    /// Requests still to hit (None: all).
    remaining: Option<u64>,
}

#[derive(Debug)]
struct State {
    upstream: SocketAddr,
    delay: Mutex<Duration>,
    armed: Mutex<Armed>,
    requests: AtomicU64,
    faulted: AtomicU64,
    bytes_down: AtomicU64,
    stop: AtomicBool,
}

/// A running proxy; stops on drop.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<State>,
}

impl FaultProxy {
    /// Listens on 127.0.0.1 (a free port) and forwards to `upstream`.
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        FaultProxy::start_on(upstream, "127.0.0.1:0")
    }

    /// Listens on `listen` and forwards to `upstream`.
    pub fn start_on(upstream: SocketAddr, listen: &str) -> FaultProxy {
        let listener = TcpListener::bind(listen).expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        assert!(
            addr.ip().is_loopback(),
            "the proxy listens on loopback only"
        );
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let state = Arc::new(State {
            upstream,
            delay: Mutex::new(Duration::ZERO),
            armed: Mutex::new(Armed::default()),
            requests: AtomicU64::new(0),
            faulted: AtomicU64::new(0),
            bytes_down: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let st = Arc::clone(&state);
        thread::spawn(move || {
            while !st.stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let st = Arc::clone(&st);
                        thread::spawn(move || serve(conn, &st));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FaultProxy { addr, state }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Delay added before forwarding each request.
    pub fn set_delay(&self, d: Duration) {
        *self.state.delay.lock().expect("lock") = d;
    }

    /// Applies `fault` to the next `count` requests (`None`: to all, until cleared).
    pub fn arm(&self, fault: Fault, count: Option<u64>) {
        *self.state.armed.lock().expect("lock") = Armed {
            fault: Some(fault),
            remaining: count,
        };
    }

    /// Back to forwarding faithfully.
    pub fn clear(&self) {
        *self.state.armed.lock().expect("lock") = Armed::default();
    }

    /// Requests seen.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Requests that got a fault.
    pub fn faulted(&self) -> u64 {
        self.state.faulted.load(Ordering::SeqCst)
    }

    /// Bytes sent to clients (headers and bodies).
    pub fn bytes_down(&self) -> u64 {
        self.state.bytes_down.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
    }
}

fn take_fault(st: &State) -> Option<Fault> {
    let mut a = st.armed.lock().expect("lock");
    let f = a.fault?;
    match &mut a.remaining {
        Some(0) => {
            *a = Armed::default();
            None
        }
        Some(n) => {
            *n -= 1;
            Some(f)
        }
        None => Some(f),
    }
}

/// Reads one request head (up to the blank line); None at EOF.
fn read_head(conn: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
        if head.len() > 64 << 10 {
            return None;
        }
    }
    Some(head)
}

/// The head with `Connection: close` and, if asked, without `Range`.
fn rewrite(head: &[u8], strip_range: bool) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("connection:") || (strip_range && lower.starts_with("range:")) {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}

fn serve(mut conn: TcpStream, st: &State) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(120)));
    while let Some(head) = read_head(&mut conn) {
        st.requests.fetch_add(1, Ordering::SeqCst);
        let delay = *st.delay.lock().expect("lock");
        if !delay.is_zero() {
            thread::sleep(delay);
        }
        let fault = take_fault(st);
        if fault.is_some() {
            st.faulted.fetch_add(1, Ordering::SeqCst);
        }
        match fault {
            Some(Fault::Hang) => {
                while !st.stop.load(Ordering::SeqCst) {
                    thread::sleep(Duration::from_millis(50));
                }
                return;
            }
            Some(Fault::Drop) => {
                let _ = conn.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::Status(code)) => {
                let body = format!("HTTP/1.1 {code} Injected\r\nContent-Length: 0\r\n\r\n");
                st.bytes_down.fetch_add(body.len() as u64, Ordering::SeqCst);
                if conn.write_all(body.as_bytes()).is_err() {
                    return;
                }
                continue;
            }
            _ => {}
        }
        let strip = fault == Some(Fault::StripRange);
        if !forward(
            &mut conn,
            st,
            &rewrite(&head, strip),
            fault == Some(Fault::Truncate),
        ) {
            return;
        }
    }
}

/// Forwards one request. The client connection stays usable only when the upstream's answer
/// carried a Content-Length we relayed whole (a chunked or close-delimited body is relayed to
/// the upstream's end, then the connection closed). Returns whether to keep serving it.
fn forward(conn: &mut TcpStream, st: &State, head: &[u8], truncate: bool) -> bool {
    let Ok(mut up) = TcpStream::connect(st.upstream) else {
        let _ = conn.shutdown(Shutdown::Both);
        return false;
    };
    if up.write_all(head).is_err() {
        return false;
    }
    let is_head = head.starts_with(b"HEAD ");
    let mut buf = vec![0u8; 256 << 10];
    let mut seen = Vec::new();
    let mut headers_done = false;
    // Bytes to relay in all (headers and body), when known.
    let mut limit: Option<u64> = None;
    let mut sent = 0u64;
    loop {
        let n = match up.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut chunk = &buf[..n];
        if !headers_done {
            seen.extend_from_slice(chunk);
            if let Some(end) = find(&seen, b"\r\n\r\n") {
                headers_done = true;
                let headers = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
                let body_len = headers
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<u64>().ok());
                let head_len = end as u64 + 4;
                limit = match (is_head, body_len) {
                    (true, _) => Some(head_len),
                    (false, Some(len)) => Some(head_len + if truncate { len / 2 } else { len }),
                    (false, None) => None,
                };
            }
        }
        if let Some(l) = limit {
            let room = l.saturating_sub(sent) as usize;
            chunk = &chunk[..chunk.len().min(room)];
        }
        if conn.write_all(chunk).is_err() {
            return false;
        }
        sent += chunk.len() as u64;
        st.bytes_down
            .fetch_add(chunk.len() as u64, Ordering::SeqCst);
        if limit.is_some_and(|l| sent >= l) {
            break;
        }
    }
    if truncate || limit.is_none_or(|l| sent < l) {
        let _ = conn.shutdown(Shutdown::Both);
        return false;
    }
    true
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
