//! The engine against servers on loopback: each case's result compared
//! with what [`check::run`] says of the same server, and asserted.

use super::*;
use crate::app::supervise::check::tests::{
    closed_port, read_request, reset_cases, seeing_server, silent_listener,
};
use crate::app::supervise::check::Target;
use crate::apply::health::Opts;
use lvs::model::{Family, Protocol, ServiceKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub(crate) fn health(check: CheckKind, timeout_ms: u64) -> Health {
    let mut h = Health::resolve(&Opts::default(), &Opts::default());
    h.check = check;
    h.timeout = Duration::from_millis(timeout_ms);
    h
}

pub(crate) fn due(h: &Health, rip: SocketAddr, gen: u64) -> Due {
    let svc = ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: "192.0.2.1:80".parse().unwrap(),
    };
    Due {
        key: (svc, (Family::of(&rip.ip()), rip.ip(), rip.port())),
        gen,
        health: Arc::new(h.clone()),
        target: Target {
            vip: Some("192.0.2.1:80".parse().unwrap()),
            fwmark: 0,
            rip,
        },
        agent: false,
    }
}

/// Run the engine as the supervisor's loop does until `n` checks ended.
async fn drive(e: &mut Engine, set: &tokio::io::unix::AsyncFd<SetFd>, n: usize) -> Vec<Done> {
    let mut out = Vec::new();
    while out.len() < n {
        let next = e.next_deadline();
        let at = tokio::time::Instant::from_std(next.unwrap_or_else(Instant::now));
        tokio::select! {
            r = set.readable() => {
                let mut g = r.unwrap();
                e.ready(Instant::now(), &mut out);
                g.clear_ready();
            }
            _ = tokio::time::sleep_until(at), if next.is_some() => {
                let now = Instant::now();
                e.ready(now, &mut out);
                e.expire(now, &mut out);
            }
        }
    }
    out
}

/// The engine's result for one check of `h` on `rip`, and check::run's
/// for the same.
async fn both(h: &Health, rip: SocketAddr) -> (Outcome, Outcome) {
    let mut e = Engine::new().unwrap();
    let set = watched(e.watch().unwrap()).unwrap();
    let mine = match e.start(due(h, rip, 7), Instant::now()) {
        Some(d) => d,
        None => drive(&mut e, &set, 1).await.remove(0),
    };
    assert_eq!(mine.1, 7);
    assert_eq!(e.running(), 0);
    let theirs = check::run(h, &due(h, rip, 7).target, &check::tls_config()).await;
    (mine.2, theirs)
}

/// How a server treats each connection.
#[derive(Clone, Copy)]
enum Act {
    /// Reads the request, waits, writes the bytes.
    Answer(u64, &'static [u8]),
    /// Reads the request and closes.
    Close,
    /// Accepts and says nothing.
    Silent,
}

async fn server(addr: &str, act: Act) -> SocketAddr {
    let l = TcpListener::bind(addr).await.unwrap();
    let a = l.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut s, _)) = l.accept().await {
            match act {
                Act::Silent => held.push(s),
                _ => {
                    tokio::spawn(async move {
                        let mut buf = [0u8; 1024];
                        let _ = s.read(&mut buf).await;
                        if let Act::Answer(ms, bytes) = act {
                            tokio::time::sleep(Duration::from_millis(ms)).await;
                            let _ = s.write_all(bytes).await;
                            let _ = s.read(&mut buf).await;
                        }
                    });
                }
            }
        }
    });
    a
}

