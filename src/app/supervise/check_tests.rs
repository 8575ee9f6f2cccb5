//! Each check against a server of the test on loopback, with a control
//! that fails.

use super::*;
use crate::apply::health::{Health, Opts};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

fn health(check: CheckKind) -> Health {
    let mut h = Health::resolve(&Opts::default(), &Opts::default());
    h.check = check;
    h.timeout = Duration::from_millis(1500);
    h
}

fn target(rip: SocketAddr) -> Target {
    Target {
        vip: Some("192.0.2.1:80".parse().unwrap()),
        fwmark: 0,
        rip,
    }
}

/// A port on 127.0.0.1 where nothing listens.
pub(crate) fn closed_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// Reads a request head (to its blank line or the end).
pub(crate) async fn read_request<S: AsyncRead + Unpin>(s: &mut S) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 256];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Reads a request head; returns its Host header.
async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> String {
    let text = read_request(s).await;
    text.lines()
        .find_map(|l| l.strip_prefix("Host: "))
        .unwrap_or("")
        .to_string()
}

/// An HTTP server answering one request with `status`; sends the Host
/// header it got.
async fn http_server(addr: &str, status: u16) -> (SocketAddr, oneshot::Receiver<String>) {
    let l = TcpListener::bind(addr).await.unwrap();
    let a = l.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let host = read_head(&mut s).await;
        let _ = s
            .write_all(format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n").as_bytes())
            .await;
        let _ = tx.send(host);
    });
    (a, rx)
}

#[tokio::test]
async fn tcp_connect_and_a_closed_port() {
    let tls = tls_config();
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let o = run(
        &health(CheckKind::Tcp),
        &target(l.local_addr().unwrap()),
        &tls,
    )
    .await;
    assert_eq!((o.up, &*o.why), (true, "tcp connect ok"));
    let o = run(&health(CheckKind::Tcp), &target(closed_port()), &tls).await;
    assert_eq!((o.up, &*o.why), (false, "tcp connect: Connection refused"));
    // --health-port: the listener's port checked for a real server on another
    let mut h = health(CheckKind::Tcp);
    h.port = Some(l.local_addr().unwrap().port());
    assert!(run(&h, &target(closed_port()), &tls).await.up);
}

#[tokio::test]
async fn http_status_range_and_host() {
    let tls = tls_config();
    let (a, host) = http_server("127.0.0.1:0", 200).await;
    let o = run(&health(CheckKind::Http("/ping".into())), &target(a), &tls).await;
    assert_eq!((o.up, &*o.why), (true, "http status 200"));
    assert_eq!(host.await.unwrap(), a.to_string());

    let (a, _) = http_server("127.0.0.1:0", 503).await;
    let o = run(&health(CheckKind::Http("/".into())), &target(a), &tls).await;
    assert_eq!((o.up, &*o.why), (false, "http status 503"));

    // --expect 500-503 and --health-host, on IPv6 loopback
    let (a, host) = http_server("[::1]:0", 503).await;
    let mut h = health(CheckKind::Http("/".into()));
    h.expect = (500, 503);
    h.host = Some("www.example.org".into());
    let o = run(&h, &target(a), &tls).await;
    assert_eq!((o.up, &*o.why), (true, "http status 503"));
    assert_eq!(host.await.unwrap(), "www.example.org");

    // a server that accepts and says nothing: the timeout
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut h = health(CheckKind::Http("/".into()));
    h.timeout = Duration::from_millis(300);
    let o = run(&h, &target(l.local_addr().unwrap()), &tls).await;
    assert_eq!((o.up, &*o.why), (false, "http timed out after 0.3s"));
    assert!(o.latency >= Duration::from_millis(300));
}

/// A listener whose backlog is full and that never accepts: the next
/// connection attempt to its address gets no answer to its SYN. Keep the
/// first part (the listener and the connections that fill it).
pub(crate) async fn silent_listener() -> ((TcpListener, Vec<TcpStream>), SocketAddr) {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let l = sock.listen(1).unwrap();
    let a = l.local_addr().unwrap();
    let mut filled = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(c)) =
            tokio::time::timeout(Duration::from_millis(100), TcpStream::connect(a)).await
        {
            filled.push(c);
        }
    }
    ((l, filled), a)
}

