//! tests/kernel/bench-peer: the real servers of tests/kernel/bench-health
//! (busybox's servers fork per connection: far too slow for 10 000 checks
//! a second under TCG). Compiled by tests/kernel/bench-health with rustc;
//! std only.
//!
//! usage: bench-peer ADDR:PORT THREADS [COUNT-FILE [FIRST-LAST]]
//!
//! Listens on ADDR:PORT; THREADS threads accept connections. A connection
//! that sends a request (up to its blank line, or 2 s) gets
//! `HTTP/1.0 200 OK` with the body `ok`; one closed at once (a TCP check)
//! is closed. With COUNT-FILE, the number of connections accepted so far
//! is written there (replaced whole) every 100 ms: the checks a checker
//! really made. With FIRST-LAST it also listens on every port of that
//! range (one per service, for checks that cannot be shared), THREADS
//! more threads each waiting (poll) on a share of those listeners. Runs
//! until killed.
//!
//! usage: bench-peer watch IPV4 N TIMEOUT-MS
//!
//! The detection clock, the same for every checker: reads the kernel's
//! table (/proc/net/ip_vs of its network namespace) every 5 ms from its
//! start, until none of the N entries of real server IPV4 has a weight
//! above 0 or TIMEOUT-MS have passed; prints `FIRST ALL`, the guest's
//! uptime (/proc/uptime, 10 ms steps, the clock a shell reads too) when
//! the first and when the last of them was seen at 0 (-1: not seen).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static ACCEPTED: AtomicU64 = AtomicU64::new(0);

/// poll(2)'s entry (std has no poll; the C library is linked anyway).
#[repr(C)]
struct PollFd {
    fd: i32,
    events: i16,
    revents: i16,
}

extern "C" {
    fn poll(fds: *mut PollFd, n: u64, timeout: i32) -> i32;
}

/// Accepts on `ls` (non-blocking listeners) as they become ready.
fn serve_many(ls: Vec<TcpListener>) {
    use std::os::fd::AsRawFd;
    let mut fds: Vec<PollFd> = ls
        .iter()
        .map(|l| PollFd { fd: l.as_raw_fd(), events: 1, revents: 0 })
        .collect();
    loop {
        // SAFETY: fds is a live, correctly laid out array of fds.len() entries
        let n = unsafe { poll(fds.as_mut_ptr(), fds.len() as u64, 1000) };
        if n <= 0 {
            continue;
        }
        for (i, f) in fds.iter_mut().enumerate() {
            if f.revents == 0 {
                continue;
            }
            f.revents = 0;
            while let Ok((c, _)) = ls[i].accept() {
                ACCEPTED.fetch_add(1, Ordering::Relaxed);
                let _ = c.set_nonblocking(false);
                serve(c);
            }
        }
    }
}

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

/// The entries of real server `hex` (the proc table's address, e.g.
/// C6336414 for 198.51.100.20) whose weight is above 0, or None when the
/// table cannot be read.
fn up_rows(hex: &str) -> Option<usize> {
    let t = std::fs::read_to_string("/proc/net/ip_vs").ok()?;
    Some(
        t.lines()
            .filter(|l| {
                let mut f = l.split_whitespace();
                f.next() == Some("->")
                    && f.next().is_some_and(|a| a.starts_with(hex))
                    && f.nth(1).is_some_and(|w| w != "0")
            })
            .count(),
    )
}

fn watch(args: &[String]) {
    let ip: std::net::Ipv4Addr = args[2].parse().expect("IPV4");
    let n: usize = args[3].parse().expect("N");
    let limit = Duration::from_millis(args[4].parse().expect("TIMEOUT-MS"));
    let hex: String = ip.octets().iter().map(|o| format!("{o:02X}")).collect();
    let hex = format!("{hex}:");
    let uptime = || {
        std::fs::read_to_string("/proc/uptime")
            .ok()
            .and_then(|t| t.split_whitespace().next().map(str::to_string))
            .unwrap_or_else(|| "-1".into())
    };
    let t0 = std::time::Instant::now();
    let (mut first, mut all) = (String::from("-1"), String::from("-1"));
    while t0.elapsed() < limit {
        let up = up_rows(&hex).unwrap_or(n);
        if up < n && first == "-1" {
            first = uptime();
        }
        if up == 0 {
            all = uptime();
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    println!("{first} {all}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 5 && args[1] == "watch" {
        watch(&args);
        return;
    }
    if !(3..=5).contains(&args.len()) {
        eprintln!("usage: bench-peer ADDR:PORT THREADS [COUNT-FILE [FIRST-LAST]]");
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
    if let Some(range) = args.get(4) {
        let ip = args[1].rsplit_once(':').map(|(a, _)| a).unwrap_or("");
        let (a, b) = range.split_once('-').expect("FIRST-LAST");
        let (a, b): (u16, u16) = (a.parse().expect("FIRST"), b.parse().expect("LAST"));
        let mut ls: Vec<Vec<TcpListener>> = (0..threads).map(|_| Vec::new()).collect();
        for (i, port) in (a..=b).enumerate() {
            let l = TcpListener::bind(format!("{ip}:{port}")).unwrap_or_else(|e| {
                eprintln!("bench-peer: {ip}:{port}: {e}");
                std::process::exit(1)
            });
            l.set_nonblocking(true).expect("non-blocking listener");
            ls[i % threads].push(l);
        }
        for share in ls {
            hs.push(std::thread::spawn(move || serve_many(share)));
        }
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
