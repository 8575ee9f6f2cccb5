// tests/kernel/proto-peer.rs: the servers and clients of tests/kernel/e2e-proto.sh
// (built on the host with rustc by tests/kernel/e2e-proto, no crates).
//
//   proto-peer serve NAME SPEC...
//       SPEC is tcp:ADDR:PORT, udp:ADDR:PORT or sctp:ADDR:PORT (IPv6 as
//       [ADDR]:PORT). Listens on each; answers every TCP connection, SCTP
//       association and UDP datagram with NAME and a newline (UDP from the
//       address the datagram was sent to, since the socket is bound to it).
//       Prints "ready" once every socket is bound; runs until killed.
//   proto-peer ask PROTO ADDR:PORT N [--from IP] [--one-port] [--timeout MS]
//                  [--interval MS]
//       N requests (TCP connections, SCTP associations or UDP datagrams,
//       each UDP datagram from its own source port unless --one-port) and
//       prints one line "NAME=COUNT ... none=K badsrc=J": how many answers
//       each server gave, how many requests got none, how many UDP answers
//       came from another address than ADDR:PORT, and seq=... the answers in
//       order (the last character of each server's name, '.' for none, 'x'
//       for a wrong source). --interval: a pause between requests.
//
// SCTP has no std API: its sockets are made with the C library's socket
// calls (the only unsafe code here, a test program outside the lvsadm crates).
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::FromRawFd;
use std::process::exit;
use std::thread;
use std::time::Duration;

mod sys {
    extern "C" {
        pub fn socket(domain: i32, ty: i32, proto: i32) -> i32;
        pub fn bind(fd: i32, addr: *const u8, len: u32) -> i32;
        pub fn listen(fd: i32, backlog: i32) -> i32;
        pub fn accept(fd: i32, addr: *mut u8, len: *mut u32) -> i32;
        pub fn connect(fd: i32, addr: *const u8, len: u32) -> i32;
        pub fn setsockopt(fd: i32, level: i32, name: i32, val: *const u8, len: u32) -> i32;
        pub fn close(fd: i32) -> i32;
    }
}
const AF_INET: i32 = 2;
const AF_INET6: i32 = 10;
const SOCK_STREAM: i32 = 1;
const IPPROTO_SCTP: i32 = 132;
const SOL_SOCKET: i32 = 1;
const SO_REUSEADDR: i32 = 2;
const SO_RCVTIMEO: i32 = 20;
const SO_SNDTIMEO: i32 = 21;

/// struct sockaddr_in / sockaddr_in6 as bytes
fn sockaddr(a: &SocketAddr) -> (i32, Vec<u8>) {
    let mut b = Vec::new();
    match a.ip() {
        IpAddr::V4(ip) => {
            b.extend_from_slice(&(AF_INET as u16).to_ne_bytes());
            b.extend_from_slice(&a.port().to_be_bytes());
            b.extend_from_slice(&ip.octets());
            b.extend_from_slice(&[0; 8]);
            (AF_INET, b)
        }
        IpAddr::V6(ip) => {
            b.extend_from_slice(&(AF_INET6 as u16).to_ne_bytes());
            b.extend_from_slice(&a.port().to_be_bytes());
            b.extend_from_slice(&[0; 4]);
            b.extend_from_slice(&ip.octets());
            b.extend_from_slice(&[0; 4]);
            (AF_INET6, b)
        }
    }
}

/// a new SCTP one-to-one socket for ADDR's family (-1 on error)
fn sctp_socket(a: &SocketAddr) -> (i32, Vec<u8>) {
    let (fam, sa) = sockaddr(a);
    // SAFETY: plain system call with constant arguments
    let fd = unsafe { sys::socket(fam, SOCK_STREAM, IPPROTO_SCTP) };
    (fd, sa)
}

fn set_opt(fd: i32, name: i32, val: &[u8]) {
    // SAFETY: val is a live buffer of the given length
    unsafe { sys::setsockopt(fd, SOL_SOCKET, name, val.as_ptr(), val.len() as u32) };
}