#[tokio::test]
async fn the_timeout_applies_to_the_connection_and_to_the_answer_each() {
    let tls = tls_config();
    // (kept to the end: the listener and what fills it)
    let (_silent, a) = silent_listener().await;
    let mut h = health(CheckKind::Http("/".into()));
    h.timeout = Duration::from_millis(300);
    let o = run(&h, &target(a), &tls).await;
    assert_eq!(
        (o.up, &*o.why),
        (false, "http connect timed out after 0.3s")
    );
    // control: a server that accepts at once and answers after 200 ms:
    // the connection's time does not count against the answer's
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf).await;
                tokio::time::sleep(Duration::from_millis(200)).await;
                let _ = s.write_all(b"HTTP/1.0 200 OK\r\n\r\n").await;
            });
        }
    });
    let o = run(&h, &target(b), &tls).await;
    assert_eq!((o.up, &*o.why), (true, "http status 200"));
}

#[tokio::test]
async fn https_with_sni_and_a_plain_server_as_control() {
    let tls = tls_config();
    let provider = provider();
    let cert =
        rustls::pki_types::CertificateDer::from(include_bytes!("testdata/cert.der").to_vec());
    let key =
        rustls::pki_types::PrivateKeyDer::Pkcs8(include_bytes!("testdata/key.der").to_vec().into());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let mut tx = Some(tx);
        for status in [200u16, 404] {
            let (s, _) = l.accept().await.unwrap();
            let mut s = acceptor.accept(s).await.unwrap();
            let sni = s.get_ref().1.server_name().map(String::from);
            let host = read_head(&mut s).await;
            let _ = s
                .write_all(format!("HTTP/1.1 {status} X\r\n\r\n").as_bytes())
                .await;
            let _ = s.shutdown().await;
            if let Some(tx) = tx.take() {
                let _ = tx.send((sni, host));
            }
        }
    });
    let mut h = health(CheckKind::Https("/".into()));
    h.host = Some("www.example.org".into());
    let o = run(&h, &target(a), &tls).await;
    assert_eq!((o.up, &*o.why), (true, "https status 200"));
    let (sni, host) = rx.await.unwrap();
    assert_eq!(sni.as_deref(), Some("www.example.org"));
    assert_eq!(host, "www.example.org");
    let o = run(&h, &target(a), &tls).await;
    assert_eq!((o.up, &*o.why), (false, "https status 404"));
    // control: a plain HTTP server (answering at once) fails the handshake
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await;
        let _ = s.shutdown().await;
    });
    let o = run(&h, &target(a), &tls).await;
    assert!(!o.up);
    assert!(o.why.starts_with("https handshake: "), "{}", o.why);
}

/// A DNS server answering each query with `rcode` (None: never answers).
async fn dns_server(rcode: Option<u8>) -> (SocketAddr, oneshot::Receiver<Vec<u8>>) {
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let a = s.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let mut buf = [0u8; 512];
        let (n, from) = s.recv_from(&mut buf).await.unwrap();
        let q = buf[..n].to_vec();
        if let Some(rc) = rcode {
            // first a stray datagram with another id, to be ignored
            let mut stray = q.clone();
            stray[0] ^= 0xff;
            stray[2] |= 0x80;
            stray[3] = 0x02;
            let _ = s.send_to(&stray, from).await;
            let mut r = q.clone();
            r[2] |= 0x80;
            r[3] = 0x80 | rc;
            let _ = s.send_to(&r, from).await;
        }
        let _ = tx.send(q);
    });
    (a, rx)
}

#[tokio::test]
async fn dns_noerror_nxdomain_and_silence() {
    let tls = tls_config();
    let (a, q) = dns_server(Some(0)).await;
    let o = run(
        &health(CheckKind::Dns("www.example.org".into())),
        &target(a),
        &tls,
    )
    .await;
    assert_eq!((o.up, &*o.why), (true, "dns NOERROR"));
    let q = q.await.unwrap();
    assert_eq!(&q[2..], &dns_query(0, "www.example.org")[2..]);
    assert_eq!(
        &q[12..],
        b"\x03www\x07example\x03org\x00\x00\x01\x00\x01".as_slice()
    );
    let (a, _) = dns_server(Some(3)).await;
    let o = run(
        &health(CheckKind::Dns("www.example.org".into())),
        &target(a),
        &tls,
    )
    .await;
    assert_eq!((o.up, &*o.why), (false, "dns NXDOMAIN"));
    let (a, _) = dns_server(None).await;
    let mut h = health(CheckKind::Dns("www.example.org".into()));
    h.timeout = Duration::from_millis(200);
    let o = run(&h, &target(a), &tls).await;
    assert_eq!((o.up, &*o.why), (false, "dns timed out after 0.2s"));
}

