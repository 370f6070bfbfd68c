//! A real nginx for tests: one process (`master_process off`, so killing it kills the server),
//! serving a directory on 127.0.0.1 over http and https (certificate from [`super::tls`]),
//! with a generated config in a scratch directory. Byte ranges, `If-Match` and
//! `If-Unmodified-Since` are nginx's own (static files). `/private/` needs HTTP Basic
//! credentials ([`USER`], [`PASSWORD`]); `/bearer/` needs `Authorization: Bearer` [`TOKEN`].

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::tls::{make_ca_and_server_cert, TlsFiles};
use crate::process::require_tools;

/// The user `/private/` accepts.
pub const USER: &str = "deployer";
/// Their password.
pub const PASSWORD: &str = "pw-Zq81-secret";
/// The token `/bearer/` accepts.
pub const TOKEN: &str = "tok-7Hc2-secret";

/// A running nginx; killed on drop.
#[derive(Debug)]
pub struct Nginx {
    dir: PathBuf,
    root: PathBuf,
    http_port: u16,
    https_port: u16,
    tls: TlsFiles,
    child: Option<Child>,
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Nginx {
    /// Starts nginx serving `root` (files or symlinks to them), with its config, logs and TLS
    /// files in `dir`. Panics (naming the package) if nginx or openssl is missing.
    pub fn start(dir: &Path, root: &Path) -> Nginx {
        require_tools(&["nginx", "openssl"]);
        std::fs::create_dir_all(dir.join("tmp")).expect("nginx dir");
        let tls = make_ca_and_server_cert(&dir.join("tls"));
        let mut n = Nginx {
            dir: dir.to_path_buf(),
            root: root.to_path_buf(),
            http_port: free_port(),
            https_port: free_port(),
            tls,
            child: None,
        };
        n.spawn();
        n
    }

    fn spawn(&mut self) {
        let d = self.dir.display();
        let hash = Command::new("openssl")
            .args(["passwd", "-apr1", PASSWORD])
            .output()
            .expect("openssl passwd");
        let hash = String::from_utf8_lossy(&hash.stdout).trim().to_string();
        std::fs::write(self.dir.join("htpasswd"), format!("{USER}:{hash}\n")).expect("htpasswd");
        let locations = format!(
            "location /private/ {{ auth_basic \"test\"; auth_basic_user_file {d}/htpasswd; }}\n\
             location /bearer/ {{ if ($http_authorization != \"Bearer {TOKEN}\") {{ return 401; }} }}"
        );
        let conf = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log;\nevents {{ worker_connections 512; }}\n\
             http {{\n  access_log {d}/access.log;\n  sendfile on;\n  keepalive_requests 10000;\n\
               client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp;\n\
               uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;\n  types {{ }}\n\
               default_type application/octet-stream;\n  open_file_cache off;\n\
               server {{ listen 127.0.0.1:{hp}; root {root};\n{locations} }}\n\
               server {{ listen 127.0.0.1:{sp} ssl; root {root};\n\
                 ssl_certificate {cert}; ssl_certificate_key {key};\n{locations} }}\n}}\n",
            hp = self.http_port,
            sp = self.https_port,
            root = self.root.display(),
            cert = self.tls.cert_pem.display(),
            key = self.tls.key_pem.display(),
        );
        let conf_path = self.dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("write nginx.conf");
        let child = Command::new("nginx")
            .arg("-e")
            .arg(self.dir.join("error.log"))
            .arg("-p")
            .arg(&self.dir)
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nginx (Debian: apt-get install nginx)");
        self.child = Some(child);
        let start = Instant::now();
        while TcpStream::connect(self.http_addr()).is_err()
            || TcpStream::connect(("127.0.0.1", self.https_port)).is_err()
        {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                let log = std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default();
                panic!("nginx exited ({status}): {log}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "nginx did not start listening"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server (SIGKILL): connections drop, new ones are refused.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same ports.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// The http address (for a proxy in front).
    pub fn http_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.http_port))
    }

    /// `http://127.0.0.1:PORT/NAME`.
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.http_port)
    }

    /// `https://127.0.0.1:PORT/NAME`.
    pub fn https_url(&self, name: &str) -> String {
        format!("https://127.0.0.1:{}/{name}", self.https_port)
    }

    /// The CA certificate clients must trust for https.
    pub fn ca_pem(&self) -> &Path {
        &self.tls.ca_pem
    }

    /// The served directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The access log (one line per request).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.kill();
    }
}