fn timeval(ms: u64) -> Vec<u8> {
    let mut v = ((ms / 1000) as i64).to_ne_bytes().to_vec();
    v.extend_from_slice(&(((ms % 1000) * 1000) as i64).to_ne_bytes());
    v
}

fn die(msg: String) -> ! {
    eprintln!("proto-peer: {msg}");
    exit(1)
}

fn parse_addr(s: &str) -> SocketAddr {
    s.parse()
        .unwrap_or_else(|_| die(format!("bad address {s}")))
}

fn serve(name: String, specs: &[String]) {
    let reply = format!("{name}\n").into_bytes();
    let mut handles = Vec::new();
    for spec in specs {
        let (proto, addr) = spec
            .split_once(':')
            .unwrap_or_else(|| die(format!("bad spec {spec}")));
        let addr = parse_addr(addr);
        let reply = reply.clone();
        match proto {
            "tcp" => {
                let l = TcpListener::bind(addr)
                    .unwrap_or_else(|e| die(format!("bind tcp {addr}: {e}")));
                handles.push(thread::spawn(move || {
                    for s in l.incoming().flatten() {
                        let mut s = s;
                        let _ = s.write_all(&reply);
                    }
                }));
            }
            "udp" => {
                let s =
                    UdpSocket::bind(addr).unwrap_or_else(|e| die(format!("bind udp {addr}: {e}")));
                handles.push(thread::spawn(move || {
                    let mut buf = [0u8; 1500];
                    loop {
                        if let Ok((_, from)) = s.recv_from(&mut buf) {
                            let _ = s.send_to(&reply, from);
                        }
                    }
                }));
            }
            "sctp" => {
                let (fd, sa) = sctp_socket(&addr);
                if fd < 0 {
                    die(format!("sctp socket: {}", std::io::Error::last_os_error()));
                }
                set_opt(fd, SO_REUSEADDR, &1i32.to_ne_bytes());
                // SAFETY: sa is a sockaddr of its own length; fd is ours
                if unsafe { sys::bind(fd, sa.as_ptr(), sa.len() as u32) } != 0
                    || unsafe { sys::listen(fd, 64) } != 0
                {
                    die(format!(
                        "bind sctp {addr}: {}",
                        std::io::Error::last_os_error()
                    ));
                }
                handles.push(thread::spawn(move || loop {
                    // SAFETY: accept without the peer's address
                    let c = unsafe { sys::accept(fd, std::ptr::null_mut(), std::ptr::null_mut()) };
                    if c < 0 {
                        continue;
                    }
                    // SAFETY: c is a new descriptor that nothing else owns
                    let mut f = unsafe { File::from_raw_fd(c) };
                    let _ = f.write_all(&reply);
                }));
            }
            _ => die(format!("unknown protocol {proto}")),
        }
    }
    println!("ready");
    let _ = std::io::stdout().flush();
    for h in handles {
        let _ = h.join();
    }
}

fn first_line(b: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(b);
    let l = s.lines().next()?.trim().to_string();
    if l.is_empty() {
        None
    } else {
        Some(l)
    }
}

fn ask_tcp(a: &SocketAddr, t: Duration) -> Option<String> {
    let mut s = TcpStream::connect_timeout(a, t).ok()?;
    s.set_read_timeout(Some(t)).ok()?;
    let mut b = Vec::new();
    let _ = s.read_to_end(&mut b);
    first_line(&b)
}

