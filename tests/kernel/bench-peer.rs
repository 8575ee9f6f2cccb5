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
//! more threads each waiting (epoll) on a share of those listeners. Runs
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

/// epoll's entries (std has no epoll; the C library is linked anyway).
#[repr(C, packed)]
struct EpollEvent {
    events: u32,
    data: u64,
}

extern "C" {
    fn epoll_create1(flags: i32) -> i32;
    fn epoll_ctl(epfd: i32, op: i32, fd: i32, event: *mut EpollEvent) -> i32;
    fn epoll_wait(epfd: i32, events: *mut EpollEvent, n: i32, timeout: i32) -> i32;
}

/// Accepts on `ls` (non-blocking listeners) as they become ready: one
/// epoll set, so a wake-up costs what is ready, not what is listened on
/// (poll(2) over a thousand listeners per connection took more of the
/// guest than the checkers being measured).
fn serve_many(ls: Vec<TcpListener>) {
    use std::os::fd::AsRawFd;
    // SAFETY: plain system calls on descriptors this function owns; the
    // event buffers are live and correctly laid out
    let ep = unsafe { epoll_create1(0) };
    assert!(ep >= 0, "epoll_create1");
    for (i, l) in ls.iter().enumerate() {
        let mut ev = EpollEvent { events: 1, data: i as u64 };
        let r = unsafe { epoll_ctl(ep, 1, l.as_raw_fd(), &mut ev) };
        assert!(r == 0, "epoll_ctl");
    }
    let mut evs: Vec<EpollEvent> = (0..64).map(|_| EpollEvent { events: 0, data: 0 }).collect();
    loop {
        let n = unsafe { epoll_wait(ep, evs.as_mut_ptr(), evs.len() as i32, 1000) };
        for e in evs.iter().take(n.max(0) as usize) {
            let i = e.data as usize;
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