fn script(name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let p = std::env::temp_dir().join(format!("lvsadm-check-{}-{name}", std::process::id()));
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.to_str().unwrap().to_string()
}

#[tokio::test]
async fn exec_exit_status_arguments_and_kill_at_timeout() {
    let tls = tls_config();
    let out = std::env::temp_dir().join(format!("lvsadm-check-{}-args", std::process::id()));
    let ok = script("ok", &format!("echo \"$@\" > {}\nexit 0", out.display()));
    let t = target("127.0.0.1:8080".parse().unwrap());
    let o = run(&health(CheckKind::Exec(ok.clone())), &t, &tls).await;
    assert_eq!((o.up, &*o.why), (true, "exec exit status 0"));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "192.0.2.1 80 127.0.0.1 8080\n"
    );
    let fail = script("fail", "exit 1");
    let o = run(&health(CheckKind::Exec(fail.clone())), &t, &tls).await;
    assert_eq!((o.up, &*o.why), (false, "exec exit status 1"));
    // a program that outlives the timeout is killed with its children
    let pidfile = std::env::temp_dir().join(format!("lvsadm-check-{}-pid", std::process::id()));
    let slow = script(
        "slow",
        &format!("sleep 30 &\necho $! > {}\nwait", pidfile.display()),
    );
    let mut h = health(CheckKind::Exec(slow.clone()));
    h.timeout = Duration::from_millis(500);
    let o = run(&h, &t, &tls).await;
    assert_eq!((o.up, &*o.why), (false, "exec timed out after 0.5s"));
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let proc_dir = format!("/proc/{}", pid.trim());
    let mut gone = false;
    for _ in 0..50 {
        // a killed child not yet reaped by init shows as a zombie
        let state = std::fs::read_to_string(format!("{proc_dir}/stat")).unwrap_or_default();
        if state.is_empty() || state.contains(") Z ") {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gone, "the check's child {pid} still runs");
    let o = run(
        &health(CheckKind::Exec("/nonexistent/check".into())),
        &t,
        &tls,
    )
    .await;
    assert_eq!(
        (o.up, &*o.why),
        (false, "exec /nonexistent/check: No such file or directory")
    );
    for f in [ok, fail, slow] {
        let _ = std::fs::remove_file(f);
    }
    let _ = std::fs::remove_file(out);
    let _ = std::fs::remove_file(pidfile);
}

#[tokio::test]
async fn agent_replies_and_an_unreachable_agent() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    tokio::spawn(async move {
        for reply in ["50%\n", "drain # going away\n", "up ready 100%"] {
            let (mut s, _) = l.accept().await.unwrap();
            let _ = s.write_all(reply.as_bytes()).await;
        }
    });
    let t = Duration::from_secs(1);
    assert_eq!(
        ask_agent(a.ip(), a.port(), t).await.unwrap().percent,
        Some(50)
    );
    let r = ask_agent(a.ip(), a.port(), t).await.unwrap();
    assert_eq!(r.admin, Some(agent::Admin::Drain));
    assert_eq!(r.note.as_deref(), Some("going away"));
    let r = ask_agent(a.ip(), a.port(), t).await.unwrap();
    assert_eq!((r.up, r.percent), (Some(true), Some(100)));
    let c = closed_port();
    assert_eq!(
        ask_agent(c.ip(), c.port(), t).await,
        Err("agent connect: Connection refused".into())
    );
}

#[tokio::test]
async fn four_hundred_checks_run_concurrently() {
    // one listener that accepts and never answers, and http checks with a
    // 1 s timeout: run one after the other they would take 400 s (400
    // checks keep 800 descriptors open, under the usual limit of 1024)
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    let tls = tls_config();
    let mut h = health(CheckKind::Http("/".into()));
    h.timeout = Duration::from_secs(1);
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..400 {
        let (h, tls) = (h.clone(), tls.clone());
        set.spawn(async move { run(&h, &target(a), &tls).await });
    }
    let mut timed_out = 0;
    while let Some(o) = set.join_next().await {
        // beyond the listener's backlog the connection itself times out
        let why = o.unwrap().why;
        if why == "http timed out after 1s" || why == "http connect timed out after 1s" {
            timed_out += 1;
        }
    }
    assert_eq!(timed_out, 400);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
}

