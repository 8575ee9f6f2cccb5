//! tests/kernel/bench-peer: the real servers of tests/kernel/bench-health
//! (busybox's servers fork per connection: far too slow for 10 000 checks
//! a second under TCG). Compiled by tests/kernel/bench-health with rustc;
//! std only.
//!
//! usage: bench-peer ADDR:PORT THREADS [COUNT-FILE]
//!
//! Listens on ADDR:PORT; THREADS threads accept connections. A connection
//! that sends a request (up to its blank line, or 2 s) gets
//! `HTTP/1.0 200 OK` with the body `ok`; one closed at once (a TCP check)
//! is closed. With COUNT-FILE, the number of connections accepted so far
//! is written there (replaced whole) every 100 ms: the checks a checker
//! really made. Runs until killed.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static ACCEPTED: AtomicU64 = AtomicU64::new(0);

fn serve(mut s: TcpStream) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 2048];
    let mut got = 0;
    loop {
        match s.read(&mut buf[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                got += n;
                if buf[..got].windows(4).any(|w| w == b"\r\n\r\n") || got == buf.len() {
                    let _ = s.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
                    break;
                }
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 && args.len() != 4 {
        eprintln!("usage: bench-peer ADDR:PORT THREADS [COUNT-FILE]");
        std::process::exit(2);
    }
    let threads: usize = args[2].parse().unwrap_or(1).max(1);
    let l = match TcpListener::bind(&args[1]) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bench-peer: {}: {e}", args[1]);
            std::process::exit(1);
        }
    };
    let mut hs = Vec::new();
    for _ in 0..threads {
        let l = l.try_clone().expect("listener clone");
        hs.push(std::thread::spawn(move || {
            for c in l.incoming().flatten() {
                ACCEPTED.fetch_add(1, Ordering::Relaxed);
                serve(c);
            }
        }));
    }
    if let Some(f) = args.get(3).cloned() {
        hs.push(std::thread::spawn(move || {
            let tmp = format!("{f}.tmp");
            loop {
                let n = ACCEPTED.load(Ordering::Relaxed);
                if std::fs::write(&tmp, format!("{n}\n")).is_ok() {
                    let _ = std::fs::rename(&tmp, &f);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }));
    }
    for h in hs {
        let _ = h.join();
    }
}