#[tokio::test]
async fn the_same_results_as_the_checks_futures() {
    let (_silent, silent) = silent_listener().await;
    let long_head: &'static [u8] = Box::leak(vec![b'x'; 5000].into_boxed_slice());
    let http = |p: &str| CheckKind::Http(p.into());
    let cases: Vec<(CheckKind, SocketAddr, bool, &str)> = vec![
        (
            CheckKind::Tcp,
            server("127.0.0.1:0", Act::Silent).await,
            true,
            "tcp connect ok",
        ),
        (
            CheckKind::Tcp,
            closed_port(),
            false,
            "tcp connect: Connection refused",
        ),
        (
            CheckKind::Tcp,
            silent,
            false,
            "tcp connect timed out after 0.3s",
        ),
        (
            http("/"),
            server("127.0.0.1:0", Act::Answer(0, b"HTTP/1.1 200 OK\r\n\r\n")).await,
            true,
            "http status 200",
        ),
        (
            http("/"),
            server("[::1]:0", Act::Answer(0, b"HTTP/1.0 503 Busy\r\n\r\n")).await,
            false,
            "http status 503",
        ),
        // the answer's time counts from the connection, not the start
        (
            http("/"),
            server("127.0.0.1:0", Act::Answer(200, b"HTTP/1.1 204 No\r\n\r\n")).await,
            true,
            "http status 204",
        ),
        (
            http("/"),
            silent,
            false,
            "http connect timed out after 0.3s",
        ),
        (
            http("/"),
            server("127.0.0.1:0", Act::Silent).await,
            false,
            "http timed out after 0.3s",
        ),
        (
            http("/"),
            server("127.0.0.1:0", Act::Close).await,
            false,
            "http: connection closed before a status line",
        ),
        (
            http("/"),
            server("127.0.0.1:0", Act::Answer(0, b"SSH-2.0-OpenSSH\r\n")).await,
            false,
            "http: not an HTTP status line",
        ),
        (
            http("/"),
            server("127.0.0.1:0", Act::Answer(0, long_head)).await,
            false,
            "http: no status line in the first 4096 bytes",
        ),
        (
            http("/"),
            closed_port(),
            false,
            "http connect: Connection refused",
        ),
    ];
    for (check, addr, up, why) in cases {
        let h = health(check.clone(), 300);
        let (mine, theirs) = both(&h, addr).await;
        assert_eq!((mine.up, &*mine.why), (up, why), "{check:?} {addr}");
        assert_eq!(
            (mine.up, &mine.why),
            (theirs.up, &theirs.why),
            "{check:?} {addr}"
        );
        if why.contains("timed out") {
            assert!(mine.latency >= h.timeout, "{:?}", mine.latency);
        }
    }
}

#[tokio::test]
async fn the_request_has_the_path_and_host() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    let got = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let req = read_request(&mut s).await;
        s.write_all(b"HTTP/1.1 302 Found\r\n\r\n").await.unwrap();
        req
    });
    let mut h = health(CheckKind::Http("/health?x=1".into()), 1000);
    h.expect = (300, 399);
    h.host = Some("www.example.org".into());
    let mut e = Engine::new().unwrap();
    let set = watched(e.watch().unwrap()).unwrap();
    assert!(e.start(due(&h, a, 1), Instant::now()).is_none());
    let d = drive(&mut e, &set, 1).await;
    assert_eq!((d[0].2.up, &*d[0].2.why), (true, "http status 302"));
    let req = got.await.unwrap();
    assert!(
        req.starts_with("GET /health?x=1 HTTP/1.1\r\nHost: www.example.org\r\n"),
        "{req}"
    );
}

#[tokio::test]
async fn a_check_closes_its_connection_with_a_reset() {
    for (check, answer) in reset_cases() {
        let (addr, seen) = seeing_server(answer).await;
        let mut e = Engine::new().unwrap();
        let set = watched(e.watch().unwrap()).unwrap();
        assert!(e
            .start(due(&health(check.clone(), 1000), addr, 1), Instant::now())
            .is_none());
        let d = drive(&mut e, &set, 1).await;
        assert!(d[0].2.up, "{check:?}: {}", d[0].2.why);
        assert_eq!(seen.await.unwrap(), "reset", "{check:?}");
    }
    // (the control, a normal close seen as an end of file by the same
    // server_sees, is in check's test of the same name)
}

/// A loop that comes back only after the timeout (a busy director) takes
/// what the sockets say before the timeouts: connections made in time are
/// not timeouts. Control: connections that get no answer are.
#[test]
fn a_late_loop_does_not_turn_made_connections_into_timeouts() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let h = health(CheckKind::Http("/".into()), 200);
        let tcp = health(CheckKind::Tcp, 200);
        // never accepted: the kernel completes the connections
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let l = sock.listen(256).unwrap();
        let up = l.local_addr().unwrap();
        let (_full, silent) = silent_listener().await;
        for (h, addr, n, want) in [
            (&tcp, up, 64, "tcp connect ok"),
            (&tcp, silent, 4, "tcp connect timed out after 0.2s"),
            // made in time, then no answer within its own timeout
            (&h, up, 16, "http timed out after 0.2s"),
        ] {
            let mut e = Engine::new().unwrap();
            let set = watched(e.watch().unwrap()).unwrap();
            let now = Instant::now();
            for i in 0..n {
                assert!(e.start(due(h, addr, i), now).is_none());
            }
            std::thread::sleep(Duration::from_millis(600));
            // the loop's order at a timeout: the sockets, then the deadlines
            let mut out = Vec::new();
            let now = Instant::now();
            e.ready(now, &mut out);
            e.expire(now, &mut out);
            out.extend(drive(&mut e, &set, n as usize - out.len()).await);
            assert_eq!(out.len(), n as usize);
            for (_, _, o) in &out {
                assert_eq!(&*o.why, want, "{addr}");
            }
        }
        drop(l);
    });
}

