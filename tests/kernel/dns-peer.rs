//! tests/kernel/dns-peer: a tiny DNS responder for the dns checks of
//! tests/kernel/supervise.sh (the guest's busybox has no dnsd). Compiled
//! by tests/kernel/supervise with rustc; std only.
//!
//! usage: dns-peer ADDR:PORT NAME
//!
//! Answers each query on ADDR:PORT (UDP): NOERROR with the question when
//! it asks for NAME (any type, case-insensitive), NXDOMAIN otherwise.
//! Runs until killed.

use std::net::UdpSocket;

/// The question's name, dotted and lower-case, and where the question
/// section ends (name, type, class).
fn question(q: &[u8]) -> Option<(String, usize)> {
    let mut i = 12;
    let mut labels = Vec::new();
    loop {
        let n = *q.get(i)? as usize;
        i += 1;
        if n == 0 {
            break;
        }
        if n > 63 {
            return None;
        }
        labels.push(String::from_utf8_lossy(q.get(i..i + n)?).to_ascii_lowercase());
        i += n;
    }
    let end = i + 4;
    (end <= q.len()).then(|| (labels.join("."), end))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: dns-peer ADDR:PORT NAME");
        std::process::exit(2);
    }
    let want = args[2].trim_end_matches('.').to_ascii_lowercase();
    let sock = match UdpSocket::bind(&args[1]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dns-peer: {}: {e}", args[1]);
            std::process::exit(1);
        }
    };
    let mut buf = [0u8; 512];
    loop {
        let Ok((n, from)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let q = &buf[..n];
        let Some((name, end)) = question(q) else {
            continue;
        };
        let mut r = Vec::with_capacity(end);
        r.extend_from_slice(&q[..2]); // the id
        let rcode = if name == want { 0 } else { 3 };
        r.push(0x80 | (q[2] & 0x01)); // QR, RD copied
        r.push(0x80 | rcode); // RA, RCODE
        r.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // one question
        r.extend_from_slice(&q[12..end]);
        let _ = sock.send_to(&r, from);
    }
}