fn ask_sctp(a: &SocketAddr, ms: u64) -> Option<String> {
    let (fd, sa) = sctp_socket(a);
    if fd < 0 {
        die(format!("sctp socket: {}", std::io::Error::last_os_error()));
    }
    set_opt(fd, SO_SNDTIMEO, &timeval(ms));
    set_opt(fd, SO_RCVTIMEO, &timeval(ms));
    // SAFETY: sa is a sockaddr of its own length; fd is ours
    if unsafe { sys::connect(fd, sa.as_ptr(), sa.len() as u32) } != 0 {
        // SAFETY: fd is ours and not used after
        unsafe { sys::close(fd) };
        return None;
    }
    // SAFETY: fd is ours; the File closes it
    let mut f = unsafe { File::from_raw_fd(fd) };
    let mut b = Vec::new();
    let _ = f.read_to_end(&mut b);
    first_line(&b)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") if args.len() >= 3 => serve(args[1].clone(), &args[2..]),
        Some("ask") if args.len() >= 4 => {
            let proto = args[1].as_str();
            let addr = parse_addr(&args[2]);
            let n: usize = args[3]
                .parse()
                .unwrap_or_else(|_| die(format!("bad count {}", args[3])));
            let (mut from, mut one_port, mut ms) = (None, false, 2000u64);
            let (mut interval, mut seq) = (0u64, String::new());
            let mut i = 4;
            while i < args.len() {
                match args[i].as_str() {
                    "--from" if i + 1 < args.len() => {
                        from = Some(
                            args[i + 1]
                                .parse::<IpAddr>()
                                .unwrap_or_else(|_| die(format!("bad --from {}", args[i + 1]))),
                        );
                        i += 2;
                    }
                    "--timeout" if i + 1 < args.len() => {
                        ms = args[i + 1]
                            .parse()
                            .unwrap_or_else(|_| die(format!("bad --timeout {}", args[i + 1])));
                        i += 2;
                    }
                    "--interval" if i + 1 < args.len() => {
                        interval = args[i + 1]
                            .parse()
                            .unwrap_or_else(|_| die(format!("bad --interval {}", args[i + 1])));
                        i += 2;
                    }
                    "--one-port" => {
                        one_port = true;
                        i += 1;
                    }
                    a => die(format!("unknown argument {a}")),
                }
            }
            let t = Duration::from_millis(ms);
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            let (mut none, mut badsrc) = (0, 0);
            // UDP sockets stay open until the end: every request has its own port
            let mut socks: Vec<UdpSocket> = Vec::new();
            for _ in 0..n {
                let got = match proto {
                    "tcp" => ask_tcp(&addr, t),
                    "sctp" => ask_sctp(&addr, ms),
                    "udp" => {
                        if !one_port || socks.is_empty() {
                            let local = from.unwrap_or(match addr {
                                SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                                SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                            });
                            let s = UdpSocket::bind(SocketAddr::new(local, 0))
                                .unwrap_or_else(|e| die(format!("bind {local}: {e}")));
                            s.set_read_timeout(Some(t))
                                .unwrap_or_else(|e| die(format!("timeout: {e}")));
                            socks.push(s);
                        }
                        let s = socks.last().unwrap();
                        let mut buf = [0u8; 1500];
                        if s.send_to(b"query\n", addr).is_err() {
                            None
                        } else {
                            match s.recv_from(&mut buf) {
                                Ok((len, src)) if src == addr => first_line(&buf[..len]),
                                Ok(_) => {
                                    badsrc += 1;
                                    seq.push('x');
                                    continue;
                                }
                                Err(_) => None,
                            }
                        }
                    }
                    p => die(format!("unknown protocol {p}")),
                };
                // the sequence: each answer's last character, '.' for none
                seq.push(got.as_ref().and_then(|n| n.chars().last()).unwrap_or('.'));
                match got {
                    Some(name) => *seen.entry(name).or_default() += 1,
                    None => none += 1,
                }
                if interval > 0 {
                    thread::sleep(Duration::from_millis(interval));
                }
            }
            let mut line: Vec<String> = seen.iter().map(|(k, v)| format!("{k}={v}")).collect();
            line.push(format!("none={none}"));
            line.push(format!("badsrc={badsrc}"));
            line.push(format!("seq={seq}"));
            println!("{}", line.join(" "));
        }
        _ => {
            eprintln!("usage: proto-peer serve NAME tcp|udp|sctp:ADDR:PORT...\n       proto-peer ask tcp|udp|sctp ADDR:PORT N [--from IP] [--one-port] [--timeout MS] [--interval MS]");
            exit(2)
        }
    }
}