#[tokio::test]
async fn four_hundred_checks_at_once_and_their_slots_reused() {
    let a = server("127.0.0.1:0", Act::Silent).await;
    let h = health(CheckKind::Http("/".into()), 1000);
    let mut e = Engine::new().unwrap();
    let set = watched(e.watch().unwrap()).unwrap();
    let start = Instant::now();
    for round in 0..2 {
        for i in 0..400 {
            assert!(e.start(due(&h, a, i), Instant::now()).is_none());
        }
        assert_eq!(e.running(), 400);
        let out = drive(&mut e, &set, 400).await;
        let timed_out = out
            .iter()
            .filter(|(_, _, o)| {
                o.why == "http timed out after 1s" || o.why == "http connect timed out after 1s"
            })
            .count();
        assert_eq!(timed_out, 400, "round {round}");
        assert_eq!(e.running(), 0);
    }
    assert_eq!(
        e.slots.len(),
        400,
        "the second round took the first's slots"
    );
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );
}

/// An engine with one tcp check (generation 1, timeout 300 ms) started
/// at the time returned, on a server that accepts (its address).
async fn a_tcp_check_started() -> (Engine, tokio::io::unix::AsyncFd<SetFd>, SocketAddr, Instant) {
    let quick = server("127.0.0.1:0", Act::Silent).await;
    let mut e = Engine::new().unwrap();
    let set = watched(e.watch().unwrap()).unwrap();
    let t0 = Instant::now();
    assert!(e
        .start(due(&health(CheckKind::Tcp, 300), quick, 1), t0)
        .is_none());
    (e, set, quick, t0)
}

/// A slot ended and taken by the next check: the first check's deadline
/// does not end the second. Control: the second's own deadline does.
#[tokio::test]
async fn an_old_deadline_does_not_end_the_slots_next_check() {
    let (_silent, silent) = silent_listener().await;
    let (mut e, set, _, t0) = a_tcp_check_started().await;
    let first = drive(&mut e, &set, 1).await;
    assert_eq!((first[0].1, &*first[0].2.why), (1, "tcp connect ok"));
    assert!(e
        .start(due(&health(CheckKind::Tcp, 800), silent, 2), Instant::now())
        .is_none());
    assert_eq!(e.slots.len(), 1);
    // past the first check's deadline, before the second's
    let mut out = Vec::new();
    e.expire(t0 + Duration::from_millis(400), &mut out);
    assert!(out.is_empty(), "{:?}", out.first().map(|d| &d.2.why));
    let second = drive(&mut e, &set, 1).await;
    assert_eq!(
        (second[0].1, &*second[0].2.why),
        (2, "tcp connect timed out after 0.8s")
    );
}

/// A check that has ended leaves no deadline to wake up for, and one
/// that has moved on to its answer leaves only that step's. Control:
/// while a check connects, its connection's deadline is the next.
#[tokio::test]
async fn ended_steps_leave_no_deadline_to_wake_up_for() {
    let (mut e, set, quick, t0) = a_tcp_check_started().await;
    assert_eq!(e.next_deadline(), Some(t0 + Duration::from_millis(300)));
    let first = drive(&mut e, &set, 1).await;
    assert_eq!(&*first[0].2.why, "tcp connect ok");
    assert_eq!(e.next_deadline(), None, "the ended check's deadline");
    // an http check: connected, its request sent, its answer awaited
    let t1 = Instant::now();
    let h = health(CheckKind::Http("/".into()), 5000);
    assert!(e.start(due(&h, quick, 2), t1).is_none());
    assert_eq!(e.next_deadline(), Some(t1 + Duration::from_secs(5)));
    let mut out = Vec::new();
    let t2 = loop {
        let mut g = set.readable().await.unwrap();
        let now = Instant::now();
        e.ready(now, &mut out);
        g.clear_ready();
        if matches!(&e.slots[0], Some(c) if matches!(c.stage, Stage::Read(_))) {
            break now;
        }
    };
    assert!(out.is_empty());
    assert_eq!(
        e.next_deadline(),
        Some(t2 + Duration::from_secs(5)),
        "the answer's deadline, not the connection's"
    );
}
