//! `fault-proxy LISTEN UPSTREAM DELAY_MS`: the test kit's latency proxy as a program, for
//! benchmarks (tests/bench/bench-http.sh). Forwards 127.0.0.1:LISTEN to 127.0.0.1:UPSTREAM,
//! adding DELAY_MS per request; prints the bytes sent to clients when stdin closes.

use std::io::Read;
use std::net::SocketAddr;
use std::time::Duration;

use tests::http::FaultProxy;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: fault-proxy LISTEN_PORT UPSTREAM_PORT DELAY_MS");
        std::process::exit(2);
    }
    let port = |s: &str| s.parse::<u16>().unwrap_or_else(|_| panic!("bad port {s}"));
    let upstream = SocketAddr::from(([127, 0, 0, 1], port(&args[2])));
    let proxy = FaultProxy::start_on(upstream, &format!("127.0.0.1:{}", port(&args[1])));
    proxy.set_delay(Duration::from_millis(args[3].parse().unwrap_or(0)));
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    println!("requests {} bytes {}", proxy.requests(), proxy.bytes_down());
}