/// What the server of a check reads after it: `reset` when the check's
/// connection was reset, `eof` when it was closed normally.
async fn server_sees(l: TcpListener, answer: &'static [u8]) -> &'static str {
    let (mut s, _) = l.accept().await.unwrap();
    if !answer.is_empty() {
        read_head(&mut s).await;
        s.write_all(answer).await.unwrap();
    }
    let mut buf = [0u8; 64];
    loop {
        match s.read(&mut buf).await {
            Ok(0) => return "eof",
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return "reset",
            Err(_) => return "error",
        }
    }
}

/// The checks that close with a reset, and their server's answer.
pub(crate) fn reset_cases() -> [(CheckKind, &'static [u8]); 2] {
    [
        (CheckKind::Tcp, b""),
        (
            CheckKind::Http("/".into()),
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nnot all of it",
        ),
    ]
}

/// A server for one check that answers `answer` and then says how the
/// connection ended ([`server_sees`]).
pub(crate) async fn seeing_server(
    answer: &'static [u8],
) -> (SocketAddr, tokio::task::JoinHandle<&'static str>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    (addr, tokio::spawn(server_sees(l, answer)))
}

#[tokio::test]
async fn a_check_closes_its_connection_with_a_reset() {
    let tls = tls_config();
    // tcp and http: the server sees a reset (no FIN exchange, no
    // TIME_WAIT on the director's side)
    for (check, answer) in reset_cases() {
        let (addr, seen) = seeing_server(answer).await;
        let o = run(&health(check.clone()), &target(addr), &tls).await;
        assert!(o.up, "{check:?}: {}", o.why);
        assert_eq!(seen.await.unwrap(), "reset", "{check:?}");
    }
    // control: a client that closes normally is seen as an end of file
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let seen = tokio::spawn(server_sees(l, b""));
    drop(TcpStream::connect(addr).await.unwrap());
    assert_eq!(seen.await.unwrap(), "eof");
}

#[test]
fn a_tcp_check_task_is_small() {
    // the task of every check is as large as the check's future: the
    // https branch, boxed, does not make a tcp check's task 6 KB
    let tls = tls_config();
    let h = health(CheckKind::Tcp);
    let t = target(closed_port());
    let f = run(&h, &t, &tls);
    assert!(
        std::mem::size_of_val(&f) < 1024,
        "{}",
        std::mem::size_of_val(&f)
    );
}

/// A loop that reaches completed connections only after the checks'
/// timeout (a director too busy to keep up) still counts them as made:
/// the socket says so. The runtime takes 8 readiness events a turn here
/// (1 024 in the supervisor's), so most of the 64 connections completed
/// while the loop was blocked are not seen before their timers fire.
/// Control: connections that really get no answer, with the loop as late,
/// are timeouts.
#[test]
fn a_late_loop_does_not_turn_made_connections_into_timeouts() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_io_events_per_tick(8)
        .build()
        .unwrap();
    rt.block_on(async {
        let tls = Arc::new(tls_config());
        let mut h = health(CheckKind::Tcp);
        h.timeout = Duration::from_millis(200);
        // a listener the kernel completes connections for (never accepted)
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let l = sock.listen(256).unwrap();
        let up = l.local_addr().unwrap();
        // one whose backlog is full: SYNs to it are dropped
        let (_full, silent) = silent_listener().await;
        for (addr, n, want_up) in [(up, 64, true), (silent, 4, false)] {
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let (h2, tls2) = (h.clone(), tls.clone());
                    tokio::spawn(async move { run(&h2, &target(addr), &tls2).await })
                })
                .collect();
            // the checks start their connections, then the loop is
            // blocked for three times the timeout
            tokio::task::yield_now().await;
            std::thread::sleep(Duration::from_millis(600));
            for t in tasks {
                let o = t.await.unwrap();
                assert_eq!(o.up, want_up, "{addr}: {}", o.why);
                if !want_up {
                    assert_eq!(o.why, "tcp connect timed out after 0.2s");
                }
            }
        }
    });
}
